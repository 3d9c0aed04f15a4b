"""`bot content check` guards what residents get: quizzes a blind guesser cannot pass, steps that
fit one phone screen, words explained where they are first used, lessons reviewed against sources."""

from __future__ import annotations

import itertools
import math
import random
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.content import guessing, readability
from bot.content.check import MAX_BLIND_PASS, check, find_warnings, topic_stats
from bot.content.loader import CONTENT_DIR
from bot.quiz import bank
from tests.conftest import shipped_content

BIASED_BANK = Path(__file__).resolve().parents[1] / "data" / "biased_bank" / "vneid.yaml"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_no_blind_strategy_passes_a_shipped_quiz() -> None:
    content = shipped_content()
    for row in topic_stats(content):
        report = row.guessing
        assert report is not None
        name, rate = report.worst
        assert rate <= MAX_BLIND_PASS, f"{row.topic}: {name} passes {rate:.1%}"
        rates = dict(report.rates)
        for strategy in ("random", "longest", "first", "Đúng > random", "scam word > random",
                         "scam word > longest", "Đúng > scam word > longest", "middle length"):
            assert rates[strategy] <= MAX_BLIND_PASS, (row.topic, strategy, rates[strategy])
        assert report.random_rate < 0.03, "pure guessing passes about 1-2% of quizzes"
        assert 0.4 <= (report.dung_share or 0.5) <= 0.6


def test_shipped_banks_mix_safe_and_scam_situations_and_do_not_repeat_checks() -> None:
    content = shipped_content()
    for topic, questions in content.questions.items():
        cases = [q.case for q in questions if q.kind == "situation"]
        assert "safe" in cases and "scam" in cases, topic
        checks = {fold_text(lesson.check.question) for lesson in content.lessons_by_topic[topic]}
        assert not any(fold_text(q.question) in checks for q in questions), topic


def fold_text(text: str) -> str:
    from bot.core.matching import fold
    return fold(text)


def test_a_biased_bank_fails_the_check(content_copy: Path) -> None:
    shutil.copy(BIASED_BANK, content_copy / "quiz" / "vneid.yaml")
    _, problems = check(content_copy)
    messages = [p.message for p in problems]
    assert any("topic vneid: answering blind by" in m and "passes 100.0%" in m for m in messages), messages
    assert any("“Đúng” answers 100%" in m for m in messages), messages


