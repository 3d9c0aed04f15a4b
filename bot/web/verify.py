"""GET /verify/<code>: anyone checks that a certificate is genuine (200), revoked (200) or not valid (404)."""

from __future__ import annotations

import html
from string import Template

from aiohttp import web

from bot.core.i18n import format_day
from bot.quiz import certificates as certs
from bot.web.keys import RUNTIME

PAGE = Template("""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kiểm tra giấy chứng nhận</title>
<style>
body{font-family:system-ui,sans-serif;font-size:20px;line-height:1.5;margin:0;background:#f4f6f9;color:#1b1b1b}
main{max-width:640px;margin:0 auto;padding:24px}
.card{background:#fff;border-radius:12px;padding:24px;border-top:8px solid $color}
h1{font-size:1.4em;margin:0 0 12px;color:$color}
dt{color:#555;font-size:.85em}dd{margin:0 0 12px;font-weight:600}
form{margin-top:24px}input{font-size:1em;padding:10px;width:60%}button{font-size:1em;padding:10px 16px}
</style></head>
<body><main><div class="card"><h1>$heading</h1><p>$message</p>$details</div>
<form method="get" action="/verify"><label for="code">Kiểm tra mã khác:</label><br>
<input id="code" name="code" placeholder="XXXX-XXXX-XXXX" autocomplete="off"> <button>Kiểm tra</button></form>
</main></body></html>""")


def _details(certificate, runtime) -> str:  # type: ignore[no-untyped-def]
    rows = [
        ("Người nhận", certs.masked_name(certificate.holder_name)),
        ("Nơi ở", ", ".join(p for p in (certificate.tdp_name, certificate.ward_name and f"phường {certificate.ward_name}") if p)),
        ("Chủ đề", ", ".join(certs.topic_titles(runtime.services.content, certificate))),
        ("Ngày cấp", format_day(certificate.issued_at, "vi")),
        ("Mã", certificate.code),
    ]
    if certificate.revoked_at:
        rows.append(("Thu hồi ngày", format_day(certificate.revoked_at, "vi")))
    return "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows if v) + "</dl>"


async def verify_page(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    text = request.match_info.get("code") or request.query.get("code", "")
    async with runtime.db.sessions() as session:
        result = await certs.verify(session, runtime.settings, text[:64])
    if result.status == "genuine":
        body = PAGE.substitute(color="#1e7b34", heading="✓ Giấy chứng nhận thật",
                               message="Giấy này do trợ lý “Bình dân học vụ số” của phường cấp.",
                               details=_details(result.certificate, runtime))
        return web.Response(text=body, content_type="text/html")
    if result.status == "revoked":
        body = PAGE.substitute(color="#a15c00", heading="Giấy chứng nhận đã thu hồi",
                               message="Giấy này từng được cấp nhưng đã thu hồi, không còn giá trị.",
                               details=_details(result.certificate, runtime))
        return web.Response(text=body, content_type="text/html")
    body = PAGE.substitute(color="#b00020", heading="Mã không hợp lệ",
                           message="Không có giấy chứng nhận nào mang mã này. Bạn kiểm tra lại từng chữ, số.",
                           details="")
    return web.Response(text=body, content_type="text/html", status=404)


def setup(app: web.Application) -> None:
    app.router.add_get("/verify/{code}", verify_page)
    app.router.add_get("/verify", verify_page)
