"""Nudges the person chose, driven by a fake clock: the scheduler is given each moment of a simulated week.

A resident chooses "Thứ 5, buổi tối" at the end of onboarding; the job then runs
every 15 simulated minutes, day and night, and the tests read what was queued
(the outbox rows a phone would get) and what the person sees when they answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from bot.app.jobs import run_nudges
from bot.app.runtime import Runtime
from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.channels.sender import BULK, NUDGE, REPLY
from bot.core.matching import ambiguous, global_action
from bot.db.learning import QuizAttempt
from bot.db.models import User
from bot.db.nudges import Nudge, NudgePlan, ReviewItem
from bot.db.staff import OutboxMessage
from bot.nudges.scheduler import PRIORITY
from bot.nudges.times import aware
from bot.people.audit import Actor
from bot.privacy import export
from bot.privacy.erase import erase_person
from bot.reports.figures import tdp_figures
from bot.reports.periods import Period
from bot.review.items import meet_lesson
from bot.text.i18n import WARD_TZ
from tests.conftest import Chat, make_settings

MONDAY = date(2026, 12, 14)
"""A week after the tests' real clock, so the onboarding turns (really now) are long past."""
THURSDAY = MONDAY + timedelta(days=3)
STEP = timedelta(minutes=15)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARD_TZ).astimezone(UTC)


def moments(first: date, days: int = 7, only: Iterable[int] | None = None) -> Iterable[datetime]:
    """Every STEP of `days` days from `first` (ward time), night included; `only`: just these weekdays."""
    keep = set(range(7) if only is None else only)
    moment, end = local(first, 0), local(first + timedelta(days=days), 0)
    while moment < end:
        if moment.astimezone(WARD_TZ).weekday() in keep:
            yield moment
        moment += STEP


async def run(runtime: Runtime, when: Iterable[datetime]) -> int:
    queued = 0
    for moment in when:
        queued += await run_nudges(runtime.db, runtime.settings, runtime.services.content, moment)
    return queued


async def nudge_rows(runtime: Runtime, status: str | None = None) -> list[OutboxMessage]:
    async with runtime.db.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "nudge").order_by(OutboxMessage.id)
        if status is not None:
            query = query.where(OutboxMessage.status == status)
        return list(await session.scalars(query))


async def choose(chat: Chat, *options: str) -> None:
    """Onboarding, then "Nhắc tôi học?" answered with `options` (e.g. "yes", "d3", "evening", "done")."""
    await chat.send("/start")
    for text in ("đồng ý", "Bà Lan", "3", "1", "tổ 5"):
        await chat.send(text)
    assert chat.screen == "nudges.offer"
    for option in options:
        await chat.send(option=option)


async def open_lesson(chat: Chat) -> None:
    await chat.send(option="learn")
    await chat.send(option="skip_all")
    await chat.send(option="topic:vneid")
    await chat.send(option="lesson:vneid-1")
    assert chat.screen == "lesson.step", chat.text


async def plan(chat: Chat) -> NudgePlan:
    async with chat.runtime.db.sessions() as session:
        user_id = await session.scalar(select(User.id).where(User.external_id == chat.user))
        found = await session.get(NudgePlan, user_id)
    assert found is not None
    return found


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_thursday_evening_is_chosen_at_the_end_of_onboarding_and_goes_out_on_thursday_evening(chat) -> None:
    await chat.send("/start")
    for text in ("đồng ý", "Bà Lan", "3", "1", "tổ 5"):
        await chat.send(text)
    assert chat.screen == "nudges.offer" and "Nhắc tôi học?" in chat.last.text and "21:00" in chat.last.text
    assert chat.labels() == ["Có", "Không cần nhắc", "Để sau"]
    await chat.send("có")
    assert chat.screen == "nudges.day" and chat.labels()[:4] == ["Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5"]
    assert len(chat.labels()) <= 6
    await chat.send("thu 5")  # typed without diacritics
    assert chat.screen == "nudges.part" and "Thứ 5" in chat.last.text
    assert chat.labels() == ["Buổi sáng (8:00–11:00)", "Buổi chiều (14:00–17:00)", "Buổi tối (19:00–20:30)", "Quay lại"]
    await chat.send("3")
    assert chat.screen == "nudges.saved"
    assert "Thứ 5, buổi tối (19:00–20:30), mỗi tuần nhiều nhất 1 lần" in chat.last.text and "DỪNG" in chat.last.text
    await chat.send("thế là đủ")
    assert chat.screen == "menu"

    assert await run(chat.runtime, moments(MONDAY)) == 1
    [row] = await nudge_rows(chat.runtime)
    sent_at = aware(row.not_before).astimezone(WARD_TZ)
    assert sent_at.date() == THURSDAY and time(19, 0) <= sent_at.time() < time(20, 30)
    assert row.text.startswith("Chào Bà Lan! Bài tiếp: ") and " phút." in row.text.split("\n")[0]
    assert row.options == [{"id": "nudge:go", "label": "▶ Học ngay"}]
    assert row.priority == PRIORITY == NUDGE and NUDGE > BULK > REPLY  # after every reply and broadcast


