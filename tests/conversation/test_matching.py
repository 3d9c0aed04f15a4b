"""Elderly-style typing picks the right option: no diacritics, typos, numbers as words."""

from __future__ import annotations

import pytest

from bot.core.matching import fold, global_action, match_option, parse_number
from bot.core.messages import Option

MENU = [
    Option("learn", "📚 Học bài"),
    Option("quiz", "Làm bài kiểm tra"),
    Option("certs", "Chứng nhận của tôi"),
    Option("ask", "Nhờ người hướng dẫn"),
    Option("settings", "Cài đặt"),
    Option("guide", "Trợ giúp"),
]
CONSENT = [Option("agree", "Đồng ý"), Option("later", "Để sau"), Option("details", "Đọc thêm")]
AGES = [Option("u16", "Dưới 16 tuổi"), Option("16-59", "Từ 16 đến 59 tuổi"), Option("60+", "Từ 60 tuổi trở lên")]
WARDS = [Option("w1", "Hưng Đạo"), Option("w2", "Ái Quốc"), Option("w3", "Chu Văn An"), Option("other", "Phường khác")]
LESSON = [Option("next", "Tiếp"), Option("back", "Quay lại"), Option("menu", "Về trang chính")]

CASES = [
    (MENU, "hoc bai", "learn"), (MENU, "Học bài", "learn"), (MENU, "hoc bia", "learn"), (MENU, "hocbai", "learn"),
    (MENU, "1", "learn"), (MENU, "số 1", "learn"), (MENU, "so 1", "learn"), (MENU, "một", "learn"),
    (MENU, "mot", "learn"), (MENU, "2", "quiz"), (MENU, "hai", "quiz"), (MENU, "lam bai kiem tra", "quiz"),
    (MENU, "kiem tra", "quiz"), (MENU, "kiểm tra", "quiz"), (MENU, "lam bai kiem tr", "quiz"),
    (MENU, "chung nhan", "certs"), (MENU, "chung nhan cua toi", "certs"), (MENU, "chứng nhậ", "certs"),
    (MENU, "ba", "certs"), (MENU, "nho nguoi huong dan", "ask"), (MENU, "nguoi huong dan", "ask"),
    (MENU, "nho nguoi huong dãn", "ask"), (MENU, "cai dat", "settings"), (MENU, "caidat", "settings"),
    (MENU, "cài đặt", "settings"), (MENU, "5", "settings"), (MENU, "năm", "settings"), (MENU, "6", "guide"),
    (MENU, "tro giup", "guide"), (MENU, "chọn 4", "ask"), (MENU, "4.", "ask"),
    (CONSENT, "dong y", "agree"), (CONSENT, "đồng ý", "agree"), (CONSENT, "Dong Y", "agree"),
    (CONSENT, "dongy", "agree"), (CONSENT, "dong ys", "agree"), (CONSENT, "de sau", "later"),
    (CONSENT, "để sau", "later"), (CONSENT, "doc them", "details"), (CONSENT, "1", "agree"),
    (AGES, "60 tro len", "60+"), (AGES, "tu 60 tuoi tro len", "60+"), (AGES, "duoi 16", "u16"),
    (AGES, "16 den 59", "16-59"), (AGES, "3", "60+"), (AGES, "ba", "60+"),
    (WARDS, "hung dao", "w1"), (WARDS, "Hưng Đạo", "w1"), (WARDS, "hung dạo", "w1"), (WARDS, "ai quoc", "w2"),
    (WARDS, "chu van an", "w3"), (WARDS, "chu van anh", "w3"), (WARDS, "phuong khac", "other"),
    (LESSON, "tiep", "next"), (LESSON, "Tiếp", "next"), (LESSON, "tiếp", "next"),
]


@pytest.mark.parametrize("options,text,expected", CASES, ids=[f"{t}->{e}" for _, t, e in CASES])
def test_elderly_inputs_choose_the_right_option(options, text, expected) -> None:
    match = match_option(text, options)
    assert match.option is not None, f"{text!r} matched nothing"
    assert match.option.id == expected


@pytest.mark.parametrize("text", ["xyz", "asdfgh", "7", "hôm nay trời đẹp quá", "🙂"])
def test_unrelated_input_matches_nothing(text: str) -> None:
    assert match_option(text, MENU).option is None


def test_close_but_unsure_input_returns_candidates() -> None:
    options = [Option("a", "Thanh toán hóa đơn điện"), Option("b", "Thanh toán bằng mã QR")]
    match = match_option("thanh toan", options)
    assert match.option is None
    assert {o.id for o in match.candidates} == {"a", "b"}


@pytest.mark.parametrize("text,action", [
    ("menu", "menu"), ("MENU", "menu"), ("0", "menu"), ("trang chu", "menu"), ("quay lại", "back"),
    ("quay lai", "back"), ("quay lia", "back"), ("Quay Lai!", "back"), ("tro giup", "help"),
    ("trợ giúp", "help"), ("tro giip", "help"), ("giup", "help"), ("hủy", "cancel"), ("huy", "cancel"),
    ("thoát", "cancel"), ("thoat", "cancel"),
])
def test_global_words(text: str, action: str) -> None:
    assert global_action(text) == action


@pytest.mark.parametrize("text", ["Thuy", "Huyền", "Thoa", "Lan", "ba", "hoc bai", "00"])
def test_names_and_ordinary_words_are_not_global(text: str) -> None:
    assert global_action(text) is None


def test_fold_and_numbers() -> None:
    assert fold("Đồng ý!") == "dong y"
    assert fold("  Quay   LẠI ") == "quay lai"
    assert parse_number("số 2") == 2
    assert parse_number("chín") == 9
    assert parse_number("2.") == 2
    assert parse_number("hai ba") is None


def test_digits_that_are_not_decimal_are_not_numbers() -> None:
    """"⓽" and "²" count as digits for str.isdigit but int() refuses them: they must read as no number."""
    from bot.handlers.mentor_session import small_number

    assert parse_number("⓽") is None and parse_number("²") is None and parse_number("3") == 3
    assert small_number("⓽ phút") is None and small_number("30 phút") == 30
