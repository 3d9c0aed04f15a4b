"""Cài đặt: my information, language, consent, announcements, a copy of my data, and deleting it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.models import Tdp, Ward
from bot.people import codes
from bot.people.accounts import detach, linked_identities, new_link_code
from bot.people.folders import person_folder
from bot.people.roles import is_trusted
from bot.privacy import export
from bot.privacy.erase import erase_person
from bot.text.i18n import LANGUAGES

router = Router()


@router.screen("settings", help="help.settings")
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


@router.screen("settings.profile", help="help.settings")
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


@router.screen("settings.link", help="help.link")
async def link_accounts(ctx: Ctx) -> None:
    """The accounts linked to this person, a one-time code to link another, and unlinking.

    From the web chat only the web account itself can be unlinked; a Telegram or
    Zalo account can unlink any other.
    """
    identities = [i for i in await linked_identities(ctx.session, ctx.user) if i.channel != "offline"]
    others = [i for i in identities if i.id != ctx.identity.id]
    may_unlink = others if is_trusted(ctx.identity) else ([ctx.identity] if others else [])
    if ctx.option == "code":
        code = await new_link_code(ctx.session, ctx.identity)
        ctx.say(ctx.t("link.code", code=codes.shown(code)), [ctx.opt("back", "nav.back")])
        return
    chosen = next((i for i in may_unlink if ctx.option == f"unlink:{i.id}"), None)
    if chosen is not None:
        ctx.data["unlink"] = chosen.id
        ctx.say(ctx.t("link.unlink_confirm", channel=ctx.t(f"channel.{chosen.channel}")),
                [ctx.opt("confirm", "link.unlink_yes"), ctx.opt("keep", "delete.no")])
        return
    if ctx.option == "confirm" and ctx.data.get("unlink") in {i.id for i in may_unlink}:
        target = next(i for i in may_unlink if i.id == ctx.data.pop("unlink"))
        await detach(ctx.session, target)
        ctx.audit("account.unlink", target=f"{target.channel}:…{target.external_id[-4:]}")
        if target.id == ctx.identity.id:
            ctx.user = ctx.identity  # this browser starts afresh; the person's learning stays with the others
            await ctx.home(ctx.t("link.unlinked_self"))
            return
        ctx.say(ctx.t("link.unlinked", channel=ctx.t(f"channel.{target.channel}")))
        identities = [i for i in identities if i.id != target.id]
        may_unlink = [i for i in may_unlink if i.id != target.id]
    ctx.data.pop("unlink", None)
    names = ", ".join(ctx.t(f"channel.{i.channel}") for i in identities)
    options = [ctx.opt("code", "link.get_code")]
    options += [Option(f"unlink:{i.id}", ctx.t("link.unlink", channel=ctx.t(f"channel.{i.channel}")))
                for i in may_unlink[:3]]
    text = ctx.t("link.linked", names=names) if len(identities) > 1 else ctx.t("link.explain")
    ctx.say(text, options + [ctx.opt("back", "nav.back")])


@router.screen("settings.language", help="help.settings")
async def language(ctx: Ctx) -> None:
    if not ctx.entering and ctx.option in LANGUAGES:
        ctx.user.locale = ctx.option
        ctx.say(ctx.t("settings.language_set"))
        ctx.history.clear()
        await ctx.replace("settings")
        return
    ctx.say(ctx.t("settings.choose_language"), [ctx.opt("vi", "language.vi"), ctx.opt("en", "language.en"),
                                                ctx.opt("back", "nav.back")])


@router.screen("settings.privacy", help="help.settings")
async def privacy(ctx: Ctx) -> None:
    if ctx.option == "consent":
        await ctx.go("onboarding.consent", again=True)
        return
    if ctx.option == "delete":
        await ctx.go("settings.delete")
        return
    if ctx.option == "export":
        await ctx.go("settings.export")
        return
    status = ctx.t("privacy.consented") if ctx.user.has_consented else ctx.t("privacy.not_consented")
    options = [] if ctx.user.has_consented else [ctx.opt("consent", "onboarding.agree")]
    ctx.say(ctx.t("privacy.details"))
    ctx.say(retention_notice(ctx) + "\n\n" + status,
            options + [ctx.opt("export", "settings.export"), ctx.opt("delete", "settings.delete"),
                       ctx.opt("back", "nav.back")])


def retention_notice(ctx: Ctx) -> str:
    """How long each kind of data is kept, from the settings the daily job applies (`apply_retention`)."""
    settings = ctx.settings
    return ctx.t("privacy.retention", questions=settings.retain_questions_days,
                 requests=settings.retain_help_requests_days, unconsented=settings.retain_unconsented_days)


@router.screen("settings.notifications", help="help.settings")
async def notifications(ctx: Ctx) -> None:
    """The ward's announcements and the learning nudges the person chose ("Nhắc học"), side by side:
    "tắt thông báo" and "DỪNG" each stop one of them, and this screen shows both."""
    if ctx.option == "nudges" and "nudges.offer" in ctx.screens:
        await ctx.go("nudges.offer")
        return
    if ctx.option in ("on", "off"):
        ctx.user.notifications_off = ctx.option == "off"
        ctx.say(ctx.t("settings.saved"))
        ctx.history.clear()
        await ctx.replace("settings")
        return
    state = ctx.t("notifications.off_now") if ctx.user.notifications_off else ctx.t("notifications.on_now")
    nudges = [ctx.opt("nudges", "settings.nudges")] if "nudges.offer" in ctx.screens else []
    ctx.say(ctx.t("notifications.explain") + "\n" + state,
            nudges + [ctx.opt("on", "notifications.turn_on"), ctx.opt("off", "notifications.turn_off"),
                      ctx.opt("back", "nav.back")])


@router.screen("settings.delete", help="help.delete")
async def delete_my_data(ctx: Ctx) -> None:
    if ctx.option == "confirm":
        await erase_user(ctx)
        return
    if ctx.option == "keep":
        await ctx.back()
        return
    web_only = not is_trusted(ctx.identity) and len(await linked_identities(ctx.session, ctx.user)) > 1
    ctx.say(ctx.t("delete.confirm_web_only" if web_only else "delete.confirm"),
            [ctx.opt("confirm", "delete.yes"), ctx.opt("keep", "delete.no")])


async def erase_user(ctx: Ctx) -> None:
    """Deletes the person everywhere (`bot.privacy.erase`); the audit keeps only the fact.

    Asked from a web-chat account linked to Telegram or Zalo, only that web account goes: a browser's
    id proves nothing, so it cannot delete the person's data held through the other accounts.
    """
    lang = ctx.lang
    linked = len(await linked_identities(ctx.session, ctx.user)) > 1
    if linked and not is_trusted(ctx.identity):
        await detach(ctx.session, ctx.identity)
        erasure = await erase_person(ctx.session, ctx.identity, ctx.actor, "the web account, at its own request")
        done = "delete.web_only_done"
    else:
        erasure = await erase_person(ctx.session, ctx.user, ctx.actor, "at the person's request")
        done = "delete.done"
    ctx.after_commit.append(lambda: erasure.finish_with(ctx.services))
    ctx.deleted = True
    ctx.say(ctx.t(done), [ctx.opt("restart", "delete.start_again")], screen="deleted")
    ctx.user.locale = lang


@router.screen("settings.export", help="help.export")
async def export_my_data(ctx: Ctx) -> None:
    """A copy of everything held about the person, as a page to read and as JSON, sent at once.

    From a web-chat account linked to Telegram or Zalo the copy is not given: it would hand the
    person's data to whoever holds this browser's id.
    """
    if len(await linked_identities(ctx.session, ctx.user)) > 1 and not is_trusted(ctx.identity):
        ctx.say(ctx.t("export.web_linked"), [ctx.opt("back", "nav.back")])
        return
    made_at = datetime.now(UTC)
    sections = await export.collect(ctx.session, ctx.user)
    folder = person_folder(ctx.services.files_dir, ctx.settings.signing_key, ctx.user.id)
    page, data = await asyncio.to_thread(export.write_copy, sections, folder, made_at)
    rows = sum(len(section.rows) for section in sections)
    ctx.audit("data.export", target=f"user#{ctx.user.id}", detail=f"{rows} rows")
    ctx.say(ctx.t("export.ready"), document=page)
    ctx.say(ctx.t("export.json"), [ctx.opt("back", "nav.back"), ctx.opt("menu", "menu.back_to_menu")], document=data)


router.menu_entry(80, "settings", "menu.settings", "settings")