async def test_the_button_starts_the_lesson_it_named(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    await run(chat.runtime, moments(THURSDAY, 1))
    [row] = await nudge_rows(chat.runtime)
    title = row.text.split("Bài tiếp: ", 1)[1].split(" — ")[0]
    await chat.send(option="nudge:go")  # the button of a pushed message, whatever screen the person is on
    assert chat.screen == "lesson.step" and title in chat.last.text


async def test_never_twice_a_week_and_as_many_as_the_days_chosen(runtime: Runtime) -> None:
    one, two = Chat(runtime), Chat(runtime)
    await choose(one, "yes", "d3", "evening", "done")
    await choose(two, "yes", "d0", "morning", "add", "d3", "afternoon")
    assert "Thứ 2, Thứ 5, buổi chiều (14:00–17:00), mỗi tuần nhiều nhất 2 lần" in two.text
    await two.send(option="done")
    assert ((await plan(two)).days, (await plan(two)).part) == (0b1001, "afternoon")
    assert await run(runtime, moments(MONDAY, 7)) == 1 + 2
    for chat in (one, two):
        await chat.send("menu")  # they answered: no pause after three ignored
    assert await run(runtime, moments(MONDAY + timedelta(days=7), 7)) == 1 + 2
    async with runtime.db.sessions() as session:
        weeks = list(await session.execute(select(Nudge.user_id, Nudge.week, Nudge.day).order_by(Nudge.id)))
    per_week: dict[tuple[int, str], int] = {}
    for user_id, week, _day in weeks:
        per_week[user_id, week] = per_week.get((user_id, week), 0) + 1
    assert sorted(per_week.values()) == [1, 1, 2, 2]
    assert {d.weekday() for _u, _w, d in weeks} == {0, 3}


async def test_never_in_quiet_hours_even_when_the_ward_narrows_them(tmp_path, runtime: Runtime) -> None:
    runtime.services.settings = runtime.settings.model_copy(update={"nudge_hours": "07:00-19:30"})
    runtime.settings = runtime.services.settings
    chat = Chat(runtime)
    await choose(chat, "yes", "d3", "evening")
    assert "buổi tối (19:00–19:20)" in chat.text
    await chat.send(option="done")
    await run(runtime, moments(MONDAY, 7))
    [row] = await nudge_rows(runtime)
    assert time(19, 0) <= aware(row.not_before).astimezone(WARD_TZ).time() < time(19, 20)
    assert await run(runtime, [local(THURSDAY + timedelta(days=7), 19, 45)]) == 0  # evening, but past the hours


async def test_a_nudge_not_sent_in_its_evening_is_withdrawn_not_sent_at_night(runtime: Runtime) -> None:
    chat = Chat(runtime, channel="zalo")
    await choose(chat, "yes", "d3", "evening", "done")
    await run(runtime, moments(THURSDAY, 1, only=[3]))  # the channel was down: nothing went out all evening
    assert [row.status for row in await nudge_rows(runtime)] == ["cancelled"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_pauses_after_three_ignored_and_any_message_resumes(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    assert await run(chat.runtime, moments(MONDAY, 7 * 5, only=[3])) == 3
    assert (await plan(chat)).paused_at is not None
    await chat.send("menu")  # any message
    resumed = await plan(chat)
    assert resumed.paused_at is None and resumed.ignored == 0
    async with chat.runtime.db.sessions() as session:
        assert all(n.answered_at is not None for n in await session.scalars(select(Nudge)))
    assert await run(chat.runtime, moments(MONDAY + timedelta(days=7 * 5), 7, only=[3])) == 1


async def test_a_reply_between_nudges_keeps_them_coming(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    for week in range(5):
        assert await run(chat.runtime, moments(MONDAY + timedelta(days=7 * week), 7, only=[3])) == 1
        await chat.send(option="nudge:go")
    assert (await plan(chat)).paused_at is None


async def test_no_nudge_on_a_broadcast_day(runtime: Runtime) -> None:
    chat = Chat(runtime, channel="telegram", user="5551")
    await choose(chat, "yes", "d3", "evening", "done")
    async with runtime.db.transaction() as session:
        await broadcasts.create(session, actor=Actor("telegram:1", "test"), text="Họp tổ dân phố tối thứ Năm.",
                                audience=Audience("all"), at=local(THURSDAY, 9))
    assert await run(runtime, moments(MONDAY, 7)) == 0


async def test_a_broadcast_queued_later_that_day_withdraws_the_waiting_nudge(runtime: Runtime) -> None:
    chat = Chat(runtime, channel="zalo", user="5552")
    await choose(chat, "yes", "d3", "evening", "done")
    await run(runtime, [local(THURSDAY, 20, 0)])
    assert [row.status for row in await nudge_rows(runtime)] == ["queued"]
    async with runtime.db.transaction() as session:
        await broadcasts.create(session, actor=Actor("telegram:1", "test"), text="Cúp nước tối nay.",
                                audience=Audience("all"), urgent=True)
        await session.execute(update(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None))
                              .values(not_before=local(THURSDAY, 20, 5)))
    await run(runtime, [local(THURSDAY, 20, 10)])
    assert [row.status for row in await nudge_rows(runtime)] == ["cancelled"]


@pytest.mark.parametrize("channel", ["web", "telegram", "zalo"])
@pytest.mark.parametrize("where", ["menu", "lesson", "quiz", "settings"])
async def test_dung_stops_nudges_from_any_screen_on_every_channel(runtime: Runtime, channel: str, where: str) -> None:
    chat = Chat(runtime, channel=channel, user="77" + str(abs(hash((channel, where))) % 10**6))
    await choose(chat, "yes", "d3", "evening", "done")
    if where == "lesson":
        await open_lesson(chat)
    elif where == "quiz":
        await chat.send(option="quiz")
        await chat.send(option="topic:vneid")
        await chat.send(option="start")
    elif where == "settings":
        await chat.send("Cài đặt")
    assert chat.screen == {"menu": "menu", "lesson": "lesson.step", "quiz": "quiz.question", "settings": "settings"}[where]
    before, labels = chat.screen, chat.labels()
    await chat.send("DỪNG")
    assert "Đã dừng nhắc học, trên mọi kênh" in chat.text and "tắt thông báo" in chat.text
    assert chat.screen == before and chat.labels() == labels  # the screen they were on comes back
    assert (await plan(chat)).stopped_at is not None
    assert await run(runtime, moments(THURSDAY, 1)) == 0
    await chat.send("tiếp tục")
    assert "Đã bật lại nhắc học: Thứ 5, buổi tối" in chat.text and chat.screen == before
    assert await run(runtime, moments(THURSDAY, 1)) == 1


async def test_dung_nhac_typed_without_diacritics_and_what_it_is_not(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    await chat.send("dung nhac")
    assert "Đã dừng nhắc học" in chat.text
    await chat.send("tiep tuc")
    assert "Đã bật lại nhắc học" in chat.text
    await open_lesson(chat)
    step = chat.last.text
    await chat.send("tiếp tục")  # nothing stopped: "tiếp tục" in a lesson is the next step
    assert chat.screen == "lesson.step" and chat.last.text != step and "nhắc học" not in chat.text


async def test_a_name_dung_is_a_name_and_dung_alone_stops_elsewhere(chat) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send("Dung")
    assert chat.screen == "onboarding.age"
    for text in ("3", "1", "tổ 5"):
        await chat.send(text)
    for option in ("yes", "d3", "evening", "done"):
        await chat.send(option=option)
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(User.display_name).where(User.external_id == chat.user)) == "Dung"
    await chat.send("dung")  # on the menu, where nothing reads "đúng"
    assert "Đã dừng nhắc học" in chat.text


async def test_dung_without_a_plan_says_what_it_can_stop(chat) -> None:
    await chat.onboard()
    await chat.send("dừng")
    assert "chưa bật nhắc học" in chat.text and "tắt thông báo" in chat.text and chat.screen == "menu"


async def test_never_and_settings_path(chat) -> None:
    await choose(chat, "never")
    assert chat.screen == "menu" and "không nhắc bạn học" in chat.text
    assert (await plan(chat)).days == 0
    assert await run(chat.runtime, moments(MONDAY)) == 0
    await chat.send("Cài đặt")
    await chat.send(option="notifications")
    assert chat.labels()[0] == "⏰ Nhắc học"
    await chat.send("nhac hoc")
    assert chat.screen == "nudges.offer" and "Hiện tại: không nhắc." in chat.last.text
    await chat.send(option="yes")
    await chat.send("chủ nhật")
    await chat.send(option="morning")
    await chat.send(option="done")
    assert chat.screen == "settings"
    assert await run(chat.runtime, moments(MONDAY)) == 1


async def test_zalo_one_after_a_nudge_is_its_button(runtime: Runtime) -> None:
    chat = Chat(runtime, channel="zalo")
    await choose(chat, "yes", "d3", "evening", "done")
    await run(runtime, moments(THURSDAY, 1))
    async with runtime.db.transaction() as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.kind == "nudge")
                              .values(status="sent", sent_at=datetime.now(UTC) + timedelta(seconds=5)))
    await chat.send("1")  # the numbered list under the nudge: "1. ▶ Học ngay"
    assert chat.screen == "lesson.step"


async def test_web_residents_get_it_in_their_history(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    await run(chat.runtime, moments(THURSDAY, 1))
    async with chat.runtime.db.transaction() as session:  # Thursday evening has come on the real clock too
        await session.execute(update(OutboxMessage).values(not_before=datetime.now(UTC) - timedelta(minutes=1)))
    await chat.send("menu")
    assert "Bài tiếp:" in chat.replies[0].text and "Học bài" in chat.replies[0].text


async def test_staff_see_nudge_counts_per_tdp(runtime: Runtime) -> None:
    answering, silent = Chat(runtime), Chat(runtime)
    await choose(answering, "yes", "d3", "evening", "done")
    await choose(silent, "yes", "d3", "evening", "done")
    await run(runtime, moments(THURSDAY, 1))
    await answering.send("menu")
    async with runtime.db.sessions() as session:
        rows = await tdp_figures(session, Period.monthly(2026, 12))
    counted = [(r.tdp_name, r.nudges, r.nudges_answered) for r in rows if r.nudges]
    assert counted == [("Tổ dân phố số 5", 2, 1)]


def test_the_nudge_hours_setting_is_checked() -> None:
    assert make_settings("sqlite+aiosqlite:///x.db").nudge_window == (7 * 60, 21 * 60)
    with pytest.raises(ValueError):
        make_settings("sqlite+aiosqlite:///x.db", nudge_hours="21:00-07:00")


async def test_a_due_review_is_what_the_nudge_offers(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    async with chat.runtime.db.transaction() as session:
        user_id = int(await session.scalar(select(User.id).where(User.external_id == chat.user)) or 0)
        await meet_lesson(session, chat.runtime.services.content, user_id, "vneid-1", datetime.now(UTC))
    await run(chat.runtime, moments(THURSDAY, 1))  # the questions met today are due by Thursday
    [row] = await nudge_rows(chat.runtime)
    assert row.text.startswith("Chào Bà Lan! Ôn nhanh: 3 câu") and row.options[0]["label"] == "▶ Ôn ngay"
    async with chat.runtime.db.transaction() as session:  # Thursday has come on the real clock too
        await session.execute(update(ReviewItem).values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
    await chat.send(option="nudge:go")
    assert chat.screen == "review.question" and chat.last.text.startswith("Ôn nhanh 1/3:")


async def test_the_persons_copy_holds_their_nudges_and_review_and_deletion_removes_them(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    async with chat.runtime.db.transaction() as session:
        person = await session.scalar(select(User).where(User.external_id == chat.user))
        assert person is not None
        await meet_lesson(session, chat.runtime.services.content, person.id, "vneid-1", datetime.now(UTC))
    await run(chat.runtime, moments(THURSDAY, 1))
    async with chat.runtime.db.transaction() as session:
        person = await session.scalar(select(User).where(User.external_id == chat.user))
        assert person is not None
        sections = {s.table: s.rows for s in await export.collect(session, person)}
        assert sections["nudge_plans"] == [{"days": 8, "part": "evening", "chosen_at": sections["nudge_plans"][0]["chosen_at"],
                                            "stopped_at": None, "paused_at": None, "ignored": 1}]
        assert [r["day"] for r in sections["nudges"]] == [THURSDAY.isoformat()]
        assert len(sections["review_items"]) >= 3 and sections["review_items"][0]["box"] == 1
        await erase_person(session, person, Actor("cli", "test"), "test")
    async with chat.runtime.db.sessions() as session:
        for model in (NudgePlan, Nudge, ReviewItem):
            assert list(await session.scalars(select(model))) == []


def test_the_words_dung_and_tiep_tuc_as_residents_type_them() -> None:
    for text in ("DỪNG", "dừng", "Dừng!", "dung nhac", "Dừng nhắc", "dừng nhắc học", "tat nhac hoc", "dung"):
        assert global_action(text) == "stop_nudges", text
    for text in ("TIẾP TỤC", "tiep tuc", "Tiếp tục", "bat nhac hoc"):
        assert global_action(text) == "resume_nudges", text
    assert not ambiguous("DỪNG") and not ambiguous("dừng")
    assert ambiguous("dung") and ambiguous("Đúng") and ambiguous("DUNG")  # also "đúng": depends on the screen
    assert global_action("dung lai") == "cancel" and global_action("tiep") is None


async def test_dung_on_a_true_false_question_is_the_answer_dung(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    await chat.send(option="quiz")
    await chat.send(option="topic:antoan")
    await chat.send(option="start")
    question = next(q for q in chat.runtime.services.content.questions["antoan"] if q.kind == "truefalse")
    async with chat.runtime.db.transaction() as session:
        attempt = await session.scalar(select(QuizAttempt).order_by(QuizAttempt.id.desc()))
        assert attempt is not None
        attempt.question_ids = [question.id, *attempt.question_ids[1:]]
        attempt.orders = [[0, 1], *attempt.orders[1:]]
    await chat.send(option="again")  # the screen shown again, now with "A. Đúng" / "B. Sai"
    assert chat.labels()[:2] == ["A. Đúng", "B. Sai"]
    await chat.send("dung")
    assert chat.replies[0].screen == "quiz.feedback" and "nhắc học" not in chat.text
    assert (await plan(chat)).stopped_at is None


async def test_tat_thong_bao_stops_announcements_only_and_says_how_to_stop_nudges(chat) -> None:
    await choose(chat, "yes", "d3", "evening", "done")
    await chat.send("tắt thông báo")
    assert "Đã tắt thông báo của phường" in chat.text and "gõ DỪNG" in chat.text
    assert (await plan(chat)).stopped_at is None
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(User.notifications_off).where(User.external_id == chat.user)) is True
    assert await run(chat.runtime, moments(THURSDAY, 1)) == 1  # nudges are the person's own choice, kept
