"""Học bài: topics with progress, lessons step by step, practice, a check question, resume later."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bot.content.loader import Content
from bot.content.models import Lesson
from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.handlers import review
from bot.handlers.menu import person_fact
from bot.handlers.read_aloud import listen_option
from bot.lessons import progress as prog
from bot.lessons.path import next_lesson, path
from bot.review import items as review_items

router = Router()

LESSON_PAGE = 3
"""Lessons per screen: with "more", the topic's quiz and "back", six choices at most."""
DONE, STARTED, NEW = "✓", "▶", "○"
MAX_SOURCES = 3
_rng = random.SystemRandom()


def _content(ctx: Ctx) -> Content:
    return ctx.services.content


async def _lesson(ctx: Ctx) -> Lesson | None:
    """The lesson this screen is about; None (and the list of topics) when it is gone from the content."""
    lesson = ctx.services.content.lessons.get(ctx.data.get("lesson", ""))
    if lesson is None:
        await ctx.replace("topic.list")
    return lesson


async def _progress(ctx: Ctx) -> dict:
    return await prog.progress_of(ctx.session, ctx.user.id)


def _icon(lesson_id: str, progress: dict) -> str:
    row = progress.get(lesson_id)
    if row is None:
        return NEW
    return DONE if row.completed_at is not None else STARTED


async def resume_instead(ctx: Ctx) -> tuple[str, str] | None:
    """With a lesson open, the menu's first entry continues it ("Học tiếp"), in the same place; with
    questions due for review, it says so ("Học tiếp / Ôn nhanh") and offers them first."""
    if await person_fact(ctx, "open_lesson"):
        return "menu.resume", "lessons.resume"
    return ("menu.resume_review", "lessons.resume") if await review.waiting(ctx) else None


async def start_lesson(ctx: Ctx, lesson: Lesson, step: int = 0) -> None:
    await ctx.go("lesson.step", lesson=lesson.id, step=step)


@router.screen("topic.list", help="help.topics")
async def topic_list(ctx: Ctx) -> None:
    content, answers = _content(ctx), prog.answers_of(ctx.user, ctx.memory)
    if ctx.entering and not answers.known and not ctx.memory.get("path_asked"):
        await ctx.replace("path.start", q=0)
        return
    progress = await _progress(ctx)
    current = prog.in_progress(progress)
    suggested = content.lessons.get(current.lesson_id) if current else None
    if suggested is None:
        suggested = next_lesson(content, answers, (k for k, r in progress.items() if r.completed_at))
    if ctx.option == "next" and suggested is not None:
        step = current.step if current is not None and current.lesson_id == suggested.id else 0
        await start_lesson(ctx, suggested, step)
        return
    if (topic_id := ctx.chosen("topic")) is not None:
        await ctx.go("topic.lessons", topic=topic_id, page=0)
        return
    lines = [ctx.t("lessons.topics_title")]
    options: list[Option] = []
    if suggested is not None and len(content.topics) <= 4:
        key = "lessons.resume" if current is not None else "lessons.start_next"
        options.append(ctx.opt("next", key, title=suggested.title))
    all_done = True
    for topic in content.topics:
        lessons = content.lessons_by_topic.get(topic.id, [])
        done = sum(1 for lesson in lessons if _icon(lesson.id, progress) == DONE)
        icon = DONE if done == len(lessons) else STARTED if any(lesson.id in progress for lesson in lessons) else NEW
        all_done = all_done and done == len(lessons)
        lines.append(ctx.t("lessons.topic_line", icon=icon, title=topic.title, done=done, total=len(lessons)))
        options.append(Option(f"topic:{topic.id}", f"{icon} {topic.short}"))
    if all_done:
        lines.append(ctx.t("lessons.all_done"))
    elif suggested is not None:
        lines.append(ctx.t("lessons.suggested", title=suggested.title))
    ctx.say("\n".join(lines), options[:5] + [ctx.opt("back", "nav.back")])


@router.screen("path.start", help="help.path")
async def path_start(ctx: Ctx) -> None:
    questions = ("has_smartphone", "uses_social", "vneid_active")
    index = int(ctx.data.get("q", 0))
    if ctx.option == "skip_all":
        ctx.memory["path_asked"] = True
        await ctx.replace("topic.list")
        return
    if index >= len(questions):
        await _path_summary(ctx)
        return
    if ctx.option in ("yes", "no", "skip") and index < len(questions):
        if ctx.option != "skip":  # "Bỏ qua" skips this question only
            value = ctx.option == "yes"
            if ctx.user.has_consented:
                setattr(ctx.user, questions[index], value)
            else:
                ctx.memory[questions[index]] = value
        index += 1
        ctx.data["q"] = index
    if index >= len(questions):
        await _path_summary(ctx)
        return
    if index == 0 and ctx.entering:
        ctx.say(ctx.t("path.intro"))
    ctx.say(ctx.t("path.question", n=index + 1, total=len(questions), question=ctx.t(f"path.q.{questions[index]}")),
            [ctx.opt("yes", "path.yes"), ctx.opt("no", "path.no"), ctx.opt("skip", "path.skip"),
             ctx.opt("skip_all", "path.skip_all")])


