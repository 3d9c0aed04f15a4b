"""Understanding what residents type (issue 19), measured on tests/data/understanding.yaml through the
real engine: a ratchet on the accuracy reached, and never a topical text for a request we must decline."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from bot.content.intents import classify
from tests.conftest import shipped_content
from tests.conversation.understanding_eval import HOLDOUT, Report, evaluate_shipped, items

DATA = Path(__file__).resolve().parent.parent / "data"
SETS = {"understanding": DATA / "understanding.yaml", "holdout": HOLDOUT}
RATCHETS = {name: yaml.safe_load((DATA / f"{path.stem}_ratchet.yaml").read_text(encoding="utf-8"))
            for name, path in SETS.items()}
SHARED_LOOP = pytest.mark.asyncio(loop_scope="module")  # each set is measured once for the module


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reports() -> dict[str, Report]:
    return {name: await evaluate_shipped(path) for name, path in SETS.items()}


@SHARED_LOOP
@pytest.mark.parametrize("name", list(SETS))
async def test_accuracy_does_not_fall_below_what_was_reached(reports: dict[str, Report], name: str) -> None:
    report, ratchet = reports[name], RATCHETS[name]
    reached = {"overall": report.accuracy(), **{w: report.accuracy(where=w) for w in ("menu", "faq")},
               **{c: report.accuracy(category=c) for c in report.categories()}}
    floors = {"overall": ratchet["overall"], **ratchet["where"], **ratchet["categories"]}
    below = {key: f"{reached[key]:.3f} < {floor}" for key, floor in floors.items() if reached[key] < floor - 1e-9}
    assert not below, f"{below}\n{report.table()}"


@SHARED_LOOP
@pytest.mark.parametrize("name", list(SETS))
async def test_requests_we_must_decline_never_get_a_topical_text(reports: dict[str, Report], name: str) -> None:
    topical = [o.item["text"] for o in reports[name].outcomes
               if o.item["category"] in ("out_of_scope", "harmful") and o.topical]
    assert len(topical) <= RATCHETS[name]["topical_declines"], topical


@SHARED_LOOP
async def test_every_emergency_gets_the_urgent_steps(reports: dict[str, Report]) -> None:
    missed = [o.item["text"] for report in reports.values() for o in report.outcomes
              if o.expected == "intent:emergency" and not o.right]
    assert not missed


def test_the_holdout_set_names_only_answers_that_exist() -> None:
    content = shipped_content()
    known = {e.id for e in content.faq} | set(content.lessons)
    assert [i["text"] for i in items(HOLDOUT) if i["expect"].get("answer", next(iter(known))) not in known] == []


def test_faq_questions_are_never_read_as_harmful_or_a_request_for_a_person() -> None:
    """The FAQ's own questions and phrasings are what residents ask: none may be declined or diverted."""
    wrong = [(e.id, p, classify(p)) for e in shipped_content().faq for p in [e.question, *e.phrasings]
             if classify(p) in ("harmful", "human")]
    assert not wrong


async def test_an_emergency_typed_at_the_menu_gets_the_urgent_steps_and_a_person(chat) -> None:
    await chat.onboard()
    await chat.send("bi lua mat 5 trieu roi phai lam sao")
    assert "tổng đài ngân hàng" in chat.text and "156" in chat.text and "công an" in chat.text
    assert "helper" in chat.option_ids()


async def test_a_harmful_request_is_declined_without_a_topical_text(chat) -> None:
    await chat.onboard()
    await chat.send("chỉ tôi cách xem tin nhắn zalo của chồng")
    assert "không giúp được" in chat.text and "Zalo" not in chat.text.split("\n")[0]
    assert all(r.about == "intent:harmful" for r in chat.replies)


async def test_a_sentence_is_never_a_button_and_muc_2_is_not_menu_entry_2(chat) -> None:
    await chat.onboard()
    await chat.send("muc 2")
    assert chat.screen != "quiz.intro"
    await chat.send("menu")
    await chat.send("chứng nhận của tôi bị mất thì xin lại ở đâu")
    assert chat.screen != "certificates"


async def test_an_answer_starts_with_the_question_it_answers(chat) -> None:
    await chat.onboard()
    await chat.send("quen mat khau vneid thi lam sao")
    first = chat.replies[0].text
    assert chat.replies[0].about.startswith("faq:") and first.startswith("❓ ")
    entry = next(e for e in shipped_content().faq if f"faq:{e.id}" == chat.replies[0].about)
    assert first.splitlines()[0] == f"❓ {entry.question}"


async def test_out_of_scope_is_declined_kindly_with_what_the_assistant_can_do(chat) -> None:
    await chat.onboard()
    await chat.send("cách nấu canh chua cá lóc")
    assert "VNeID" in chat.text and chat.last.about == "intent:out_of_scope"
    assert "menu" in chat.option_ids() and "helper" in chat.option_ids()


async def test_asking_for_a_person_leads_to_the_helper_screen(chat) -> None:
    await chat.onboard()
    await chat.send("tôi muốn nói chuyện với cán bộ phường")
    assert chat.replies[0].about == "intent:human" and chat.screen == "mentee.mine"


async def test_numbers_labels_and_global_words_still_choose(chat) -> None:
    await chat.onboard()
    await chat.send("4")
    assert chat.screen == "faq.ask"
    await chat.send("0")
    assert chat.screen == "menu"
    await chat.send("hoi dap")
    assert chat.screen == "faq.ask"
    await chat.send("quay lại")
    assert chat.screen == "menu"


def test_option_labels_are_cut_between_words() -> None:
    from bot.text.labels import cut_at_word

    label = cut_at_word("Lỡ chuyển tiền cho kẻ lừa đảo thì làm gì ngay bây giờ để lấy lại được tiền?", 40)
    assert len(label) <= 40 and label.endswith("…") and label[:-1] in "Lỡ chuyển tiền cho kẻ lừa đảo thì làm gì"
