"""The web chat in a real browser (Debian's chromium, driven by Playwright), as an elderly resident uses it.

At 390×844 and again with the browser's text size at 150 %: onboarding by tapping (60+),
a lesson, a quiz answered right to a certificate, the PDF and the verify page, English,
"Xóa dữ liệu của tôi"; live messages; failed requests that keep the buttons. Every page is
checked for HTTP errors, console errors, axe-core violations (serious or critical), buttons
smaller than 44×44 px and text smaller than 18 px. The screenshots in docs/ come from here.

`make test` installs chromium from Debian's packages (`make browser`); no browser is downloaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Playwright, Response, ViewportSize, async_playwright
from sqlalchemy import select

from bot.app.runtime import Runtime, build_runtime
from bot.core.limits import INBOUND, InboundGuard, Limit
from bot.db.learning import QuizAttempt
from bot.db.models import User
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.outbox.queue import enqueue
from bot.web.app import create_app
from bot.web.keys import LIVE
from tests.conftest import make_settings, shipped_content

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SHOTS = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else Path(tempfile.gettempdir()) / "bot-screenshots"
"""`UPDATE_SCREENSHOTS=1 make test` regenerates the pictures in docs/; otherwise they go to a temporary folder,
so a test run leaves the checkout as it was."""
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE: ViewportSize = {"width": 390, "height": 844}
STEP_TIMEOUT = 10_000  # ms for one answer to appear


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    runtime: Runtime
    server: TestServer


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """The app on 127.0.0.1 with a fresh SQLite database; verify links point at this server."""
    port = free_port()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    runtime = await build_runtime(make_settings(db.url, web_host="127.0.0.1", web_port=port,
                                                web_address_limit=10_000), db=db, content=shipped_content())
    runtime.inbound = InboundGuard(Limit(INBOUND.name, 10_000, INBOUND.window))  # the test taps faster than a hand
    runtime.services.files_dir = tmp_path / "files"
    runtime.services.files_dir.mkdir()
    app = create_app(runtime)
    app[LIVE].poll, app[LIVE].ack_wait = 0.1, 1.0  # a closed page's unconfirmed messages come back in 1 s
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield Served(f"http://127.0.0.1:{port}", runtime, server)
    finally:
        await server.close()
        await runtime.close()


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    assert CHROMIUM.exists(), "Debian's chromium is missing: `make test` installs it (make browser)"
    return CHROMIUM


@pytest.fixture
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as pw:
        yield pw


async def launch(pw: Playwright, chromium: Path, *, text_percent: int = 100) -> BrowserContext:
    """A fresh profile; `text_percent` is the browser's own text-size setting (default font 16 px × it)."""
    profile = Path(tempfile.mkdtemp(prefix="bdhvs-chromium-"))
    (profile / "Default").mkdir()
    size = 16 * text_percent // 100
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"webkit": {"webprefs": {"default_font_size": size, "default_fixed_font_size": size * 13 // 16}}}))
    return await pw.chromium.launch_persistent_context(
        str(profile), executable_path=str(chromium), headless=True, args=ARGS, viewport=PHONE,
        device_scale_factor=1, bypass_csp=True, locale="vi-VN", accept_downloads=True)


SIZES_JS = """() => {
  const problems = [];
  const shown = el => {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && !el.closest('.sr-only, [hidden]');
  };
  const name = el => (el.className ? el.tagName + '.' + el.className : el.tagName) + ' "' +
                     (el.textContent || el.value || '').trim().slice(0, 40) + '"';
  for (const b of document.querySelectorAll('button, .doc-link, input[type=submit], [role=button]')) {
    if (!shown(b)) continue;
    const r = b.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) problems.push(`button ${name(b)} is ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  for (const f of document.querySelectorAll('input, textarea')) {
    const px = parseFloat(getComputedStyle(f).fontSize);
    if (shown(f) && px < 18) problems.push(`field ${name(f)} has ${px}px text`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || !shown(el) || el.closest('noscript')) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < 18) problems.push(`text ${name(el)} is ${px}px`);
  }
  return problems;
}"""

STICKY_JS = """() => {
  let height = 0;
  for (const el of document.querySelectorAll('body *')) {
    const p = getComputedStyle(el).position;
    if ((p === 'sticky' || p === 'fixed') && !el.closest('[hidden]')) height += el.getBoundingClientRect().height;
  }
  return height / window.innerHeight;
}"""

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""


@dataclass
class Watcher:
    """Collects what must never happen in the walk: HTTP ≥ 400, console errors, page errors."""

    allowed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("page", self.watch)
        for page in context.pages:
            self.watch(page)

    def watch(self, page: Page) -> None:
        def console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                self.add(f"console error on {page.url}: {msg.text}")

        def response(r: Response) -> None:
            if r.status >= 400:
                self.add(f"HTTP {r.status} for {r.url}")

        page.on("console", console)
        page.on("pageerror", lambda exc: self.add(f"page error on {page.url}: {exc}"))
        page.on("response", response)
        page.on("requestfailed", self.failed)

    def failed(self, request) -> None:
        if "ERR_ABORTED" in str(request.failure):
            # Cancelled by the browser, not failed: a page that reloads, closes or moves on ends its
            # event stream and whatever it was still loading (the favicon), and a link that turns
            # into a download (a certificate's PDF) aborts as a navigation. A server that answered
            # badly is caught by `response` (HTTP 400 and up); a server not reached fails otherwise.
            return
        if request.url.startswith("chrome-extension://"):
            return  # the browser's own PDF viewer, closed by the test
        self.add(f"request failed: {request.url} ({request.failure})")

    def add(self, problem: str) -> None:
        if not any(allowed in problem for allowed in self.allowed):
            self.problems.append(problem)

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@dataclass
class Resident:
    """One person in front of the page: taps, types, and reads what the page shows."""

    page: Page
    served: Served
    watcher: Watcher
    checked: list[str] = field(default_factory=list)

    @property
    def log(self):
        return self.page.locator("#log")

    async def answered(self, action) -> None:
        """Runs `action` (a tap, Enter) and waits for the answer it must bring: a request to the API, then
        a new message from the assistant and no error notice. A button that does nothing fails here."""
        bot = self.page.locator("#log .msg.bot:not(.notice)")
        before = await bot.count()
        async with self.page.expect_response(lambda r: r.url.endswith("/api/messages"), timeout=STEP_TIMEOUT):
            await action()
        await self.page.wait_for_function(
            "n => document.getElementById('typing').hidden && "
            "document.querySelectorAll('#log .msg.bot:not(.notice)').length > n", arg=before, timeout=STEP_TIMEOUT)
        notice = self.page.locator("#log .msg.notice")
        assert await notice.count() == 0, await notice.inner_text()

    async def screen(self) -> str:
        return str(await self.page.locator("#log .msg.bot[data-screen]").last.get_attribute("data-screen"))

    def button(self, label: str | None = None, *, option: str | None = None):
        buttons = self.page.locator("#log .options .opt")
        if option is not None:
            return buttons.and_(self.page.locator(f'[data-id="{option}"]'))
        return buttons.filter(has=self.page.locator(".label", has_text=re.compile(f"^{re.escape(label or '')}$")))

    async def tap(self, label: str | None = None, *, option: str | None = None) -> str:
        """Taps a button of the current screen; a tap that brings no answer fails the test."""
        button = self.button(label, option=option)
        assert await button.count() == 1, f"no button {label or option!r} on {await self.screen()}: " \
            f"{await self.page.locator('#log .options .opt').all_inner_texts()}"
        await self.answered(button.click)
        return await self.screen()

    async def type(self, text: str) -> str:
        await self.page.fill("#msg", text)
        await self.answered(lambda: self.page.press("#msg", "Enter"))
        return await self.screen()

    async def labels(self) -> list[str]:
        return await self.page.locator("#log .options .opt .label").all_inner_texts()

    async def external_id(self) -> str:
        return str(await self.page.evaluate("localStorage.getItem('bdhvs_user_id')"))

    async def state(self) -> tuple[str, dict[str, Any], int]:
        async with self.served.runtime.db.sessions() as session:
            user = await session.scalar(select(User).where(User.channel == "web",
                                                           User.external_id == await self.external_id()))
            assert user is not None
            return user.state or "", dict((user.state_data or {}).get("data") or {}), user.id

    async def right_answer(self) -> str:
        """The option id of the right answer on a lesson check or quiz question (read from the database)."""
        screen, data, _ = await self.state()
        content = self.served.runtime.services.content
        if screen == "lesson.check":
            return f"a{content.lessons[data['lesson']].check.answer}"
        assert screen == "quiz.question", screen
        async with self.served.runtime.db.sessions() as session:
            attempt = await session.get(QuizAttempt, int(data["attempt"]))
            assert attempt is not None
            position = len(attempt.answers)
            question = next(q for q in content.questions[attempt.topic_id]
                            if q.id == attempt.question_ids[position])
            return f"q{attempt.orders[position].index(question.answer)}"

    async def check(self, name: str, page: Page | None = None) -> None:
        """Accessibility, sizes, and the share of the screen taken by what does not scroll."""
        page = page or self.page
        await page.add_script_tag(content=AXE)
        violations = await page.evaluate(AXE_JS)
        assert not violations, f"{name}: " + "\n".join(violations)
        sizes = await page.evaluate(SIZES_JS)
        assert not sizes, f"{name}: " + "\n".join(sizes)
        sticky = await page.evaluate(STICKY_JS)
        assert sticky <= 0.25, f"{name}: header and composer take {sticky:.0%} of the screen"
        self.watcher.check()
        self.checked.append(name)

    async def visible_above_composer(self, selector: str) -> bool:
        return bool(await self.page.evaluate("""sel => {
            const els = document.querySelectorAll(sel); const el = els[els.length - 1];
            const r = el.getBoundingClientRect();
            const limit = window.innerHeight - document.getElementById('composer').offsetHeight;
            return r.top >= 0 && r.bottom <= limit;
        }""", selector))


async def open_chat(context: BrowserContext, served: Served, watcher: Watcher) -> Resident:
    page = context.pages[0] if context.pages else await context.new_page()
    watcher.attach(context)
    await page.goto(served.url + "/")
    await page.locator("#log .options .opt").first.wait_for(timeout=STEP_TIMEOUT)
    return Resident(page, served, watcher)


async def onboard(me: Resident, *, large: bool) -> None:
    """Consent by tapping (visible without scrolling, or with a clear hint to scroll), then 60+ by tapping."""
    assert await me.screen() == "onboarding.consent"
    consent_row = "#log .msg.bot[data-screen='onboarding.consent']"
    if not large:
        assert await me.visible_above_composer(consent_row), "the consent question is not on the first screen"
        assert await me.visible_above_composer("#log .options"), "the consent buttons are below the fold"
    elif not await me.visible_above_composer("#log .options"):
        jump = me.page.locator("#jump")
        assert await jump.is_visible(), "consent buttons below the fold and no hint to scroll"
        assert "nút" in await jump.inner_text()
        await jump.click()
        await me.page.wait_for_timeout(300)
        assert await me.page.locator("#log .options .opt").first.is_visible()
        assert await me.visible_above_composer("#log .options .opt:first-child"), "the hint did not show the buttons"
    await me.check("consent")
    assert await me.tap("Đồng ý") == "onboarding.name"
    assert await me.type("Bà Lan") == "onboarding.age"
    assert await me.tap("Từ 60 tuổi trở lên") == "onboarding.ward"
    assert await me.tap("Hưng Đạo") == "onboarding.tdp"
    assert await me.type("tổ 5") == "nudges.offer"
    assert await me.tap("Để sau") == "menu"
    await me.check("menu")


async def lesson(me: Resident) -> None:
    assert await me.tap("Học bài") == "path.start"
    for _ in range(3):
        screen = await me.tap("Có")
    assert screen == "path.start", screen  # the order suggested by the answers, its first lesson one tap away
    screen = await me.tap(option="next")
    assert screen == "lesson.step"
    await me.check("lesson step")
    for _ in range(20):
        if screen == "lesson.check":
            break
        screen = await me.tap("Tiếp")
    assert screen == "lesson.check"
    screen = await me.tap(option=await me.right_answer())
    assert "Đúng" in await me.page.locator("#log .msg.bot[data-screen='lesson.feedback']").last.inner_text()
    assert screen == "lesson.done"
    sources = me.page.locator("#log .msg.bot[data-screen='lesson.done'] a.text-link")
    assert await sources.count() >= 1  # the lesson's sources are links
    assert all(href.startswith("https://") for href in await sources.evaluate_all("links => links.map(a => a.href)"))
    assert await me.tap("Về trang chính") == "menu"


async def quiz_to_certificate(me: Resident) -> None:
    assert await me.tap("Làm bài kiểm tra") == "quiz.intro"
    assert await me.tap(option="topic:vneid") == "quiz.intro"
    screen = await me.tap(option="start")
    await me.check("quiz question")
    for _ in range(12):
        if screen != "quiz.question":
            break
        screen = await me.tap(option=await me.right_answer())
    assert screen == "certificate.confirm_name", screen  # the name to print, confirmed first
    await me.check("certificate name")
    assert await me.tap("Đúng, cấp giấy") == "certificates"
    certificate = me.page.locator("#log .msg.bot[data-screen='certificate']").last
    await certificate.wait_for()
    await me.check("certificate")
    link = certificate.locator("a.doc-link")
    assert await link.count() == 1
    assert "Giấy chứng nhận (PDF)" in await link.inner_text()
    assert ".pdf" not in await link.inner_text()  # a readable name, not the random file name
    assert await link.bounding_box()
    async with me.page.context.expect_page() as opened:
        await link.click()
    pdf = await opened.value
    response = await me.page.context.request.get(await link.get_attribute("href") or "")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert (await response.body()).startswith(b"%PDF")
    await pdf.close()
    verify = certificate.locator("a.text-link", has_text="/verify/")
    assert await verify.count() == 1, await certificate.inner_text()
    async with me.page.context.expect_page() as opened:
        await verify.click()
    page = await opened.value
    await page.wait_for_load_state()
    assert "Giấy chứng nhận thật" in await page.locator("h1").inner_text()
    assert "Bà L" in await page.inner_text("main")
    await me.check("verify page", page)
    await page.close()


async def live_messages(me: Resident, context: BrowserContext) -> Page:
    """A mentor's answer appears while the page is open; two waiting ones when it is opened again."""
    _, _, user_id = await me.state()
    labels = await me.labels()

    async def queue(*texts: str) -> None:
        async with me.served.runtime.db.transaction() as session:
            for text in texts:
                await enqueue(session, user_id, text)

    await queue("Chị Hoa (Đại sứ số) trả lời: bạn bấm “Quên mật khẩu” nhé.")
    divider = me.page.locator("#log .msg.divider").last
    await divider.wait_for(timeout=STEP_TIMEOUT)
    assert await divider.inner_text() == "📩 1 tin nhắn mới"
    assert "Quên mật khẩu" in await me.page.locator("#log .msg.bot").last.inner_text()
    assert await me.labels() == labels  # the buttons of the screen are still there, and work
    await queue('Xem <img src=x onerror="document.title=1"> tại https://dichvucong.gov.vn/p/home. '
                'Đừng bấm javascript:alert(1) nhé.')
    tricky = me.page.locator("#log .msg.bot").last
    await tricky.get_by_text("Đừng bấm", exact=False).wait_for(timeout=STEP_TIMEOUT)
    assert "<img src=x" in await tricky.inner_text()  # shown as text, never as HTML
    assert await tricky.locator("img").count() == 0
    links = tricky.locator("a")
    assert await links.count() == 1
    assert await links.get_attribute("href") == "https://dichvucong.gov.vn/p/home"  # without the full stop
    assert await links.get_attribute("rel") == "noopener noreferrer"
    url = me.page.url
    await me.page.close()
    await queue("Bạn đã là Đại sứ số!", "Phường thông báo: họp tổ lúc 8 giờ sáng Chủ nhật.")
    page = await context.new_page()
    me.page = page
    await page.goto(url)
    divider = page.locator("#log .msg.divider", has_text="📩 2 tin nhắn mới")
    await divider.wait_for(timeout=STEP_TIMEOUT)
    assert "họp tổ" in await page.locator("#log .msg.bot").last.inner_text()
    assert await me.labels() == labels
    for _ in range(50):  # the page confirmed what it shows: every row is sent, none is left for a turn
        async with me.served.runtime.db.sessions() as session:
            statuses = set(await session.scalars(select(OutboxMessage.status)))
        if statuses == {"sent"}:
            break
        await asyncio.sleep(0.1)
    assert statuses == {"sent"}, statuses
    await me.check("live messages")
    return page


async def english_and_delete(me: Resident) -> None:
    assert await me.tap("Về trang chính") == "menu"
    await me.tap("Thêm…")
    assert await me.tap("Cài đặt") == "settings"
    assert await me.tap(option="language") == "settings.language"
    await me.tap(option="en")
    assert await me.page.get_attribute("html", "lang") == "en"
    assert await me.page.locator("#send").inner_text() == "Send"
    assert await me.page.get_attribute("#msg", "placeholder") == "Type a message…"
    await me.check("english")
    await me.page.reload()
    await me.page.locator("#log .options .opt").first.wait_for()
    assert await me.page.get_attribute("html", "lang") == "en"  # kept after a reload
    await me.type("menu")
    await me.type("settings")
    assert await me.screen() == "settings"
    assert await me.tap(option="language") == "settings.language"
    await me.tap(option="vi")
    assert await me.page.get_attribute("html", "lang") == "vi"
    assert await me.page.locator("#send").inner_text() == "Gửi"
    await me.type("cài đặt")
    assert await me.tap(option="delete") == "settings.delete"
    await me.check("delete question")
    # Not `me.tap`: the page keeps only the last message after a deletion, so the log gets shorter.
    async with me.page.expect_response(lambda r: r.url.endswith("/api/messages"), timeout=STEP_TIMEOUT):
        await me.button(option="confirm").click()
    await me.page.wait_for_function(
        "() => { const m = document.querySelectorAll('#log .msg.bot[data-screen]');"
        " return m.length === 1 && m[0].dataset.screen === 'deleted'; }", timeout=STEP_TIMEOUT)
    async with me.served.runtime.db.sessions() as session:
        assert await session.scalar(select(User).where(User.channel == "web", User.display_name == "Bà Lan")) is None
    assert await me.page.evaluate("localStorage.getItem('bdhvs_history')") is None
    shown = await me.page.locator("#log").inner_text()
    assert "Bà Lan" not in shown and "Đã xóa" in shown  # the screen forgets too, all but the last message
    await me.page.reload()
    await me.page.locator("#log .msg").first.wait_for()
    assert "Bà Lan" not in await me.page.locator("#log").inner_text()
    await me.check("deleted")


async def shoot(page: Page, name: str) -> None:
    """A screenshot for docs/ as a person sees the page: no mouse hovering, no focus ring."""
    await page.mouse.move(0, 0)
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / name)


async def walk(served: Served, context: BrowserContext, *, large: bool, shots: dict[str, str]) -> list[str]:
    watcher = Watcher()
    me = await open_chat(context, served, watcher)
    await onboard(me, large=large)
    if "menu" in shots:
        await shoot(me.page, shots["menu"])
    await lesson(me)
    await quiz_to_certificate(me)
    if "certificate" in shots:
        await me.page.locator("#log .msg.bot[data-screen='certificate'] img").last.scroll_into_view_if_needed()
        await shoot(me.page, shots["certificate"])
    await live_messages(me, context)
    await english_and_delete(me)
    watcher.check()
    return me.checked


async def test_a_resident_walks_the_whole_web_chat_on_a_phone(served, playwright, chromium_path) -> None:
    context = await launch(playwright, chromium_path)
    try:
        checked = await walk(served, context, large=False,
                             shots={"menu": "web-chat.png", "certificate": "certificate-chat-sample.png"})
    finally:
        await context.close()
    assert "verify page" in checked and "deleted" in checked


async def test_the_same_walk_with_the_text_at_150_percent(served, playwright, chromium_path) -> None:
    context = await launch(playwright, chromium_path, text_percent=150)
    try:
        checked = await walk(served, context, large=True, shots={"menu": "web-chat-large-text.png"})
    finally:
        await context.close()
    assert "verify page" in checked and "deleted" in checked


async def test_a_failed_request_keeps_the_buttons_and_try_again_resends_the_same_message(
        served, playwright, chromium_path) -> None:
    context = await launch(playwright, chromium_path)
    watcher = Watcher(allowed=["status of 500", "status of 429", "status of 400", "HTTP 500 ", "HTTP 429 ",
                               "HTTP 400 ", "ERR_INTERNET_DISCONNECTED", "request failed: " + served.url + "/api/messages"])
    sent: list[dict[str, Any]] = []
    try:
        me = await open_chat(context, served, watcher)
        await onboard(me, large=False)
        menu = await me.labels()

        def record(request) -> None:
            if request.url.endswith("/api/messages"):
                sent.append(request.post_data_json)

        context.on("request", record)

        async def refused(how: str, says: str) -> str:
            """Taps "Học bài" while the request fails `how`; the page says `says` and keeps the menu."""
            async def fail(route) -> None:
                if how == "offline":
                    await route.abort("internetdisconnected")
                else:
                    await route.fulfill(status=int(how), content_type="text/plain", body="proxy error page")

            await me.page.route("**/api/messages", fail, times=1)
            await me.button("Học bài").click()
            notice = me.page.locator("#log .msg.notice")
            await notice.wait_for(timeout=STEP_TIMEOUT)
            assert says in await notice.inner_text()
            assert await notice.locator("button", has_text="Thử lại").is_enabled()
            assert await me.labels() == menu  # the buttons are not lost
            assert await me.button("Học bài").is_enabled()
            assert "Chưa gửi được" in await me.page.locator("#log .msg.user.failed").last.inner_text()
            return str(sent[-1]["message_id"])

        first = await refused("offline", "Mất kết nối mạng")
        await me.check("offline notice")
        await me.page.reload()  # the person gives up and comes back later
        await me.page.locator("#log .options .opt").first.wait_for()
        assert await me.labels() == menu
        notice = me.page.locator("#log .msg.notice")
        assert "Học bài" in await notice.inner_text() and "chưa gửi được" in await notice.inner_text()
        await me.answered(notice.locator("button", has_text="Thử lại").click)
        assert await me.screen() == "path.start"
        assert sent[-1]["message_id"] == first and sent[-1]["option"] == "learn"
        assert await me.type("menu") == "menu"

        for how, says in (("500", "Hệ thống đang bận"), ("429", "Bạn gửi hơi nhanh")):
            failed_id = await refused(how, says)
            await me.answered(me.page.locator("#log .msg.notice button", has_text="Thử lại").click)
            assert await me.screen() == "path.start" and sent[-1]["message_id"] == failed_id
            assert await me.type("menu") == "menu"

        await refused("400", "Xin lỗi, trợ lý chưa nhận được tin này")
        assert await me.tap("Hỏi đáp") == "faq.ask"  # the kept buttons do work
        watcher.check()
    finally:
        await context.close()
