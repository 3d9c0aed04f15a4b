"""A resident's first conversation: consent, name, age, ward, TDP, menu; and every global word on the way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import AuditEntry, Tdp, User


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def stored(chat) -> User | None:
    async with chat.runtime.db.sessions() as session:
        return await session.scalar(select(User).where(User.external_id == chat.user))


async def test_happy_path_reaches_menu_with_everything_stored(chat) -> None:
    await chat.send("/start")
    assert "Xin chào" in chat.replies[0].text
    assert chat.screen == "onboarding.consent"
    assert chat.labels() == ["Đồng ý", "Để sau", "Đọc thêm"]
    assert "Xóa dữ liệu của tôi" in chat.last.text  # how to delete is part of the notice

    await chat.send("dong y")
    assert chat.screen == "onboarding.name"
    await chat.send("Bà Lan")
    assert "Bà Lan" in chat.text
    assert chat.screen == "onboarding.age"
    assert chat.labels() == ["Dưới 16 tuổi", "Từ 16 đến 59 tuổi", "Từ 60 tuổi trở lên", "Quay lại"]
    await chat.send("tu 60 tuoi tro len")
    assert chat.screen == "onboarding.ward"
    assert chat.labels()[:3] == ["Hưng Đạo", "Ái Quốc", "Chu Văn An"]
    await chat.send("hung dao")
    assert chat.screen == "onboarding.tdp"
    await chat.send("tổ 5")
    assert chat.screen == "nudges.offer" and "Nhắc tôi học?" in chat.last.text
    await chat.send("để sau")
    assert chat.screen == "menu"
    assert "Chào Bà Lan" in chat.last.text

    user = await stored(chat)
    assert user is not None and user.display_name == "Bà Lan" and user.age_band == "60+"
    assert user.consent_at is not None and user.consent_version
    async with chat.runtime.db.sessions() as session:
        tdp = await session.get(Tdp, user.tdp_id)
    assert tdp is not None and tdp.number == 5


async def test_not_now_stores_nothing_personal_and_still_reaches_menu(chat) -> None:
    await chat.send("/start")
    await chat.send("để sau")
    assert chat.screen == "menu"
    assert "giấy chứng nhận" in chat.text
    user = await stored(chat)
    assert user is not None
    assert (user.consent_at, user.display_name, user.age_band, user.tdp_id) == (None, None, None, None)


async def test_tdp_from_list_pages_and_unknown(chat) -> None:
    await chat.send("/start")
    await chat.send("1")
    await chat.send("bo qua")
    await chat.send("2")
    await chat.send("ai quoc")
    assert chat.labels()[0] == "Tổ dân phố số 1"
    await chat.send("xem them")
    assert chat.labels()[0] == "Tổ dân phố số 4"  # three a page, with "more", "I don't know" and "back"
    await chat.send("to 99")
    assert "chưa tìm thấy" in chat.text and chat.screen == "onboarding.tdp"
    await chat.send("toi khong ro")
    assert chat.screen == "nudges.offer"


ONBOARDING_STEPS = [
    ("onboarding.consent", []),
    ("onboarding.name", ["đồng ý"]),
    ("onboarding.age", ["đồng ý", "Lan"]),
    ("onboarding.ward", ["đồng ý", "Lan", "2"]),
    ("onboarding.tdp", ["đồng ý", "Lan", "2", "1"]),
]


@pytest.mark.parametrize("screen,answers", ONBOARDING_STEPS, ids=[s for s, _ in ONBOARDING_STEPS])
@pytest.mark.parametrize("word,expected", [
    ("menu", "menu"), ("0", "menu"), ("Menu", "menu"), ("quay lại", "back"), ("quay lai", "back"),
    ("trợ giúp", "help"), ("tro giup", "help"), ("hủy", "menu"), ("thoát", "menu"), ("thoat", "menu"),
])
async def test_global_words_work_in_every_onboarding_state(chat, screen, answers, word, expected) -> None:
    await chat.send("/start")
    for answer in answers:
        await chat.send(answer)
    assert chat.screen == screen
    before = chat.option_ids()
    await chat.send(word)
    assert chat.last.options, "every reply offers a way on"
    if expected == "menu":
        assert chat.screen == "menu"
    elif expected == "help":
        assert chat.screen == "help"
        assert chat.option_ids() == before  # the same choices, explained
    else:
        previous = ONBOARDING_STEPS[max(0, [s for s, _ in ONBOARDING_STEPS].index(screen) - 1)][0]
        assert chat.screen in (previous, "menu")


async def test_back_goes_to_previous_question(chat) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send("Lan")
    await chat.send("quay lại")
    assert chat.screen == "onboarding.name"
    await chat.send("Bà Lan")
    assert chat.screen == "onboarding.age"


async def test_unknown_input_offers_closest_options_and_menu(chat) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send("Lan")
    await chat.send("xyz qwe")
    assert chat.screen == "fallback"
    assert "menu" in chat.option_ids()
    await chat.send("60 tro len")  # the question's own choices still work
    assert chat.screen == "onboarding.ward"


async def test_settings_changes_name_and_tdp(chat) -> None:
    await chat.onboard()
    await chat.send("cai dat")
    assert chat.screen == "settings"
    await chat.send("thong tin cua toi")
    assert "Bà Lan" in chat.text and "Tổ dân phố số 5" in chat.text
    await chat.send("sua ten")
    await chat.send("Ông Hùng")
    assert chat.screen == "settings"
    await chat.send("1")
    assert "Ông Hùng" in chat.text


async def test_language_switch_to_english(chat) -> None:
    await chat.onboard()
    await chat.send("cài đặt")
    await chat.send("ngon ngu")
    await chat.send("English")
    assert "English" in chat.text
    await chat.send("menu")
    assert "Hello Bà Lan" in chat.text


async def test_delete_my_data_removes_the_person(chat) -> None:
    await chat.onboard()
    await chat.send("cai dat")
    await chat.send("xoa du lieu cua toi")
    assert chat.screen == "settings.delete"
    await chat.send("khong xoa")
    assert await stored(chat) is not None
    await chat.send("xoa du lieu cua toi")
    await chat.send("xoa het")
    assert "Đã xóa" in chat.text and chat.last.options
    assert await stored(chat) is None
    async with chat.runtime.db.sessions() as session:
        audits = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "data.delete"))
    assert audits == 1
    await chat.send("chào")  # a new start, as a new person
    assert chat.screen == "onboarding.consent"
