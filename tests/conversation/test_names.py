"""Names are names: a phone or ID number is not taken as a name, and the name to print is confirmed first."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.learning import Certificate
from bot.db.models import User
from bot.people.names import MAX_NAME, clean_name, looks_like_number
from tests.conversation.test_quiz import answer_all, start_quiz

NUMBERS = ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "(+84) 912.345.678", "001203004567",
           "0012.3456.7890", "0012-3456-7890", "123456789", "Lan 0912345678", "Nguyễn Thị Lan 001203004567",
           "0912\u200b345\u200b678"]
NAMES = ["Bà Tư tổ 12", "Nguyễn Văn A 2", "Bà Lan", "Chú Hùng nhà 45 tổ 3", "Trần Thị Mai 1950"]
REFUSED = "giống số điện thoại hoặc số giấy tờ"


@pytest.mark.parametrize("text", NUMBERS)
def test_phone_and_id_numbers_are_not_names(text) -> None:
    assert looks_like_number(text) and clean_name(text) is None


@pytest.mark.parametrize("text", NAMES)
def test_short_numbers_stay_part_of_a_name(text) -> None:
    assert not looks_like_number(text) and clean_name(text) == text


def test_invisible_characters_are_dropped_and_the_limit_kept() -> None:
    assert clean_name("Bà\x00 Lan\u202e\u200b") == "Bà Lan"
    assert clean_name("  Bà\tLan\n ") == "Bà Lan"
    assert clean_name("Nguye\u0302\u0303n Thi\u0323 Lan") == "Nguyễn Thị Lan"  # typed decomposed, stored composed
    assert clean_name("\x00\u200b") is None and clean_name("12") is None and clean_name(None) is None
    assert clean_name("L" * MAX_NAME) is not None and clean_name("L" * (MAX_NAME + 1)) is None


async def stored(chat) -> User:
    async with chat.runtime.db.sessions() as session:
        user = await session.scalar(select(User).where(User.external_id == chat.user))
    assert user is not None
    return user


async def holders(chat) -> list[str]:
    async with chat.runtime.db.sessions() as session:
        return list(await session.scalars(select(Certificate.holder_name).order_by(Certificate.id)))


@pytest.mark.parametrize("text", ["0912345678", "0912 345 678", "+84 912 345 678", "001203004567", "0012.3456.7890"])
async def test_onboarding_refuses_a_number_as_the_name(chat, text) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send(text)
    assert chat.screen == "onboarding.name"
    assert chat.text == "Tên này giống số điện thoại hoặc số giấy tờ. Bạn gõ họ tên thôi, ví dụ: Nguyễn Thị Lan."
    assert chat.labels() == ["Bỏ qua"]
    assert (await stored(chat)).display_name is None
    await chat.send("Bà Tư tổ 12")
    assert chat.screen == "onboarding.age" and "Bà Tư tổ 12" in chat.text
    assert (await stored(chat)).display_name == "Bà Tư tổ 12"


async def test_onboarding_still_says_what_a_name_needs(chat) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send("12")
    assert "Tên cần có chữ" in chat.text and chat.screen == "onboarding.name"
    await chat.send("Nguyễn Văn A 2")
    assert chat.screen == "onboarding.age" and (await stored(chat)).display_name == "Nguyễn Văn A 2"


async def test_the_refusal_in_english(chat) -> None:
    await chat.onboard()
    await chat.send("cai dat")
    await chat.send("ngon ngu")
    await chat.send("English")
    await chat.send("menu")
    await chat.send("settings")
    await chat.send("my information")
    await chat.send("edit name")
    assert chat.screen == "onboarding.name"
    await chat.send("+84 912 345 678")
    assert "looks like a phone number or an ID number" in chat.text and chat.screen == "onboarding.name"
    assert (await stored(chat)).display_name == "Bà Lan"


async def test_the_name_to_print_is_confirmed_then_issued(chat) -> None:
    await chat.onboard(name="Nguyễn Thị Lan")
    await start_quiz(chat)
    await answer_all(chat)
    assert chat.screen == "certificate.confirm_name"
    assert 'Tên in trên giấy chứng nhận: "Nguyễn Thị Lan". Đúng chưa?' in chat.last.text
    assert chat.labels() == ["Đúng, cấp giấy", "Sửa tên", "Quay lại", "Về trang chính"]
    assert await holders(chat) == []  # nothing issued before the person said yes
    await chat.send("trợ giúp")
    assert "in lên giấy chứng nhận" in chat.text and chat.labels()[:2] == ["Đúng, cấp giấy", "Sửa tên"]
    await chat.send("1")
    cert_replies = [r for r in chat.replies if r.screen == "certificate"]
    assert len(cert_replies) == 1 and cert_replies[0].document and "Giấy chứng nhận của bạn" in cert_replies[0].text
    assert chat.screen == "certificates"
    assert await holders(chat) == ["Nguyễn Thị Lan"]


async def test_fixing_the_name_comes_back_to_the_confirmation(chat) -> None:
    await chat.onboard(name="Bà Lan")
    await start_quiz(chat)
    await answer_all(chat)
    assert chat.screen == "certificate.confirm_name" and '"Bà Lan"' in chat.last.text
    await chat.send("sua ten")
    assert chat.screen == "certificate.name" and "họ tên đầy đủ" in chat.text
    for number in ("0912 345 678", "001203004567"):
        await chat.send(number)
        assert REFUSED in chat.text and chat.screen == "certificate.name"
    await chat.send("quay lại")  # changed their mind: the same confirmation
    assert chat.screen == "certificate.confirm_name" and '"Bà Lan"' in chat.last.text
    await chat.send("2")
    await chat.send("Nguyễn Thị Lan")
    assert chat.screen == "certificate.confirm_name"  # asked again, not issued straight away
    assert 'Tên in trên giấy chứng nhận: "Nguyễn Thị Lan". Đúng chưa?' in chat.last.text
    assert await holders(chat) == []
    await chat.send("Đúng")
    assert any(r.screen == "certificate" and r.document for r in chat.replies)
    assert await holders(chat) == ["Nguyễn Thị Lan"]
    assert (await stored(chat)).display_name == "Nguyễn Thị Lan"
    await chat.send("quay lại")  # back to the result: nothing new to confirm
    assert "đã có giấy chứng nhận" in chat.text and chat.screen != "certificate.confirm_name"
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 1


@pytest.mark.parametrize("text", ["0912345678", "0912 345 678", "+84 912 345 678", "001203004567", "0012.3456.7890"])
async def test_without_a_name_it_is_asked_then_confirmed(chat, text) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send("bỏ qua")
    await chat.send("3")
    await chat.send("1")
    await chat.send("tổ 5")
    await chat.send("để sau")
    await start_quiz(chat)
    await answer_all(chat)
    assert chat.screen == "certificate.name" and "họ tên đầy đủ" in chat.text
    await chat.send(text)
    assert chat.screen == "certificate.name"
    assert "Tên này giống số điện thoại hoặc số giấy tờ. Bạn gõ họ tên thôi" in chat.text
    await chat.send("Trần Văn Bình")
    assert chat.screen == "certificate.confirm_name" and '"Trần Văn Bình"' in chat.last.text
    assert await holders(chat) == []
    await chat.send(option="yes")
    assert await holders(chat) == ["Trần Văn Bình"]


async def test_a_second_pass_asks_nothing(chat) -> None:
    await chat.onboard()
    await start_quiz(chat)
    await answer_all(chat)
    await chat.send("dung, cap giay")
    assert await holders(chat) == ["Bà Lan"]
    await start_quiz(chat)
    await answer_all(chat)
    assert "đã có giấy chứng nhận" in chat.text and chat.screen == "quiz.result"
