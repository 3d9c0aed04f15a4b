"""Cài đặt: my information, language, consent, announcements, and deleting my data."""

from __future__ import annotations

from sqlalchemy import delete

from bot.accounts import new_link_code
from bot.core.context import Ctx
from bot.core.flow import flow
from bot.core.i18n import LANGUAGES
from bot.db.models import AuditEntry, Tdp, User, Ward
from bot.handlers.menu import menu_entry


@flow.screen("settings", help="help.settings")
async def settings(ctx: Ctx) -> None:
    targets = {"profile": "settings.profile", "language": "settings.language", "privacy": "settings.privacy",
               "notifications": "settings.notifications", "delete": "settings.delete"}
    if not ctx.entering and ctx.option in targets:
        await ctx.go(targets[ctx.option])
        return
    ctx.say(ctx.t("settings.title"), [
        ctx.opt("profile", "settings.profile"),
        ctx.opt("language", "settings.language"),
        ctx.opt("privacy", "settings.privacy"),
        ctx.opt("notifications", "settings.notifications"),
        ctx.opt("delete", "settings.delete"),
        ctx.opt("menu", "menu.back_to_menu"),
    ])


@flow.screen("settings.profile", help="help.settings")
async def profile(ctx: Ctx) -> None:
    user = ctx.user
    if not user.has_consented:
        if ctx.option == "consent":
            await ctx.go("onboarding.consent", again=True)
            return
        ctx.say(ctx.t("settings.profile_needs_consent"),
                [ctx.opt("consent", "onboarding.agree"), ctx.opt("back", "nav.back")])
        return
    edits = {"name": "onboarding.name", "age": "onboarding.age", "ward": "onboarding.ward"}
    if not ctx.entering and ctx.option in edits:
        await ctx.go(edits[ctx.option], from_settings=True)
        return
    if ctx.option == "link":
        await ctx.go("settings.link")
        return
    ward = await ctx.session.get(Ward, user.ward_id) if user.ward_id else None
    tdp = await ctx.session.get(Tdp, user.tdp_id) if user.tdp_id else None
    unknown = ctx.t("settings.unknown")
    ctx.say(
        ctx.t(
            "settings.profile_card",
            name=user.display_name or unknown,
            age=ctx.t(f"age.{user.age_band}") if user.age_band else unknown,
            ward=ward.name if ward else unknown,
            tdp=tdp.name if tdp else unknown,
        ),
        [ctx.opt("name", "settings.edit_name"), ctx.opt("age", "settings.edit_age"),
         ctx.opt("ward", "settings.edit_ward"), ctx.opt("link", "settings.link"), ctx.opt("back", "nav.back")],
    )


@flow.screen("settings.link", help="help.link")
async def link_accounts(ctx: Ctx) -> None:
    """A one-time code to type on the other channel (Zalo ↔ Telegram)."""
    code = await new_link_code(ctx.session, ctx.user)
    ctx.say(ctx.t("link.code", code=code), [ctx.opt("back", "nav.back"), ctx.opt("menu", "menu.back_to_menu")])


@flow.screen("settings.language", help="help.settings")
async def language(ctx: Ctx) -> None:
    if not ctx.entering and ctx.option in LANGUAGES:
        ctx.user.locale = ctx.option
        ctx.say(ctx.t("settings.language_set"))
        ctx.history.clear()
        await ctx.replace("settings")
        return
    ctx.say(ctx.t("settings.choose_language"), [ctx.opt("vi", "language.vi"), ctx.opt("en", "language.en")])


@flow.screen("settings.privacy", help="help.settings")
async def privacy(ctx: Ctx) -> None:
    if ctx.option == "consent":
        await ctx.go("onboarding.consent", again=True)
        return
    if ctx.option == "delete":
        await ctx.go("settings.delete")
        return
    status = ctx.t("privacy.consented") if ctx.user.has_consented else ctx.t("privacy.not_consented")
    options = [] if ctx.user.has_consented else [ctx.opt("consent", "onboarding.agree")]
    ctx.say(ctx.t("privacy.details") + "\n\n" + status,
            options + [ctx.opt("delete", "settings.delete"), ctx.opt("back", "nav.back")])


@flow.screen("settings.notifications", help="help.settings")
async def notifications(ctx: Ctx) -> None:
    if ctx.option in ("on", "off"):
        ctx.user.notifications_off = ctx.option == "off"
        ctx.say(ctx.t("settings.saved"))
        ctx.history.clear()
        await ctx.replace("settings")
        return
    state = ctx.t("notifications.off_now") if ctx.user.notifications_off else ctx.t("notifications.on_now")
    ctx.say(ctx.t("notifications.explain") + "\n" + state,
            [ctx.opt("on", "notifications.turn_on"), ctx.opt("off", "notifications.turn_off"),
             ctx.opt("back", "nav.back")])


@flow.screen("settings.delete", help="help.delete")
async def delete_my_data(ctx: Ctx) -> None:
    if ctx.option == "confirm":
        await erase_user(ctx)
        return
    if ctx.option == "keep":
        await ctx.back()
        return
    ctx.say(ctx.t("delete.confirm"), [ctx.opt("confirm", "delete.yes"), ctx.opt("keep", "delete.no")])


async def erase_user(ctx: Ctx) -> None:
    """Deletes the person and (by cascade) everything linked to them; the audit keeps only the fact."""
    user_id, lang = ctx.user.id, ctx.lang
    ctx.session.add(AuditEntry(actor=f"user#{user_id}", action="data.delete", target=f"user#{user_id}",
                               detail="deleted at the person's request"))
    await ctx.session.execute(delete(User).where((User.id == user_id) | (User.merged_into_id == user_id)))
    ctx.deleted = True
    ctx.say(ctx.t("delete.done"), [ctx.opt("restart", "delete.start_again")], screen="deleted")
    ctx.user.locale = lang


menu_entry(80, "settings", "menu.settings", "settings")