def test_the_command_fails_on_a_biased_bank_and_prints_the_figures(content_copy: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from bot import cli
    from bot.content import check as check_module

    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    result = CliRunner().invoke(cli.app, ["content", "check"])
    assert result.exit_code == 0, result.output
    assert "longest right" in result.output and "best blind strategy" in result.output
    shutil.copy(BIASED_BANK, content_copy / "quiz" / "vneid.yaml")
    monkeypatch.setattr(check_module.check, "__defaults__", (content_copy,))
    result = CliRunner().invoke(cli.app, ["content", "check"])
    assert result.exit_code == 1
    assert "answering blind" in result.output and "100.0%" in result.output


def test_pass_rate_is_exact_over_every_draw() -> None:
    """The dynamic programme equals enumerating every set of drawn questions."""
    chances = [1.0, 0.5, 0.5, 1 / 3, 1 / 3, 0.25, 1.0, 0.0, 0.5, 0.75, 1 / 3, 0.5]

    def brute(draw: int, need: int) -> float:
        total = 0.0
        for chosen in itertools.combinations(chances, draw):
            for outcome in itertools.product((0, 1), repeat=draw):
                if sum(outcome) >= need:
                    total += math.prod(c if right else 1 - c for c, right in zip(chosen, outcome))
        return total / math.comb(len(chances), draw)

    assert guessing.pass_rate(chances, 80, draw=5) == pytest.approx(brute(5, 4))
    assert guessing.pass_rate(chances, 80, draw=10) == pytest.approx(brute(10, 8))
    assert guessing.pass_rate([0.5] * 10, 80) == pytest.approx(56 / 1024)  # ten coin tosses, 8 right


def test_the_analysis_matches_the_real_draw_of_the_quiz() -> None:
    """A seeded run of bank.draw with a blind 'longest option' answerer agrees with the exact rate."""
    questions = shipped_content().questions["thanhtoan"]
    exact = dict(guessing.analyse("thanhtoan", questions, 80).rates)["longest"]
    rng, runs, passed = random.Random(20), 4000, 0
    by_id = {q.id: q for q in questions}
    for _ in range(runs):
        points = 0
        for drawn in bank.draw(questions, rng):
            question = by_id[drawn.question_id]
            shown = [question.options[i] for i in drawn.order]
            longest = max(len(option) for option in shown)
            points += bank.is_correct(question, drawn.order, next(i for i, o in enumerate(shown) if len(o) == longest))
        passed += bank.passed(points, 10, 80)
    assert abs(passed / runs - exact) < 0.02


def test_the_check_is_quick() -> None:
    content = shipped_content()
    started = time.perf_counter()
    for topic, questions in content.questions.items():
        guessing.analyse(topic, questions, 80)
    assert (time.perf_counter() - started) / len(content.questions) < 0.5


def test_every_step_fits_one_screen_as_sent() -> None:
    for lesson in shipped_content().all_lessons():
        for message in readability.rendered_steps(lesson):
            assert len(message) <= readability.MAX_RENDERED, (lesson.id, len(message))
            assert message.startswith("📖 ") and "\n\n" in message


def test_a_step_too_long_for_the_screen_is_reported(content_copy: Path) -> None:
    path = content_copy / "lessons" / "vneid.yaml"
    edit(path, '"Khi làm hoặc đổi thẻ căn cước, bạn có thể được cấp tài khoản mức 2 cùng lúc."',
         '"' + "Khi làm hoặc đổi thẻ căn cước, bạn có thể được cấp tài khoản mức 2 cùng lúc. " * 4 + '"')
    _, problems = check(content_copy)
    assert any("vneid-1: step 4 is" in p.message and "split it" in p.message for p in problems)


def test_a_long_sentence_is_reported(content_copy: Path) -> None:
    path = content_copy / "lessons" / "vneid.yaml"
    edit(path, '"Chưa biết mình mức mấy? Hỏi công an phường, hoặc nhờ con cháu xem cùng."',
         '"Chưa biết mình mức mấy thì bạn có thể đến hỏi công an phường nơi bạn ở hoặc nhờ con cháu '
         'trong nhà ngồi cạnh mở ứng dụng ra xem cùng cho chắc chắn."')
    _, problems = check(content_copy)
    assert any("vneid-1: sentence of 3" in p.message for p in problems), [p.message for p in problems]


def test_a_word_used_before_it_is_explained_is_reported(content_copy: Path) -> None:
    path = content_copy / "lessons" / "thanhtoan.yaml"
    edit(path, '"Bạn có thể trả tiền điện ngay trong ứng dụng ngân hàng. Hoặc qua ví điện tử: ứng dụng giữ tiền và trả tiền trên điện thoại, như MoMo, VNPay, Payoo."',
         '"Bạn có thể trả tiền điện ngay trong ứng dụng ngân hàng, hoặc qua ví điện tử như MoMo, VNPay, Payoo."')
    _, problems = check(content_copy)
    assert any("thanhtoan-6: “ví điện tử” is used before it is explained" in p.message for p in problems)


def test_glossary_explanations_are_recognised() -> None:
    term = next(t for t in shipped_content().glossary if t.term == "shipper")
    assert readability.explains("Shipper là người giao hàng.", term)
    assert readability.explains("tin nhắn giả shipper (người giao hàng)", term)
    assert not readability.explains("Tin nhắn giả shipper báo đơn có vấn đề.", term)


def test_a_quiz_item_repeating_the_lesson_check_is_reported(content_copy: Path) -> None:
    path = content_copy / "quiz" / "vneid.yaml"
    edit(path, 'question: "Kích hoạt VNeID, đặt passcode xong thì bạn làm gì?"', 'question: "Passcode của VNeID gồm gì?"')
    _, problems = check(content_copy)
    assert any("vneid-q12: repeats the check question of vneid-3" in p.message for p in problems)


def test_situations_that_are_all_scams_are_reported(content_copy: Path) -> None:
    path = content_copy / "quiz" / "vneid.yaml"
    text = path.read_text(encoding="utf-8").replace("case: safe", "case: scam")
    path.write_text(text, encoding="utf-8")
    _, problems = check(content_copy)
    assert any("topic vneid: 0% of situations are safe cases" in p.message for p in problems)


def test_situations_must_say_their_case(content_copy: Path) -> None:
    path = content_copy / "quiz" / "vneid.yaml"
    text = path.read_text(encoding="utf-8").replace("    case: safe\n", "", 1)
    path.write_text(text, encoding="utf-8")
    _, problems = check(content_copy)
    assert any("case: scam" in p.message and p.path == path for p in problems)


def test_lessons_say_when_they_were_reviewed_and_old_reviews_warn(content_copy: Path) -> None:
    content = shipped_content()
    assert all(lesson.reviewed <= date.today() for lesson in content.all_lessons())
    assert find_warnings(content, today=min(item.reviewed for item in content.all_lessons())) == []
    later = find_warnings(content, today=date(2099, 1, 1))
    assert len(later) == len(content.lessons) and "more than 12 months ago" in later[0].message
    path = content_copy / "lessons" / "antoan.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("reviewed:"))
    path.write_text("\n".join(lines[:index] + lines[index + 1:]) + "\n", encoding="utf-8")
    _, problems = check(content_copy)
    assert any(p.path == path and "reviewed" in p.message for p in problems)


def test_sources_shown_under_lessons_have_short_titles() -> None:
    content = shipped_content()
    for lesson in content.all_lessons():
        for source_id in lesson.sources:
            source = content.sources[source_id]
            assert source.short and len(source.short) <= 40 and source.label == source.short


def test_the_facts_fixed_for_issue_20_are_taught_with_their_sources() -> None:
    content = shipped_content()
    everything = "\n".join(
        [step.text for lesson in content.all_lessons() for step in lesson.steps]
        + [q.question + q.explanation for qs in content.questions.values() for q in qs]
        + [entry.answer for entry in content.faq])
    assert "thongbaorac" not in everything
    assert "Smart OTP" in content.lessons["thanhtoan-1"].steps[5].text
    assert "Thông tư 50/2024/TT-NHNN" in " ".join(s.text for s in content.lessons["thanhtoan-5"].steps)
    assert "S44" in content.lessons["thanhtoan-5"].sources
    assert "Dịch vụ công liên thông khai sinh, khai tử" in " ".join(s.text for s in content.lessons["dichvucong-3"].steps)
    assert "“Quên mật khẩu”" in content.lessons["vneid-7"].steps[0].text
    assert "NFC" in " ".join(s.text for s in content.lessons["vneid-7"].steps)
    assert "thuế khoán" in " ".join(s.text for s in content.lessons["choso-4"].steps)
    assert "91/2025/QH15" in " ".join(s.text for s in content.lessons["antoan-9"].steps)
    bought = next(q for q in content.questions["thanhtoan"] if q.id == "thanhtoan-q09")
    assert "ứng dụng của họ" in bought.options[bought.answer], "the seller checks their own account"
    for source_id in ("S41", "S43", "S44", "S46", "S47", "S48", "S50", "S53", "S56", "S60"):
        assert content.sources[source_id].url


def test_yaml_fixture_is_a_valid_bank() -> None:
    data = yaml.safe_load(BIASED_BANK.read_text(encoding="utf-8"))
    assert data["topic"] == "vneid" and len(data["questions"]) >= 15


def test_faq_answers_follow_the_same_rules(content_copy: Path) -> None:
    """Residents read FAQ answers too: short sentences, and the lesson they point to must exist."""
    path = content_copy / "faq" / "antoan.yaml"
    edit(path, 'Xem bài "Khóa chặt Zalo, Facebook".', 'Xem bài "Khóa Zalo".')
    edit(path, "không dùng ngày sinh.", "không dùng ngày sinh, số điện thoại, tên con cháu, tên quê, số nhà "
         "hay bất cứ thứ gì người quen của bạn có thể đoán ra được trong vài phút.")
    _, problems = check(content_copy)
    messages = [p.message for p in problems]
    assert any("at-khoa-tk: names a lesson “Khóa Zalo” that does not exist" in m for m in messages), messages
    assert any("at-khoa-tk: sentence of" in m for m in messages), messages
