"""🔊 Nghe: lesson steps, check questions, quiz questions and FAQ answers read aloud.

The screens that show such a text add `listen_option(...)`; choosing it, or typing
"nghe" / "đọc to" while it is shown, answers one short line with the audio and the
same choices as before, so "Tiếp" still works and nothing of the screen is lost. The
option id names what to read ("listen:step:vneid-2:1"), so the audio is made from
the content itself, the same for every resident, and cached (`bot.voice`). A file not
made yet is made once the turn has committed, so the database is never held meanwhile.
"""

from __future__ import annotations

import dataclasses
import re

from bot.content.models import Lesson
from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Attachment, Option
from bot.core.services import Services
from bot.text.fold import fold
from bot.voice.audio import MIME
from bot.voice.service import Voice

router = Router()

PREFIX = "listen:"
SCREEN = "read_aloud"
LISTEN_WORDS = frozenset({"nghe", "doc to", "doc", "doc di", "doc cho toi nghe", "nghe doc", "bam nghe", "loa",
                          "listen", "read aloud"})
"""Typed instead of tapping "🔊 Nghe" (folded: "đọc to" is "doc to")."""
_ANSWER = re.compile(r"^[aq]\d+$")
"""Ids of a check's or quiz's answer options ("a0", "q2"), read after the question in the order shown."""
_LETTERED = re.compile(r"^[A-D][.)]\s+")
"""A quiz answer's own letter ("B. Sai"): read as "Số 2: Sai.", the number the person can type."""


def listen_option(ctx: Ctx, what: str) -> Option:
    """"🔊 Nghe" for `what`: "step:<lesson>:<n>", "check:<lesson>", "quiz:<question>" or "faq:<entry>"."""
    return ctx.opt(PREFIX + what, "voice.listen")


def voice_of(services: Services) -> Voice:
    """The ward's voice, made once per process from its settings (tests put their own in `extras`)."""
    voice = services.extras.get("voice")
    if not isinstance(voice, Voice):
        voice = services.extras["voice"] = Voice.from_settings(
            services.settings, services.files_dir, services.content.pronunciation)
    return voice


def _shown(ctx: Ctx) -> list[Option]:
    """The choices the person saw last, given back with the audio."""
    return [Option(o["id"], o["label"]) for o in (ctx.user.state_data or {}).get("options") or []]


@router.on_turn
async def typed_listen(ctx: Ctx) -> None:
    """"nghe", "đọc to" typed where "🔊 Nghe" is shown means that choice."""
    text = ctx.incoming.text
    if text is None or len(text) > 30 or fold(text) not in LISTEN_WORDS:
        return
    listen = next((o for o in _shown(ctx) if o.id.startswith(PREFIX)), None)
    if listen is not None:
        ctx.incoming = dataclasses.replace(ctx.incoming, text=None, option=listen.id)


def _step_text(ctx: Ctx, lesson: Lesson, index: int) -> str | None:
    if not 0 <= index < len(lesson.steps):
        return None
    header = ctx.t("lessons.step_header", title=lesson.title, n=index + 1, total=len(lesson.steps))
    return lesson.step_message(index, header)


def _with_answers(ctx: Ctx, question: str, shown: list[Option]) -> str:
    answers = [_LETTERED.sub("", o.label) for o in shown if _ANSWER.match(o.id)]
    return "\n".join([question, *(ctx.t("voice.choice", n=n, label=label) for n, label in enumerate(answers, 1))])


def text_to_read(ctx: Ctx, what: str, shown: list[Option]) -> str | None:
    """The text an option "listen:<what>" reads; None when it is gone from the content."""
    content = ctx.services.content
    kind, _, rest = what.partition(":")
    if kind == "step":
        lesson_id, _, step = rest.rpartition(":")
        lesson = content.lessons.get(lesson_id)
        return _step_text(ctx, lesson, int(step)) if lesson is not None and step.isdecimal() else None
    if kind == "check" and (lesson := content.lessons.get(rest)) is not None:
        return _with_answers(ctx, ctx.t("lessons.check_intro", question=lesson.check.question.strip()), shown)
    if kind == "quiz" and (question := content.question(rest)) is not None:
        return _with_answers(ctx, question.question.strip(), shown)
    if kind == "faq" and (entry := next((e for e in content.faq if e.id == rest), None)) is not None:
        return f"{entry.question}\n{entry.answer}"
    return None


@router.option_prefix(PREFIX)
async def listen(ctx: Ctx) -> None:
    shown = _shown(ctx)
    text = text_to_read(ctx, (ctx.option or "")[len(PREFIX):], shown)
    if text is None:
        await ctx.show_again()
        return
    voice = voice_of(ctx.services)
    cached = voice.cached(text)
    reply = ctx.say(ctx.t("voice.press_play"), shown, screen=SCREEN,
                    audio=Attachment(cached or voice.expected(text), "nghe.ogg", MIME))
    if cached is not None:
        return
    unavailable = ctx.t("voice.unavailable")

    async def make() -> None:
        """After the turn's transaction: half a second of speech-making never holds the database."""
        path = await voice.speak(text)
        if path is None:
            reply.text, reply.audio = unavailable, None
        elif reply.audio is None or path != reply.audio.path:  # the ward's voice failed: espeak-ng's file
            reply.audio = Attachment(path, "nghe.ogg", MIME)

    ctx.after_commit.append(make)
