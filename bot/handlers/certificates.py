"""Chứng nhận của tôi: certificates earned by passing quizzes, sent as PDF and picture, resent on request."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.learning import Certificate
from bot.lessons import rhythm
from bot.people.folders import person_folder
from bot.people.names import MAX_NAME, clean_name, refusal_key
from bot.quiz import certificates as certs
from bot.text.i18n import format_short_day

router = Router()


async def send_certificate(ctx: Ctx, certificate: Certificate, intro_key: str = "certificate.here") -> None:
    content, settings = ctx.services.content, ctx.settings
    folder = person_folder(ctx.services.files_dir, settings.signing_key, certificate.user_id)
    document, image = await certs.render_files(certs.view_of(certificate, content, settings), folder)
    titles = ", ".join(certs.topic_titles(content, certificate))
    ctx.say(ctx.t(intro_key, topics=titles, code=certificate.code, url=certs.verify_url(settings, certificate.code)),
            screen="certificate", document=document, image=image)


async def send_new_certificates(ctx: Ctx, topic_id: str) -> None:
    """After a pass: when it earns a certificate, the person gives (if not yet) and confirms the name to
    print (`certificate.confirm_name`), then it is issued; without consent, says what is missing."""
    if not ctx.user.has_consented:
        ctx.say(ctx.t("certificate.needs_consent"), [ctx.opt("consent", "onboarding.agree")], screen="certificate")
        return
    if not await certs.would_issue(ctx.session, ctx.services.content, ctx.user, topic_id):
        ctx.say(ctx.t("certificate.already"), screen="certificate")
        return
    if not ctx.user.display_name:
        await ctx.go("certificate.name", topic=topic_id)
        return
    await ctx.go("certificate.confirm_name", topic=topic_id)


async def _issue(ctx: Ctx, topic_id: str) -> None:
    """Issues what the pass of `topic_id` earns, with the name confirmed, and sends it."""
    new = await certs.issue_for_pass(ctx.session, ctx.settings, ctx.services.content, ctx.user, topic_id)
    for certificate in new:
        key = "certificate.overall" if certificate.topic_id == certs.OVERALL else "certificate.new"
        await send_certificate(ctx, certificate, key)
    if not new:
        ctx.say(ctx.t("certificate.already"), screen="certificate")


@router.screen("certificate.name", help="help.certificate_name", free_text=True, needs=("topic",))
async def certificate_name(ctx: Ctx) -> None:
    if ctx.entering:
        ctx.say(ctx.t("certificate.ask_name"), [ctx.opt("menu", "menu.back_to_menu")])
        return
    name = clean_name(ctx.text, MAX_NAME)
    if name is None:  # not a name, or a phone / ID number that would be printed for all to see
        ctx.say(ctx.t(refusal_key(ctx.text), limit=MAX_NAME), [ctx.opt("menu", "menu.back_to_menu")])
        return
    ctx.user.display_name = name
    if ctx.history and ctx.history[-1][0] == "certificate.confirm_name":
        ctx.history.pop()  # came from "Sửa tên": back to the confirmation, which shows the new name
    await ctx.replace("certificate.confirm_name", topic=ctx.data["topic"])


@router.screen("certificate.confirm_name", help="help.certificate_confirm_name", needs=("topic",))
async def certificate_confirm_name(ctx: Ctx) -> None:
    """The name to print, confirmed before anything is issued: a certificate never changes once issued."""
    topic_id = ctx.data["topic"]
    if not ctx.user.display_name:
        await ctx.replace("certificate.name", topic=topic_id)
        return
    if not ctx.user.has_consented:  # withdrawn meanwhile, under "Cài đặt"
        await ctx.replace("certificates")
        return
    if ctx.option == "yes":
        await _issue(ctx, topic_id)
        await ctx.replace("certificates")
        return
    if ctx.option == "fix":
        await ctx.go("certificate.name", topic=topic_id)
        return
    ctx.say(ctx.t("certificate.confirm_name", name=ctx.user.display_name),
            [ctx.opt("yes", "certificate.name_right"), ctx.opt("fix", "certificate.fix_name"),
             ctx.opt("back", "nav.back"), ctx.opt("menu", "menu.back_to_menu")])


def progress_lines(ctx: Ctx, progress: rhythm.Progress) -> list[str]:
    """"Tuần này bạn đã học 2 bài" and the stamps: what was done, never what was missed."""
    week = (ctx.t("progress.week", n=progress.this_week) if progress.this_week
            else ctx.t("progress.new_week"))
    if not progress.stamps:
        return [week, ctx.t("progress.no_stamp")]
    return [week, ctx.t("progress.stamps"), *(ctx.t("progress.stamp", topic=t.short) for t in progress.stamps)]


@router.screen("certificates", help="help.certificates")
async def my_certificates(ctx: Ctx) -> None:
    owned = await certs.certificates_of(ctx.session, ctx.user.id)
    if ctx.option == "consent":
        await ctx.go("onboarding.consent", again=True)
        return
    if ctx.option == "quiz":
        await ctx.go("quiz.intro")
        return
    chosen = next((c for c in owned if ctx.option == f"cert:{c.id}"), None)
    if chosen is not None:
        await send_certificate(ctx, chosen)
    progress = progress_lines(ctx, await rhythm.progress_of(ctx.session, ctx.services.content, ctx.user.id,
                                                             datetime.now(UTC)))
    if not owned:
        ctx.say("\n".join([*progress, "", ctx.t("certificate.none")]),
                [ctx.opt("quiz", "menu.quiz"), ctx.opt("menu", "menu.back_to_menu")])
        return
    lines = [*progress, "", ctx.t("certificate.list_title")]
    for certificate in owned:
        titles = ", ".join(certs.topic_titles(ctx.services.content, certificate))
        state = ctx.t("certificate.revoked_mark") if certificate.revoked_at else ""
        lines.append(f"• {titles}: {certificate.code} ({format_short_day(certificate.issued_at, ctx.lang)}){state}")
    content = ctx.services.content

    def label(certificate: Certificate) -> str:
        if certificate.topic_id == certs.OVERALL:
            return ctx.t("certificate.resend_overall")
        topic = content.topic(certificate.topic_id)
        return ctx.t("certificate.resend", topic=topic.short if topic else certificate.topic_id)

    ordered = sorted(owned, key=lambda c: c.topic_id != certs.OVERALL)
    options = [Option(f"cert:{c.id}", label(c)) for c in ordered]
    ctx.say("\n".join(lines), options[:5] + [ctx.opt("menu", "menu.back_to_menu")])


router.menu_entry(30, "certificates", "menu.certificates", "certificates")
