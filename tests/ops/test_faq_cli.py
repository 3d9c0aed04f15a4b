"""`bot faq unanswered` groups similar questions; `bot faq add` turns a group into a draft the content check refuses."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.faq import faq_app
from bot.content.check import check
from bot.content.drafts import TODO_ANSWER
from bot.content.loader import CONTENT_DIR
from bot.content.models import FaqFile
from bot.db.learning import UnansweredQuestion
from bot.db.migrate import upgrade
from bot.db.session import Database


def at(day: int, hour: int = 3) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


ROWS = [
    ("quên mật khẩu VNeID rồi", at(1)),
    ("quên mật khẩu VNeID rồi", at(5)),       # 10:00 05/03/2026 in the ward's time (UTC+7)
    ("quen mat khau vneid", at(2)),
    ("quen mk vneid", at(3)),
    ("Quên mật khẩu vneid thì làm sao?", at(4)),
    ("quen mat khau vneid", at(4, 4)),         # same text twice: counted, shown once
    ("ck nhầm tiền thì làm sao", at(2)),
    ("chuyen khoan nham", at(3)),
    ("chuyển khoản nhầm", at(3, 5)),
    ("quên passcode VNeID", at(6)),
    ("giá vàng hôm nay", at(1)),
]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'faq.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    monkeypatch.chdir(tmp_path)
    return url


def insert(url: str, rows: list[tuple[str, datetime]]) -> None:
    async def work() -> None:
        db = Database(url)
        try:
            async with db.transaction() as session:
                session.add_all([UnansweredQuestion(text=text, channel="web", asked_at=when) for text, when in rows])
        finally:
            await db.dispose()

    asyncio.run(work())


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(faq_app, list(args))
    return result.exit_code, result.output


def test_similar_questions_are_one_group_with_count_last_date_and_examples(database: str) -> None:
    insert(database, ROWS)
    code, output = run("unanswered")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "#1      6 ×  quên mật khẩu VNeID rồi  (last 10:00 05/03/2026)"
    assert lines[1:4] == ["           · quen mat khau vneid", "           · Quên mật khẩu vneid thì làm sao?",
                          "           · quen mk vneid"]
    assert lines[4].startswith("#2      3 ×  chuyển khoản nhầm  (last ")
    assert "           · ck nhầm tiền thì làm sao" in lines  # "chuyen khoan nham" folds like the representative
    assert "           · chuyen khoan nham" not in lines
    # passcode is not the password (content/synonyms.yaml keeps them apart), and small talk stays alone
    assert [line[:4] for line in lines if not line.startswith(" ")] == ["#1  ", "#2  ", "#3  ", "#4  "]
    assert any("quên passcode VNeID" in line for line in lines) and any("giá vàng hôm nay" in line for line in lines)

    code, output = run("unanswered", "--limit", "1")
    assert code == 0 and output.count("#") == 1 and "quên mật khẩu VNeID rồi" in output


def test_json_and_since(database: str) -> None:
    insert(database, ROWS)
    code, output = run("unanswered", "--json")
    assert code == 0, output
    groups = json.loads(output)
    assert [(g["group"], g["count"]) for g in groups] == [(1, 6), (2, 3), (3, 1), (4, 1)]
    first = groups[0]
    assert first["representative"] == "quên mật khẩu VNeID rồi"
    assert first["last_asked"] == "2026-03-05T03:00:00+00:00"
    assert first["examples"] == ["quen mat khau vneid", "Quên mật khẩu vneid thì làm sao?", "quen mk vneid"]
    assert {t["text"]: t["count"] for t in first["texts"]} == {
        "quên mật khẩu VNeID rồi": 2, "quen mat khau vneid": 2, "quen mk vneid": 1, "Quên mật khẩu vneid thì làm sao?": 1}

    code, output = run("unanswered", "--json", "--since", "2026-03-05")
    assert code == 0, output
    assert [(g["representative"], g["count"]) for g in json.loads(output)] == [  # equal counts: latest first
        ("quên passcode VNeID", 1), ("quên mật khẩu VNeID rồi", 1)]
    assert run("unanswered", "--since", "05/03/2026")[0] == 2


def test_no_questions(database: str) -> None:
    assert run("unanswered") == (0, "no unanswered questions\n")
    assert run("unanswered", "--json") == (0, "[]\n")


def test_add_appends_a_draft_with_a_unique_id_and_the_groups_phrasings(database: str, tmp_path: Path) -> None:
    insert(database, ROWS)
    out = tmp_path / "drafts" / "faq.yaml"
    code, output = run("add", "1", "--topic", "vneid", "--out", str(out))
    assert code == 0, output
    assert "draft vneid-quen-mat-khau appended" in output and "content/faq/vneid.yaml" in output
    text = out.read_text(encoding="utf-8")
    assert "# DRAFT, NOT FINISHED (group 1 of `bot faq unanswered`, asked 6 time(s), last 05/03/2026)" in text
    entry = FaqFile.model_validate(yaml.safe_load(text)).faq[0]
    assert entry.id == "vneid-quen-mat-khau"
    assert entry.question == "quên mật khẩu VNeID rồi"
    assert entry.phrasings == ["quen mat khau vneid", "quen mat khau vneid thi lam sao", "quen mk vneid"]
    assert entry.answer == TODO_ANSWER and entry.sources == [] and entry.lesson is None
    assert '    phrasings: ["quen mat khau vneid", "quen mat khau vneid thi lam sao", "quen mk vneid"]\n' in text

    # the shipped FAQ has vneid-quen-passcode: the draft's id must not clash with it
    code, output = run("add", "3", "--topic", "vneid", "--out", str(out))
    assert code == 0, output
    code, output = run("add", "--text", "chuyển tiền nhầm tài khoản", "--topic", "thanhtoan", "--out", str(out))
    assert code == 0, output
    entries = FaqFile.model_validate(yaml.safe_load(out.read_text(encoding="utf-8"))).faq
    assert [e.id for e in entries] == ["vneid-quen-mat-khau", "vneid-quen-passcode-2", "tt-chuyen-tien-nham-tai-khoan"]
    assert entries[1].phrasings == []
    assert entries[2].phrasings == ["chuyen khoan nham", "ck nham tien thi lam sao"]  # its group's wordings

    code, output = run("add", "1", "--topic", "vneid", "--out", str(out))
    assert code == 1 and "already drafted" in output and "vneid-quen-mat-khau" in output
    assert len(FaqFile.model_validate(yaml.safe_load(out.read_text(encoding="utf-8"))).faq) == 3


def test_add_refuses_bad_requests_and_content_dir(database: str, tmp_path: Path) -> None:
    insert(database, ROWS)
    out = tmp_path / "drafts.yaml"
    assert run("add", "9", "--topic", "vneid", "--out", str(out))[0] == 1
    code, output = run("add", "1", "--topic", "nowhere", "--out", str(out))
    assert code == 1 and "unknown topic 'nowhere'" in output and "general" in output
    assert run("add", "--topic", "vneid", "--out", str(out))[0] == 2
    assert run("add", "1", "--text", "x", "--topic", "vneid", "--out", str(out))[0] == 2
    inside = CONTENT_DIR / "faq" / "zz-test-drafts.yaml"
    code, output = run("add", "1", "--topic", "vneid", "--out", str(inside))
    assert code == 2 and "inside content/" in output and not inside.exists()
    assert not out.exists()


def test_an_unfinished_draft_fails_the_content_check_and_a_completed_one_passes(database: str, tmp_path: Path) -> None:
    insert(database, ROWS)
    drafts = tmp_path / "drafts.yaml"
    assert run("add", "1", "--topic", "vneid", "--out", str(drafts))[0] == 0
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    moved = root / "faq" / "drafts.yaml"
    shutil.copy(drafts, moved)
    _, problems = check(root)
    mine = [str(p) for p in problems if p.path == moved]
    assert mine == [f"{moved}:1: vneid-quen-mat-khau: answer still says TODO: a draft to finish before it ships",
                    f"{moved}:1: vneid-quen-mat-khau: answer without Vietnamese diacritics"]

    done = drafts.read_text(encoding="utf-8").replace(
        TODO_ANSWER, "Bạn mở VNeID, bấm “Quên mật khẩu” rồi làm theo hướng dẫn trên màn hình.").replace(
        "sources: []", "sources: [S3]")
    moved.write_text(done, encoding="utf-8")
    _, problems = check(root)
    assert [p for p in problems if p.path == moved] == []
