"""The evaluation sets under tests/data/ are well-formed: fields, allowed values, counts, ids.

They measure features (issue 19: understanding what residents type; issue 23: the scam check;
issue 18: masking); this file only checks the data itself, so a broken or thinned-out set
fails here rather than quietly changing what a benchmark reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.loader import Content, load_content
from bot.core.matching import fold

DATA = Path(__file__).resolve().parents[1] / "data"


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def _has_diacritics(text: str) -> bool:
    decomposed = unicodedata.normalize("NFD", text)
    return "đ" in text.lower() or any(unicodedata.category(ch) == "Mn" for ch in decomposed)


# --------------------------------------------------------------------------- understanding

UNDERSTANDING = _load("understanding.yaml")["items"]

CATEGORIES = {"no_diacritics", "typos", "very_short", "long_story", "emergency", "out_of_scope", "harmful", "plain"}
COUNTED = CATEGORIES - {"plain"}
INTENTS = {"emergency", "human", "out_of_scope", "harmful", "option"}
DECLINES = {"emergency", "out_of_scope", "harmful"}
# Main-menu option ids (bot/handlers/*: menu_entry) and the words that work on every screen.
OPTIONS = {"learn", "quiz", "certificates", "faq", "helper", "household", "code", "become_mentor",
           "settings", "guide", "more", "resume", "menu", "back", "help", "cancel"}


def test_understanding_items_have_the_fields_and_values() -> None:
    assert len(UNDERSTANDING) >= 300
    for item in UNDERSTANDING:
        assert set(item) == {"text", "where", "category", "expect"}, item
        assert isinstance(item["text"], str) and item["text"].strip(), item
        assert item["where"] in {"menu", "faq"}, item
        assert item["category"] in CATEGORIES, item
        expect = item["expect"]
        assert isinstance(expect, dict), item
        if "answer" in expect:
            assert set(expect) == {"answer"} and isinstance(expect["answer"], str), item
        else:
            assert expect.get("intent") in INTENTS, item
            if expect["intent"] == "option":
                assert set(expect) == {"intent", "option"} and expect["option"] in OPTIONS, item
            else:
                assert set(expect) == {"intent"}, item


def test_understanding_counts_per_category_and_screen() -> None:
    counts = Counter(item["category"] for item in UNDERSTANDING)
    for category in COUNTED:
        assert counts[category] >= 30, (category, counts[category])
        screens = Counter(item["where"] for item in UNDERSTANDING if item["category"] == category)
        assert screens["menu"] >= 10 and screens["faq"] >= 10, (category, screens)


def test_understanding_categories_agree_with_expectations() -> None:
    for item in UNDERSTANDING:
        category, intent = item["category"], item["expect"].get("intent")
        if category in DECLINES:
            assert intent == category, item
        if intent in DECLINES:
            assert category in (intent, "long_story"), item


def test_understanding_texts_have_the_form_their_category_says() -> None:
    for item in UNDERSTANDING:
        text, category = item["text"], item["category"]
        words = len(fold(text).split()) or 1
        if category == "no_diacritics":
            assert not _has_diacritics(text), item
        if category == "plain":
            assert _has_diacritics(text), item
        if category == "very_short":
            assert words <= 5 and len(text) <= 30, item
        if category == "long_story":
            assert words >= 25, item


def test_options_are_only_button_like_inputs() -> None:
    for item in UNDERSTANDING:
        if item["expect"].get("intent") != "option":
            continue
        assert len(item["text"].split()) <= 6, item  # the longest menu label has six words
        if item["text"].strip().isdigit() and item["text"].strip() != "0":  # "0" is the menu everywhere
            assert item["where"] == "menu", item


def test_understanding_has_no_duplicate_texts() -> None:
    folded = Counter(fold(item["text"]) for item in UNDERSTANDING)
    assert [text for text, n in folded.items() if n > 1] == []


def test_understanding_does_not_copy_the_faq_wording(content: Content) -> None:
    faq_words = {fold(entry.question) for entry in content.faq}
    faq_words |= {fold(phrasing) for entry in content.faq for phrasing in entry.phrasings}
    copied = [item["text"] for item in UNDERSTANDING
              if fold(item["text"]) in faq_words and item["expect"].get("intent") != "option"]
    assert copied == []


def test_every_answer_id_exists_in_content(content: Content) -> None:
    known = {entry.id for entry in content.faq} | set(content.lessons)
    referenced = {item["expect"]["answer"] for item in UNDERSTANDING if "answer" in item["expect"]}
    assert sorted(referenced - known) == []


# --------------------------------------------------------------------------- scam messages

SCAMS = _load("scam_messages.yaml")["messages"]
OFFICIAL = [line.strip() for line in (DATA / "official_domains_used.txt").read_text(encoding="utf-8").splitlines()]

SIGNS = {"otp_request", "password_request", "urgency", "personal_account_transfer", "lookalike_domain",
         "punycode", "short_link", "apk", "authority_money", "fake_prize", "fake_refund", "power_cutoff",
         "parcel_fee", "relative_emergency", "job_offer", "loan", "investment", "remote_app", "other"}
CHANNELS = {"sms", "zalo", "telegram", "link_only"}
SHORTENERS = {"bit.ly", "tinyurl.com", "is.gd", "t.ly", "cutt.ly", "rb.gy"}
HOST = re.compile(
    r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:vn|com|net|org|info|top|cc|xyz|app|vip|link|click|online|site|me|ly|gd))(?![a-z0-9-])"
)


def _hosts(text: str) -> list[str]:
    return HOST.findall(text.lower())


def _official(host: str) -> bool:
    host = host.removeprefix("www.")
    return any(host == domain or host.endswith("." + domain) for domain in OFFICIAL)


def test_scam_messages_have_the_fields_and_values() -> None:
    for message in SCAMS:
        assert set(message) == {"text", "label", "expect", "signs", "channel"}, message
        assert isinstance(message["text"], str) and message["text"].strip(), message
        assert message["channel"] in CHANNELS, message
        assert isinstance(message["signs"], list) and set(message["signs"]) <= SIGNS, message
        assert len(message["signs"]) == len(set(message["signs"])), message
        if message["label"] == "legit":
            assert message["expect"] == "an-toan" and message["signs"] == [], message
        else:
            assert message["label"] == "scam", message
            assert message["expect"] in {"nguy-hiem", "dang-ngo"} and message["signs"], message
        if message["channel"] == "link_only":
            assert not re.search(r"\s", message["text"]), message


def test_scam_counts() -> None:
    labels = Counter(message["label"] for message in SCAMS)
    assert len(SCAMS) >= 150
    assert labels["scam"] >= 90 and labels["legit"] >= 60, labels
    signs = Counter(sign for message in SCAMS for sign in message["signs"])
    assert sorted(sign for sign in SIGNS if signs[sign] < 3) == [], signs
    channels = Counter((message["label"], message["channel"]) for message in SCAMS)
    for label in ("scam", "legit"):
        for channel in CHANNELS:
            assert channels[(label, channel)] >= 3, (label, channel, channels)


def test_scam_set_holds_the_tricky_forms() -> None:
    scam_text = "\n".join(message["text"].lower() for message in SCAMS if message["label"] == "scam")
    for form in ("vietcombank-vn.top", "dichvucong-gov.com", "vneid-gov.cc", "xn--", "vietcornbank",
                 "bit.ly/", "tinyurl.com/", ".apk"):
        assert form in scam_text, form


def test_scam_messages_have_no_duplicates() -> None:
    folded = Counter(fold(message["text"]) for message in SCAMS)
    assert [text for text, n in folded.items() if n > 1] == []


def test_official_domains_file_is_clean() -> None:
    assert OFFICIAL and all(OFFICIAL), "one domain per line, no blank lines"
    assert sorted(set(OFFICIAL)) == OFFICIAL
    for domain in OFFICIAL:
        assert re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", domain), domain


def test_links_in_legit_messages_are_official_and_scam_links_are_not() -> None:
    for message in SCAMS:
        text = message["text"].lower()
        hosts = _hosts(text)
        if message["label"] == "legit":
            assert all(_official(host) for host in hosts), (hosts, message)
            assert ".apk" not in text and not set(hosts) & SHORTENERS, message
        else:
            assert not any(_official(host) for host in hosts), (hosts, message)
        if message["channel"] == "link_only":
            assert len(hosts) == 1 or re.match(r"https?://\d", text), message
    legit_hosts = [host for message in SCAMS if message["label"] == "legit" for host in _hosts(message["text"])]
    assert len(set(legit_hosts)) >= 8, "legit messages name several official domains"


# --------------------------------------------------------------------------- masking

MASKING = _load("masking_corpus.yaml")["items"]
PLACEHOLDERS = ("<phone>", "<id-number>", "<bank-account>", "<card>", "<code>", "<email>")
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
NUMBER = r"\(?\+?[\d() .\-]*\d"


def _pattern(masked: str) -> re.Pattern[str]:
    parts = re.split(r"(<[a-z-]+>)", masked)
    regex = "".join(
        (EMAIL if part == "<email>" else NUMBER) if part in PLACEHOLDERS else re.escape(part) for part in parts
    )
    return re.compile(regex)


def test_masking_items_have_the_fields_and_placeholders() -> None:
    assert len(MASKING) >= 80
    for item in MASKING:
        assert set(item) == {"text", "masked"}, item
        assert isinstance(item["text"], str) and isinstance(item["masked"], str), item
        assert "<" not in item["text"], item
        assert set(re.findall(r"<[^<>]*>", item["masked"])) <= set(PLACEHOLDERS), item
        assert _pattern(item["masked"]).fullmatch(item["text"]), item


def test_masking_counts() -> None:
    untouched = [item for item in MASKING if item["masked"] == item["text"]]
    assert len(untouched) >= 25
    used = Counter(p for item in MASKING for p in re.findall(r"<[a-z-]+>", item["masked"]))
    for placeholder in PLACEHOLDERS:
        assert used[placeholder] >= 4, (placeholder, used)


def test_masking_covers_the_spellings_people_use() -> None:
    texts = "\n".join(item["text"] for item in MASKING)
    for form in ("0912345678", "0912 345 678", "0912.345.678", "+84 912 345 678", "(+84) 912 345 678",
                 "84912345678", "+84-912-345-678", "0012 3456 7890", "001203004567", "123456789",
                 "9704 1234 5678 9012", "mã 123 456", "otp: 482913", "@gmail.com",
                 "12/03/2025", "5 triệu", "500.000đ", "tổ 12", "bài 3", "8:30", "2026", "số 15 ngõ 42",
                 "mức 2", "%"):
        assert form.lower() in texts.lower(), form


def test_masking_header_states_the_rules() -> None:
    header = (DATA / "masking_corpus.yaml").read_text(encoding="utf-8").split("\nitems:")[0]
    assert "RULES" in header and all(p in header for p in PLACEHOLDERS)


def test_masking_has_no_duplicates() -> None:
    texts = Counter(item["text"] for item in MASKING)
    assert [text for text, n in texts.items() if n > 1] == []
