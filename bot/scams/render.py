"""`render(verdict, lang)`: the reply a resident reads after "Kiểm tra tin nhắn lạ".

Short enough for one phone screen (at most `MAX_CHARS`, Zalo allows 2000): the verdict word,
exactly one of "Nguy hiểm", "Đáng ngờ", "Chưa thấy dấu hiệu lừa" (in English too, followed by
its translation), at most three reasons in plain words, the links found written so that no chat
app turns them back into links ("vietcombank-vn[.]top"), and what to do. "Chưa thấy dấu hiệu
lừa" always says that the check cannot prove a message safe.

Reporting: 156 takes calls and texts about scams, free of charge, and a text "LD <số> <nội dung>"
goes to 156 or 5656 (sources S28, S29, S95); websites are looked up at tinnhiemmang.vn (S30).
"""

from __future__ import annotations

from typing import Any

from bot.scams.checker import WORDS, Verdict

MAX_CHARS = 700
MAX_REASONS = 3

_ICON = {"nguy-hiem": "🔴", "dang-ngo": "🟠", "an-toan": "🟢"}
_TEXT: dict[str, dict[str, Any]] = {
    "vi": {
        "head.nguy-hiem": "Tin này có dấu hiệu lừa đảo.",
        "head.dang-ngo": "Tin này có điểm đáng ngờ. Hãy kiểm tra trước khi làm theo.",
        "head.an-toan": "Tôi chưa thấy dấu hiệu lừa quen thuộc.",
        "seen": "Tôi thấy:",
        "link.official": "Link {link}: trang chính thức của {name}.",
        "link.imitates": "Link {link}: không phải trang của {name}.",
        "link.other": "Link {link}: không phải trang chính thức nào tôi biết.",
        "todo": "Bạn nên:",
        "todo.nguy-hiem": [
            "Không bấm link, không trả lời, không chuyển tiền, không đọc mã OTP.",
            "Muốn hỏi lại, tự gọi số tổng đài bạn đã biết (in trên thẻ, hóa đơn), không gọi số trong tin.",
            "Chặn người gửi. Báo lừa đảo: gọi 156 (miễn phí) hoặc nhắn LD <số gửi> <nội dung> tới 156.",
        ],
        "todo.dang-ngo": [
            "Chưa bấm link, chưa chuyển tiền.",
            "Tự gọi cho người hay tổ chức đó bằng số bạn đã biết để hỏi.",
            "Nếu đúng là lừa: chặn, rồi báo 156 (gọi hoặc nhắn tin, miễn phí).",
        ],
        "caveat": ("Nhưng tôi không thể chứng minh tin này an toàn. Đừng đọc mã OTP, mật khẩu cho ai; "
                   "chưa rõ thì hỏi lại bằng số bạn đã biết."),
        "web": "Trang web lạ: tra ở tinnhiemmang.vn.",
    },
    "en": {
        "head.nguy-hiem": "(dangerous) This message shows signs of a scam.",
        "head.dang-ngo": "(doubtful) Something here is suspicious. Check before you act.",
        "head.an-toan": "(no sign of a scam seen) I found none of the usual signs.",
        "seen": "What I saw:",
        "link.official": "Link {link}: the official site of {name}.",
        "link.imitates": "Link {link}: not the site of {name}.",
        "link.other": "Link {link}: not an official site I know.",
        "todo": "What to do:",
        "todo.nguy-hiem": [
            "Do not tap the link, reply, send money or read out an OTP.",
            "To ask, call the number you already know (on your card or bill), not one in the message.",
            "Block the sender. Report it: call 156 (free) or text LD <number> <what happened> to 156.",
        ],
        "todo.dang-ngo": [
            "Do not tap the link or send money yet.",
            "Call the person or organisation on a number you already know and ask.",
            "If it is a scam: block it, then report to 156 (call or text, free).",
        ],
        "caveat": ("But I cannot prove this message is safe. Never read out an OTP or password; "
                   "if unsure, ask on a number you already know."),
        "web": "A strange website: look it up at tinnhiemmang.vn.",
    },
}


def _link_line(texts: dict, verdict: Verdict) -> list[str]:
    lines = []
    for link in verdict.links[:2]:
        if link.official:
            lines.append(texts["link.official"].format(link=link.safe_text, name=link.owner_name))
        elif link.imitates_name:
            lines.append(texts["link.imitates"].format(link=link.safe_text, name=link.imitates_name))
        else:
            lines.append(texts["link.other"].format(link=link.safe_text))
    return lines


def render(verdict: Verdict, lang: str = "vi") -> str:
    """The reply for a resident, in `lang` ('vi' or 'en'); at most MAX_CHARS characters."""
    texts = _TEXT.get(lang, _TEXT["vi"])
    english = lang == "en"
    head = f"{_ICON[verdict.verdict]} {WORDS[verdict.verdict]}{'' if english else ':'} {texts['head.' + verdict.verdict]}"
    if verdict.verdict == "an-toan":
        body = [head, texts["caveat"]]
        link_lines = _link_line(texts, verdict)
        if any(not link.official for link in verdict.links):
            link_lines.append(texts["web"])
        return _fit([*body, *link_lines])
    reasons = []
    for reason in verdict.reasons[:MAX_REASONS]:
        title, means = (reason.title_en or reason.title, reason.means_en or reason.means) if english else (reason.title, reason.means)
        reasons.append(f"• {title}: {means}")
    todo = [f"• {line}" for line in texts["todo." + verdict.verdict]]
    parts = [head, texts["seen"], *reasons, *_link_line(texts, verdict), texts["todo"], *todo]
    text = "\n".join(parts)
    while len(text) > MAX_CHARS and len(reasons) > 1:
        reasons.pop()
        parts = [head, texts["seen"], *reasons, *_link_line(texts, verdict), texts["todo"], *todo]
        text = "\n".join(parts)
    return _fit(parts)


def _fit(parts: list[str]) -> str:
    text = "\n".join(parts)
    if len(text) <= MAX_CHARS:
        return text
    # Links are the first thing to go, then lines from the end; the verdict and its caveat stay.
    kept = [p for p in parts if not p.startswith(("Link ", "Trang web", "A strange"))]
    text = "\n".join(kept)
    while len(text) > MAX_CHARS and len(kept) > 2:
        kept.pop()
        text = "\n".join(kept)
    return text[:MAX_CHARS]
