"""What a person meets outside the conversation: the verify page without a code, wrong addresses,
the icon, the chat page's policy, and `bot run` on a port that is taken."""

from __future__ import annotations

import socket

import pytest

from bot.app.server import serve
from bot.config import SettingsError
from tests.conftest import make_settings


async def test_verify_without_a_code_asks_for_it_in_vietnamese(client) -> None:
    for path in ("/verify/", "/verify", "/verify?code=", "/verify?code=%20%20"):
        response = await client.get(path)
        assert response.status == 200, path
        page = await response.text()
        assert '<html lang="vi">' in page and "Gõ mã in trên giấy chứng nhận" in page, path
        assert 'name="code"' in page and 'href="/"' in page and "Not Found" not in page


async def test_a_wrong_address_gets_a_vietnamese_page_with_a_way_back(client) -> None:
    response = await client.get("/trang-khong-co")
    assert response.status == 404 and response.content_type == "text/html"
    page = await response.text()
    assert "Không có trang này" in page and 'href="/"' in page and "Not Found" not in page
    api = await client.get("/api/khong-co")
    assert api.status == 404 and (await api.json())["error"] == "not_found"
    missing = await client.get("/files/khong-co.pdf")
    assert missing.status == 404 and await missing.text() == "Không tìm thấy tệp."


async def test_the_icon_and_the_chat_page_policy(client) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status == 200 and icon.content_type == "image/png"
    assert (await icon.read()).startswith(b"\x89PNG")
    svg = await client.get("/static/favicon.svg")
    assert svg.status == 200 and b"<svg" in await svg.read()
    page = await client.get("/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    assert 'rel="icon"' in html and 'data-i18n="hint"' in html


async def test_a_port_in_use_ends_start_up_with_one_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", web_port=port)
        with pytest.raises(SettingsError) as caught:
            await serve(settings, background=False, load_reference=False, ready=lambda: None)
    message = str(caught.value)
    assert "\n" not in message
    assert f"127.0.0.1:{port} is already in use" in message and "WEB_PORT" in message
