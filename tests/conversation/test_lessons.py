"""Lessons: content passes its check, a whole topic through the web API, resume after a restart, the path."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.runtime import Runtime, build_runtime
from bot.content.check import check, lesson_words, topic_stats
from bot.content.loader import CONTENT_DIR
from bot.core.limits import InboundGuard, Limit
from bot.db.learning import LessonProgress
from bot.db.session import Database
from bot.lessons.path import StartAnswers, path, topic_order
from bot.web.app import create_app
from tests.conftest import make_settings, shipped_content


def test_shipped_content_passes_the_check() -> None:
    content, problems = check()
    assert problems == [] and content is not None
    stats = {row.topic: row for row in topic_stats(content)}
    for topic in content.core_topics:
        assert stats[topic.id].lessons >= 4 and stats[topic.id].questions >= 15
    assert stats["choso"].lessons >= 3 and stats["choso"].questions >= 10
    assert len(content.faq) >= 40
    assert stats["vneid"].minutes < 10, "a newcomer finishes VNeID in under 10 minutes of reading"
    assert all(len(step.text) <= 600 for lesson in content.all_lessons() for step in lesson.steps)
    assert all(lesson.sources for lesson in content.all_lessons())
    assert {"Lỡ chuyển tiền cho kẻ lừa đảo: làm gì ngay", "Dữ liệu cá nhân của bạn: quyền theo luật mới"} <= {
        lesson.title for lesson in content.all_lessons()}


def test_broken_file_fails_with_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    lesson_file = root / "lessons" / "vneid.yaml"
    lines = lesson_file.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("practice:"))
    lines[index] = lines[index].replace("practice:", "practise:")
    lesson_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = check(root)
    assert problems, "a misspelt field must be reported"
    assert any(p.path == lesson_file and p.line == index + 1 for p in problems), [str(p) for p in problems]

    (root / "quiz" / "antoan.yaml").write_text("topic: antoan\nquestions:\n  - id: x\n    answer: [\n", encoding="utf-8")
    _, problems = check(root)
    assert any(p.path.name == "antoan.yaml" and p.line >= 4 and "YAML" in p.message for p in problems)


def test_content_without_diacritics_is_rejected(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    lesson_file = root / "lessons" / "antoan.yaml"
    text = lesson_file.read_text(encoding="utf-8")
    first_step = text.index("- text:")
    end = text.index("\n", text.index("\n", first_step) + 1)  # the "- text: |" line and its one text line
    lesson_file.write_text(text[:first_step] + '- text: "Khong bao gio doc ma OTP cho nguoi la qua dien thoai"' + text[end:],
                           encoding="utf-8")
    _, problems = check(root)
    assert any("diacritics" in p.message for p in problems)


def test_path_changes_with_start_answers() -> None:
    content = shipped_content()
    default = topic_order(content, StartAnswers())
    assert default[:4] == ["vneid", "dichvucong", "thanhtoan", "antoan"]
    assert topic_order(content, StartAnswers(has_smartphone=False, uses_social=False, vneid_active=False))[0] == "antoan"
    assert topic_order(content, StartAnswers(True, True, True))[0] == "dichvucong"
    with_vneid = [lesson.id for lesson in path(content, StartAnswers(True, True, True))]
    without = [lesson.id for lesson in path(content, StartAnswers(True, True, False))]
    skipped = {lesson.id for lesson in content.all_lessons() if "vneid_active" in lesson.skip_if}
    assert skipped and skipped.isdisjoint(with_vneid) and skipped <= set(without)


async def post(client: TestClient, user: str, **body) -> list[dict]:
    response = await client.post("/api/messages", json={"user_id": user, **body})
    assert response.status == 200
    return (await response.json())["replies"]


async def test_whole_topic_through_the_api_with_resume_after_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    user = uuid.uuid4().hex
    content = shipped_content()
    lessons = content.lessons_by_topic["vneid"]

    async def app_client() -> tuple[TestClient, Runtime]:
        db = Database(url)
        await db.create_all()
        runtime = await build_runtime(make_settings(url), db=db, content=content)
        runtime.services.files_dir = tmp_path / "files"
        runtime.inbound = InboundGuard(Limit("inbound", 10_000, 10.0))  # this test taps faster than any person
        app = create_app(runtime)
        client = TestClient(TestServer(app))
        await client.start_server()
        return client, runtime

    client, runtime = await app_client()
    for text in ["/start", "dong y", "Bà Hoa", "3", "1", "to 2"]:
        await post(client, user, text=text)
    replies = await post(client, user, text="hoc bai")
    assert replies[-1]["screen"] == "path.start"
    for answer in ["co", "co", "khong"]:
        replies = await post(client, user, text=answer)
    assert replies[-1]["screen"] == "path.start" and "VNeID" in replies[-1]["text"]  # the suggested order
    assert replies[-1]["options"][0]["label"].startswith("Bắt đầu: ")  # its first lesson, one tap away
    replies = await post(client, user, text="xem tat ca chu de")
    assert replies[-1]["screen"] == "topic.list"
    assert "○ VNeID" in replies[-1]["text"]
    replies = await post(client, user, text="vneid")
    assert replies[-1]["screen"] == "topic.lessons"
    replies = await post(client, user, option=f"lesson:{lessons[0].id}")
    assert replies[-1]["screen"] == "lesson.step" and "Bước 1/" in replies[-1]["text"]
    assert [o["id"] for o in replies[-1]["options"]][:2] == ["next", "back"]
    replies = await post(client, user, text="tiep")
    assert "Bước 2/" in replies[-1]["text"]
    await client.close()
    await runtime.close()

    client, runtime = await app_client()  # the app restarts; the resident comes back days later
    replies = await post(client, user, text="menu")
    assert replies[-1]["options"][0]["label"].startswith("▶ Học tiếp")
    replies = await post(client, user, text="hoc tiep")
    assert "Bước 2/" in replies[-1]["text"] and lessons[0].title in replies[-1]["text"]
    replies = await post(client, user, text="quay lai")
    assert "Bước 1/" in replies[-1]["text"]

    for lesson in lessons:
        if replies[-1]["screen"] != "lesson.step":
            replies = await post(client, user, text="bai tiep")
        assert lesson.title in replies[-1]["text"], replies[-1]["text"]
        while replies[-1]["screen"] == "lesson.step":
            replies = await post(client, user, text="tiep")
        assert replies[-1]["screen"] == "lesson.practice"
        replies = await post(client, user, text="tiep")
        assert replies[-1]["screen"] == "lesson.check"
        shown = [o["label"] for o in replies[-1]["options"] if o["id"] != "back" and not o["id"].startswith("listen:")]
        assert sorted(shown) == sorted(lesson.check.options)
        replies = await post(client, user, text=str(shown.index(lesson.check.options[lesson.check.answer]) + 1))
        assert replies[0]["screen"] == "lesson.feedback" and "Đúng rồi" in replies[0]["text"]
        assert replies[-1]["screen"] == "lesson.done" and lesson.title in replies[-1]["text"]
        source = content.sources[lesson.sources[0]]
        assert "Nguồn tham khảo" in replies[-1]["text"] and f"{source.short}: {source.url}" in replies[-1]["text"]
        assert source.title not in replies[-1]["text"], "the short title, not the long one"
    assert any(o["id"] == "quiz" for o in replies[-1]["options"]), "a finished topic offers its quiz"
    await post(client, user, text="menu")
    replies = await post(client, user, text="hoc bai")
    assert "✓ VNeID" in replies[-1]["text"]
    async with runtime.db.sessions() as session:
        rows = list(await session.scalars(select(LessonProgress).where(LessonProgress.topic_id == "vneid")))
    assert len(rows) == len(lessons) and all(r.completed_at for r in rows)
    await client.close()
    await runtime.close()


async def test_wrong_check_answer_still_completes_with_feedback(chat) -> None:
    lesson = shipped_content().lessons_by_topic["antoan"][0]
    await chat.onboard()
    await chat.send("hoc bai")
    await chat.send("bo qua ca ba cau")
    await chat.send(option="topic:antoan")
    await chat.send(option=f"lesson:{lesson.id}")
    while chat.screen == "lesson.step":
        await chat.send("tiếp")
    await chat.send("tiếp")
    wrong = next(i for i, option in enumerate(chat.last.options) if option.id != f"a{lesson.check.answer}")
    await chat.send(str(wrong + 1))
    assert "Chưa đúng" in chat.replies[0].text and lesson.check.options[lesson.check.answer] in chat.replies[0].text
    assert chat.screen == "lesson.done"


def test_topic_reading_time_uses_every_word() -> None:
    lesson = shipped_content().lessons_by_topic["vneid"][0]
    assert lesson_words(lesson) > sum(len(step.text.split()) for step in lesson.steps)


async def test_typed_shortcuts_open_a_topic_or_a_lesson(chat) -> None:
    await chat.send("/start")
    await chat.send("de sau")
    await chat.send("hoc vneid")
    assert chat.screen == "topic.lessons" and "VNeID" in chat.last.text
    await chat.send("bai 2")
    assert chat.screen == "lesson.step" and shipped_content().lessons["vneid-2"].title in chat.last.text
    await chat.send("menu")
    await chat.send("an toan tren mang")
    assert chat.screen == "topic.lessons" and "An toàn trên mạng" in chat.last.text
    await chat.send("menu")
    await chat.send("ck nham tien thi sao")
    assert chat.screen == "faq.answer" and "ngân hàng" in chat.last.text


def test_content_check_command_prints_the_table_and_fails_on_problems(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from bot import cli
    from bot.content import check as check_module

    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    result = CliRunner().invoke(cli.app, ["content", "check"])
    assert result.exit_code == 0, result.output
    assert "vneid" in result.output and "content is valid" in result.output and "minutes" in result.output
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    (root / "lessons" / "vneid.yaml").write_text("topic: vneid\nlessons: []\n", encoding="utf-8")
    monkeypatch.setattr(check_module, "CONTENT_DIR", root)
    monkeypatch.setattr(check_module.check, "__defaults__", (root,))
    result = CliRunner().invoke(cli.app, ["content", "check"])
    assert result.exit_code == 1 and "vneid.yaml:2" in result.output


async def test_check_options_are_shuffled_and_answered_by_what_was_shown(chat) -> None:
    """Like quiz options: the right answer is not always the same button; "2" means the second one shown."""
    lesson = shipped_content().lessons["vneid-1"]
    right = lesson.check.options[lesson.check.answer]
    await chat.onboard()
    positions = set()
    for _ in range(12):
        await chat.send(option="menu")
        await chat.send("hoc bai")
        if chat.screen == "path.start":
            await chat.send("bo qua ca ba cau")
        await chat.send(option="topic:vneid")
        await chat.send(option=f"lesson:{lesson.id}")
        while chat.screen == "lesson.step":
            await chat.send("tiếp")
        await chat.send("tiếp")
        assert chat.screen == "lesson.check"
        labels = chat.labels()[:-1]  # the last one is "Quay lại"
        await chat.send("trợ giúp")  # help, then the same question again: the order the person saw stays
        assert chat.labels()[:-1] == labels
        positions.add(labels.index(right))
        await chat.send(str(labels.index(right) + 1))
        assert "Đúng rồi" in chat.replies[0].text
    assert len(positions) > 1, "the right option moves between showings"