async def _path_summary(ctx: Ctx) -> None:
    """The order suggested by the three answers, and its first lesson one tap away."""
    ctx.memory["path_asked"] = True
    content, answers = _content(ctx), prog.answers_of(ctx.user, ctx.memory)
    first = path(content, answers)
    done = {k for k, r in (await _progress(ctx)).items() if r.completed_at}
    following = next_lesson(content, answers, done)
    if ctx.option == "next" and following is not None:
        await start_lesson(ctx, following)
        return
    if ctx.option == "topics" or following is None:
        await ctx.replace("topic.list")
        return
    titles = list(dict.fromkeys(content.topic_of(lesson).short for lesson in first))
    ctx.say(ctx.t("path.summary", order=" → ".join(titles)),
            [ctx.opt("next", "lessons.start_next", title=following.title), ctx.opt("topics", "lessons.all_topics"),
             ctx.opt("back", "nav.back")])


@router.screen("topic.lessons", help="help.topic_lessons")
async def topic_lessons(ctx: Ctx) -> None:
    content = _content(ctx)
    topic = content.topic(ctx.data.get("topic", ""))
    if topic is None:
        await ctx.replace("topic.list")
        return
    lessons = content.lessons_by_topic.get(topic.id, [])
    ctx.memory["topic"] = topic.id  # "bài 2" typed later means lesson 2 of this topic
    if (lesson_id := ctx.chosen("lesson")) is not None:
        lesson = content.lessons.get(lesson_id)
        if lesson is not None:
            row = (await _progress(ctx)).get(lesson.id)
            await start_lesson(ctx, lesson, row.step if row is not None and row.completed_at is None else 0)
            return
    if ctx.option == "quiz":
        await ctx.go("quiz.intro", topic=topic.id)
        return
    page = int(ctx.data.get("page", 0))
    if ctx.option == "more":
        page = page + 1 if (page + 1) * LESSON_PAGE < len(lessons) else 0
        ctx.data["page"] = page
    progress = await _progress(ctx)
    done = sum(1 for lesson in lessons if _icon(lesson.id, progress) == DONE)
    shown = lessons[page * LESSON_PAGE:(page + 1) * LESSON_PAGE]
    lines = [topic.title, topic.description, ctx.t("lessons.progress", done=done, total=len(lessons))]
    if len(lessons) > LESSON_PAGE:
        pages = -(-len(lessons) // LESSON_PAGE)
        lines.append(ctx.t("lessons.page", page=page + 1, pages=pages))
    # The buttons carry the titles; the text adds the time each takes, numbered like the buttons.
    lines += [f"{n}. {_icon(lesson.id, progress)} {lesson.title} ({ctx.t('lessons.minutes', n=lesson.minutes)})"
              for n, lesson in enumerate(shown, 1)]
    options = [Option(f"lesson:{lesson.id}", f"{_icon(lesson.id, progress)} {lesson.title}") for lesson in shown]
    if len(lessons) > LESSON_PAGE:
        last_page = (page + 1) * LESSON_PAGE >= len(lessons)
        options.append(ctx.opt("more", "lessons.first_lessons" if last_page else "lessons.more"))
    if content.questions.get(topic.id):
        options.append(ctx.opt("quiz", "lessons.take_quiz"))
    ctx.say("\n".join(lines), options + [ctx.opt("back", "nav.back")])


@router.screen("lesson.step", help="help.lesson", handles_back=True)
async def lesson_step(ctx: Ctx) -> None:
    if (lesson := await _lesson(ctx)) is None:
        return
    step = int(ctx.data.get("step", 0))
    if ctx.option == "next":
        step += 1
    elif ctx.option == "back":
        if step == 0:
            await ctx.back()
            return
        step -= 1
    elif ctx.option == "ask_mentor":
        await ctx.go("help_request.new", lesson=lesson.id, step=step)
        return
    if step >= len(lesson.steps):
        await ctx.replace("lesson.practice", lesson=lesson.id)
        return
    ctx.data["step"] = step
    await prog.record_step(ctx.session, ctx.user.id, lesson.id, lesson.topic, step)
    header = ctx.t("lessons.step_header", title=lesson.title, n=step + 1, total=len(lesson.steps))
    options = [ctx.opt("next", "lessons.next"), ctx.opt("back", "nav.back")]
    if "help_request.new" in ctx.screens:
        options.append(ctx.opt("ask_mentor", "lessons.ask_mentor"))
    options += [listen_option(ctx, f"step:{lesson.id}:{step}"), ctx.opt("menu", "menu.back_to_menu")]
    ctx.say(lesson.step_message(step, header), options)


@router.screen("lesson.practice", help="help.lesson", handles_back=True)
async def lesson_practice(ctx: Ctx) -> None:
    if (lesson := await _lesson(ctx)) is None:
        return
    if ctx.option == "next":
        await ctx.replace("lesson.check", lesson=lesson.id)
        return
    if ctx.option == "back":
        await ctx.replace("lesson.step", lesson=lesson.id, step=len(lesson.steps) - 1)
        return
    ctx.say(ctx.t("lessons.practice", task=lesson.practice.strip()),
            [ctx.opt("next", "lessons.practice_done"), ctx.opt("back", "nav.back")])


def check_order(ctx: Ctx, count: int) -> list[int]:
    """The order the check's options are shown in: shuffled once per showing, like quiz options,
    so the right answer is not "always the second button"; kept in the screen's data so that a
    typed "2" means the second option the person saw. Option ids stay the bank's indices."""
    order = ctx.data.get("order")
    if not (isinstance(order, list) and sorted(order) == list(range(count))):
        order = list(range(count))
        _rng.shuffle(order)
        ctx.data["order"] = order
    return order


@router.screen("lesson.check", help="help.check", handles_back=True)
async def lesson_check(ctx: Ctx) -> None:
    if (lesson := await _lesson(ctx)) is None:
        return
    if ctx.option == "back":
        await ctx.replace("lesson.practice", lesson=lesson.id)
        return
    check = lesson.check
    if (chosen := ctx.chosen_number("a", below=len(check.options))) is not None:
        correct = chosen == check.answer
        await prog.complete(ctx.session, ctx.user.id, lesson.id, lesson.topic, correct)
        await review_items.meet_lesson(ctx.session, _content(ctx), ctx.user.id, lesson.id, datetime.now(UTC))
        verdict = ctx.t("lessons.right") if correct else ctx.t("lessons.wrong", answer=check.options[check.answer])
        ctx.say(f"{verdict}\n{check.feedback.strip()}", screen="lesson.feedback")
        await ctx.replace("lesson.done", lesson=lesson.id)
        return
    ctx.say(ctx.t("lessons.check_intro", question=check.question.strip()),
            [Option(f"a{i}", check.options[i]) for i in check_order(ctx, len(check.options))]
            + [listen_option(ctx, f"check:{lesson.id}"), ctx.opt("back", "nav.back")])


def source_lines(ctx: Ctx, lesson: Lesson) -> list[str]:
    """The lesson's sources as short titled links: "• Cổng DVC quốc gia: https://…".

    The short title says what the source is without filling the screen; the address stays in
    the text because every channel shows a plain http(s) address as a link the resident can tap.
    """
    sources = [ctx.services.content.sources[s] for s in lesson.sources if s in ctx.services.content.sources]
    lines = [f"• {source.label}: {source.url}" if source.url else f"• {source.label}" for source in sources[:MAX_SOURCES]]
    return [ctx.t("lessons.sources"), *lines] if lines else []


@router.screen("lesson.done", help="help.lesson_done")
async def lesson_done(ctx: Ctx) -> None:
    content = _content(ctx)
    if (lesson := await _lesson(ctx)) is None:
        return
    progress = await _progress(ctx)
    done = {k for k, r in progress.items() if r.completed_at}
    following = next_lesson(content, prog.answers_of(ctx.user, ctx.memory), done)
    topic_lessons = content.lessons_by_topic.get(lesson.topic, [])
    topic_done = all(item.id in done for item in topic_lessons)
    if ctx.option == "next" and following is not None:
        await start_lesson(ctx, following)
        return
    if ctx.option == "quiz":
        await ctx.go("quiz.intro", topic=lesson.topic)
        return
    if ctx.option == "list":
        await ctx.go("topic.lessons", topic=lesson.topic, page=0)
        return
    lines = [ctx.t("lessons.finished", title=lesson.title), *source_lines(ctx, lesson)]
    if lesson.general_advice:
        lines.append(ctx.t("lessons.general_advice"))
    options: list[Option] = []
    if topic_done and content.questions.get(lesson.topic) and "quiz.intro" in ctx.screens:
        options.append(ctx.opt("quiz", "lessons.quiz_now", topic=content.topic_of(lesson).short))
    if following is not None:
        options.append(ctx.opt("next", "lessons.next_lesson", title=following.title))
    options += [ctx.opt("list", "lessons.lesson_list"), ctx.opt("menu", "menu.back_to_menu")]
    ctx.say("\n".join(lines), options)


@router.screen("lessons.resume", help="help.lesson")
async def resume(ctx: Ctx) -> None:
    current = prog.in_progress(await _progress(ctx))
    lesson = _content(ctx).lessons.get(current.lesson_id) if current else None
    if ctx.entering and not ctx.data.get("reviewed") and (quick := await review.offer(ctx)) is not None:
        go_on = ctx.opt("lesson", "lessons.resume_after_review", title=lesson.title) if lesson else \
            ctx.opt("lesson", "menu.learn")
        ctx.say(ctx.t("review.before_lesson"), [quick, go_on, ctx.opt("menu", "menu.back_to_menu")])
        return
    if current is None or lesson is None:
        await ctx.replace("topic.list")
        return
    ctx.say(ctx.t("lessons.welcome_back", title=lesson.title))
    await ctx.replace("lesson.step", lesson=lesson.id, step=min(current.step, len(lesson.steps) - 1))


router.menu_entry(10, "learn", "menu.learn", "topic.list", instead=resume_instead)
