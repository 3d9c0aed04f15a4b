"""The one masking function (issue 18) against the corpus of what residents really type.

tests/data/masking_corpus.yaml states the rules in its header and gives, for every item,
the exact masked text; `mask` must produce it byte for byte.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.text.fold import fold
from bot.text.masking import mask

CORPUS = Path(__file__).resolve().parents[1] / "data" / "masking_corpus.yaml"
ITEMS: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["items"]


def _id(index: int, item: dict[str, Any]) -> str:
    """'007-goi-cho-chau-0912-345-678-nhe': the item's number and its folded text."""
    return f"{index:03d}-" + fold(item["text"]).replace(" ", "-")[:40]


IDS = [_id(index, item) for index, item in enumerate(ITEMS)]


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_mask_gives_the_corpus_output(item: dict[str, Any]) -> None:
    assert mask(item["text"]) == item["masked"]


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_mask_is_idempotent(item: dict[str, Any]) -> None:
    once = mask(item["text"])
    assert mask(once) == once


ODD_INPUTS = {
    "empty": "",
    "nul": "\x00",
    "nul-between-digits": "0912\x00345678",
    "lone-surrogate": "\ud800",
    "surrogate-in-number": "otp 48\ud80029 13",
    "10000-digits": "1" * 10_000,
    "10000-digits-spaced": "1 " * 10_000,
    "long-text": "stk 0011004123456, tổ 12, otp 482913, lan@gmail.com, 5 triệu " * 2_000,
    "long-word": "a" * 200_000,
    "long-local-part": "a" * 100_000 + "@b",
    "many-brackets": "(+84" * 20_000,
}


@pytest.mark.parametrize("text", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_odd_input_returns_text_quickly(text: str) -> None:
    started = time.perf_counter()
    masked = mask(text)
    assert isinstance(masked, str)
    assert time.perf_counter() - started < 2.0


def test_keywords_typed_decomposed_still_count() -> None:
    """Some phone keyboards send Vietnamese as NFD (base letter + combining marks)."""
    text = unicodedata.normalize("NFD", "tài khoản nhận 1903-6621-8840-17, Mã OTP là 615 027")
    assert mask(text) == unicodedata.normalize("NFD", "tài khoản nhận <bank-account>, Mã OTP là <code>")
