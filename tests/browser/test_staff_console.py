"""The staff console in a real browser (Debian's chromium): a staff member signs in with the code the
assistant sent to their Telegram (the fake server), sends a broadcast to one TDP and watches it reach
every reachable resident of it (a Telegram one, and a web one whose chat page is open), answers a
question a resident left and sees the resident receive it, approves a mentor; every page is checked
with axe-core (no serious or critical violation), for HTTP and console errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select

from bot.app.delivery import background_worker
from bot.app.runtime import build_runtime
from bot.channels import start_channels
from bot.core.limits import INBOUND, InboundGuard, Limit
from bot.db.learning import UnansweredQuestion
from bot.db.models import User
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.network.mentors import request_mentor
from bot.web.app import create_app
from bot.web.keys import LIVE
from bot.web.staff.console import PAGES
from tests.browser.test_web_chat import AXE, AXE_JS, CHROMIUM, SHOTS, Watcher, free_port, launch
from tests.channels.drivers import TELEGRAM_TOKEN
from tests.conftest import Chat, make_settings, shipped_content
from tests.fakes import FakeTelegramServer

STAFF, RESIDENT, APPLICANT = 9001, 9101, 9102
WAIT = 15_000


async def axe_clean(page: Page) -> None:
    await page.add_script_tag(content=AXE)
    violations = await page.evaluate(AXE_JS)
    assert violations == [], f"{page.url}: {violations}"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(TELEGRAM_TOKEN) as server:
        yield server


async def test_a_staff_member_works_through_the_console(tmp_path: Path, tg: FakeTelegramServer) -> None:
    assert CHROMIUM.exists(), "Debian's chromium is missing: `make test` installs it (make browser)"
    port = free_port()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    runtime = await build_runtime(make_settings(db.url, web_host="127.0.0.1", web_port=port, web_address_limit=10_000,
                                                telegram_bot_token=tg.token, telegram_api_url=tg.base_url),
                                  db=db, content=shipped_content())
    runtime.inbound = InboundGuard(Limit(INBOUND.name, 10_000, INBOUND.window))
    runtime.services.files_dir = tmp_path / "files"
    runtime.services.files_dir.mkdir()
    app = create_app(runtime)
    app[LIVE].poll, app[LIVE].ack_wait = 0.1, 1.0
    channels = await start_channels(runtime, app, receive=False, per_chat_interval=0.05)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    url = f"http://127.0.0.1:{port}"
    for chat_id, name in ((STAFF, "Chị Hoa"), (RESIDENT, "Ông Ba"), (APPLICANT, "Anh Nam")):
        tg.add_chat(chat_id, name)
    try:
        async with background_worker(runtime, channels), async_playwright() as pw:
            context = await launch(pw, CHROMIUM)
            watcher = Watcher()
            watcher.attach(context)
            # a web resident of tổ 5 with the chat page open, and a Telegram one
            home = context.pages[0] if context.pages else await context.new_page()
            await home.goto(url + "/")
            web_id = await home.evaluate("localStorage.getItem('bdhvs_user_id')")
            assert web_id
            await Chat(runtime, user=web_id).onboard("Bà Lan", "tổ 5")
            await Chat(runtime, user=str(RESIDENT), channel="telegram").onboard("Ông Ba", "tổ 5")
            await Chat(runtime, user="someone-else", channel="web").onboard("Cô Tư", "tổ 6")
            async with runtime.db.transaction() as session:
                staff = User(channel="telegram", external_id=str(STAFF), display_name="Chị Hoa", role="staff",
                             state="menu", state_data={})
                applicant = User(channel="telegram", external_id=str(APPLICANT), display_name="Anh Nam",
                                 state="menu", state_data={})
                session.add_all([staff, applicant])
                await session.flush()
                await request_mentor(session, applicant, "Nguyễn Văn Nam", "doan-thanh-nien", None)
                lan = await session.scalar(select(User).where(User.external_id == web_id))
                assert lan is not None
                session.add(UnansweredQuestion(text="làm sao đổi ảnh đại diện zalo", channel="web", user_id=lan.id))
            await home.reload()

            desk = await context.new_page()
            await desk.set_viewport_size({"width": 1280, "height": 900})
            await desk.goto(url + "/staff")
            await expect(desk).to_have_url(re.compile(r"/staff/login$"))
            await axe_clean(desk)
            await desk.fill("#who", f"telegram:{STAFF}")
            await desk.click("form[action='/staff/login'] button")
            code = await tg.wait_for(lambda: next((m.group(1) for t in tg.texts_to(STAFF)
                                                   if (m := re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b", t))), None),
                                     timeout=10)
            await axe_clean(desk)
            await desk.fill("#code", code)
            await desk.click("form[action='/staff/login/code'] button")
            await expect(desk.locator("h1")).to_have_text("Tổng quan")
            async with runtime.db.sessions() as session:  # the spent code is nowhere in the database now
                kept = list(await session.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "signin")))
            assert kept == ["•"]

            for _, path in PAGES:  # every page passes axe-core
                await desk.goto(url + path)
                await expect(desk.locator("h1")).to_be_visible()
                await axe_clean(desk)

            await desk.goto(url + "/staff/broadcasts")
            await desk.fill("#text", "Họp tổ 5 lúc 19h tối thứ Sáu tại nhà văn hóa.")
            await desk.select_option("#audience", "tdp")
            await desk.select_option("#tdp", label="Tổ dân phố số 5 (Hưng Đạo)")
            await expect(desk.locator("#count")).to_contain_text("Sẽ gửi cho 2 người: Telegram 1, Zalo 0, trang web 1")
            await expect(desk.locator("#preview-telegram")).to_contain_text("Họp tổ 5 lúc 19h")
            await desk.check("#urgent")
            await axe_clean(desk)
            await desk.click("#send")
            await expect(desk.locator(".notice")).to_contain_text("2 người")
            await expect(desk.locator("#deliveries tbody tr").first.locator('[data-k="percent"]')).to_have_text(
                "100%", timeout=WAIT)
            await expect(home.locator("body")).to_contain_text("Họp tổ 5 lúc 19h", timeout=WAIT)
            await expect(desk.locator("#deliveries tbody tr").first.locator('[data-k="status"]')).to_have_text(
                "đã gửi xong", timeout=WAIT)
            SHOTS.mkdir(parents=True, exist_ok=True)
            await desk.screenshot(path=str(SHOTS / "staff-broadcasts.png"), full_page=True)
            assert any("Họp tổ 5 lúc 19h" in t for t in tg.texts_to(RESIDENT))

            await desk.goto(url + "/staff/questions")
            await desk.fill("#answer1", "Bạn mở Zalo, bấm vào ảnh của mình, chọn Đổi ảnh đại diện.")
            await desk.click("text=Gửi câu trả lời cho 1 người đã hỏi")
            await expect(desk.locator(".notice")).to_contain_text("1 người")
            await expect(home.locator("body")).to_contain_text("chọn Đổi ảnh đại diện", timeout=WAIT)

            await desk.goto(url + "/staff")
            await desk.screenshot(path=str(SHOTS / "staff-overview.png"))
            await desk.goto(url + "/staff/mentors")
            await desk.click("button[aria-label='Duyệt Nguyễn Văn Nam']")
            await expect(desk.locator(".notice")).to_contain_text("Đã duyệt")
            await axe_clean(desk)
            await tg.wait_for(lambda: len(tg.texts_to(APPLICANT)) > 0, timeout=10)

            await desk.goto(url + "/staff/people?q=Lan")  # pages with their content filled in pass axe-core too
            await desk.click("text=Bà Lan")
            await expect(desk.locator("h1")).to_contain_text("Bà Lan")
            await axe_clean(desk)
            await desk.goto(url + "/staff/reports")
            await desk.click("form[action='/staff/reports'] button")
            await expect(desk.locator("img.chart")).to_be_visible(timeout=WAIT)
            await axe_clean(desk)

            phone = await context.new_page()  # the same session on a phone-width screen: nothing wider than it
            for path in ("/staff", "/staff/broadcasts", "/staff/mentors"):
                await phone.goto(url + path)
                assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
                await axe_clean(phone)
            await phone.close()

            await desk.click("text=Đăng xuất")
            await expect(desk).to_have_url(re.compile(r"/staff/login$"))
            await context.close()
            watcher.check()
    finally:
        await channels.stop()
        await server.close()
        await runtime.close()
