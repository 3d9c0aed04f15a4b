"""GET /verify/<code>: anyone checks that a certificate is genuine (200), revoked (200) or not valid (404)."""

from __future__ import annotations

import html
from string import Template

from aiohttp import web

from bot.quiz import certificates as certs
from bot.text.i18n import format_day
from bot.web.keys import RUNTIME

PAGE = Template("""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<style>
body{font-family:system-ui,sans-serif;font-size:20px;line-height:1.5;margin:0;background:#f4f6f9;color:#1b1b1b}
main{max-width:640px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:12px;padding:24px;border-top:8px solid $color}
h1{font-size:1.4em;margin:0 0 12px;color:$color}
dt{color:#4a4f57;font-size:.9em}dd{margin:0 0 12px;font-weight:600}
form{margin-top:24px}label{font-weight:600}
.row{display:flex;flex-wrap:wrap;gap:10px;margin-top:8px}
input{font:inherit;padding:10px;min-height:48px;flex:1 1 12em;border:2px solid #4a4f57;border-radius:10px}
input::placeholder{color:#5b6470;opacity:1}
button{font:inherit;padding:10px 18px;min-height:48px;min-width:48px;background:#0b4a85;color:#fff;border:0;
border-radius:10px;font-weight:700}
a.back{display:inline-flex;align-items:center;min-height:48px;margin-top:20px;color:#0b4a85;font-weight:700}
</style></head>
<body><main><div class="card"><h1>$heading</h1><p>$message</p>$details</div>
<form method="get" action="/verify"><label for="code">$ask</label>
<div class="row"><input id="code" name="code" placeholder="XXXX-XXXX-XXXX" autocomplete="off" autocapitalize="characters">
<button>Kiểm tra</button></div></form>
<a class="back" href="/">← Về trang trò chuyện với trợ lý</a>
</main></body></html>""")


def page(heading: str, message: str, *, color: str = "#0b4a85", details: str = "", status: int = 200,
         title: str = "Kiểm tra giấy chứng nhận", ask: str = "Kiểm tra mã khác:") -> web.Response:
    """One page layout for every answer: large text, the form to check a code, a way back to the chat."""
    body = PAGE.substitute(title=html.escape(title), color=color, heading=html.escape(heading),
                           message=html.escape(message), details=details, ask=html.escape(ask))
    return web.Response(text=body, content_type="text/html", status=status)


def not_found_page() -> web.Response:
    """Any address that does not exist: said in Vietnamese, with the way back."""
    return page("Không có trang này", "Địa chỉ bạn mở không có trên trang của trợ lý. Bạn bấm nút bên dưới để về "
                "trang trò chuyện.", status=404, title="Không tìm thấy trang", ask="Kiểm tra giấy chứng nhận:")


def _details(certificate, runtime) -> str:
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
    text = (request.match_info.get("code") or request.query.get("code", "")).strip()
    if not text:  # "/verify/" or the form sent empty: ask for the code instead of calling it invalid
        return page("Kiểm tra giấy chứng nhận",
                    "Gõ mã in trên giấy chứng nhận (dạng XXXX-XXXX-XXXX, cạnh mã QR) rồi bấm “Kiểm tra”.",
                    ask="Mã trên giấy chứng nhận:")
    async with runtime.db.sessions() as session:
        result = await certs.verify(session, runtime.settings, text[:64])
    if result.status == "genuine":
        return page("✓ Giấy chứng nhận thật", "Giấy này do trợ lý “Bình dân học vụ số” của phường cấp.",
                    color="#1e7b34", details=_details(result.certificate, runtime))
    if result.status == "revoked":
        day = format_day(result.revoked_at, "vi") if result.revoked_at else ""
        details = _details(result.certificate, runtime) if result.certificate else (
            f"<dl><dt>Thu hồi ngày</dt><dd>{html.escape(day)}</dd></dl>")
        return page("Giấy chứng nhận này đã được thu hồi",
                    f"Giấy này do phường cấp thật, nhưng đã thu hồi ngày {day} nên không còn giá trị."
                    if day else "Giấy này do phường cấp thật, nhưng đã thu hồi nên không còn giá trị.",
                    color="#a15c00", details=details)
    return page("Mã không hợp lệ", "Không có giấy chứng nhận nào mang mã này. Bạn kiểm tra lại từng chữ, số.",
                color="#b00020", status=404)


def setup(app: web.Application) -> None:
    app.router.add_get("/verify/{code}", verify_page)
    app.router.add_get("/verify/", verify_page)
    app.router.add_get("/verify", verify_page)
