"""🔊 Nghe in a real browser: Debian's chromium shows the `<audio>` player and can play the OGG/Opus
file (its duration is read from the file), under the chat page's own Content-Security-Policy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Playwright

from bot.db.models import User
from tests.browser.test_web_chat import PHONE, STEP_TIMEOUT, Served, chromium_path, playwright, served  # noqa: F401

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--autoplay-policy=no-user-gesture-required"]


async def test_a_lesson_step_plays_in_the_page(served: Served, playwright: Playwright, chromium_path: Path) -> None:  # noqa: F811
    user = uuid.uuid4().hex
    async with served.runtime.db.transaction() as session:
        session.add(User(channel="web", external_id=user, locale="vi", state="menu", state_data={},
                         consent_at=datetime.now(UTC), display_name="Bà Lan"))
    browser = await playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
    try:
        page = await browser.new_page(viewport=PHONE)  # the page's CSP is kept: media must come from 'self'
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        await page.add_init_script(f"window.localStorage.setItem('bdhvs_user_id', '{user}')")
        await page.goto(served.url + "/")
        await page.fill("#msg", "học vneid")
        await page.press("#msg", "Enter")
        await page.get_by_role("button", name="1. ○").first.click(timeout=STEP_TIMEOUT)
        await page.get_by_role("button", name="🔊 Nghe").last.click(timeout=STEP_TIMEOUT)
        player = page.locator("audio.voice").last
        await player.wait_for(timeout=STEP_TIMEOUT)
        assert await page.locator(".msg.bot").last.inner_text() != ""
        duration = await player.evaluate("""a => new Promise((ok, fail) => {
            a.preload = 'auto'; a.addEventListener('loadedmetadata', () => ok(a.duration)); a.addEventListener('error',
            () => fail(a.error && a.error.code)); a.load(); })""")
        assert duration > 5, duration  # a whole step, decoded by the browser itself
        assert await player.get_attribute("aria-label") == "Nghe đọc to"
        box = await player.bounding_box()
        assert box is not None and box["height"] >= 44
        assert refused == []
    finally:
        await browser.close()
