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

from bot.scams.checker import WORDS, Verdict
from bot.text.i18n import translate

MAX_CHARS = 700
MAX_REASONS = 3

_ICON = {"nguy-hiem": "🔴", "dang-ngo": "🟠", "an-toan": "🟢"}
TODO_LINES = 3
"""What to do, in lines `scam.verdict.todo.<verdict>.1` … `.3` of the catalogs (bot/locales)."""


class _Texts:
    """The verdict's words in one language, from the same catalogs as every other reply."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        return translate(self.lang, f"scam.verdict.{key}")

    def todo(self, verdict: str) -> list[str]:
        return [self[f"todo.{verdict}.{n}"] for n in range(1, TODO_LINES + 1)]


def _link_line(texts: _Texts, verdict: Verdict) -> list[str]:
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
    english = lang == "en"
    texts = _Texts("en" if english else "vi")
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
    todo = [f"• {line}" for line in texts.todo(verdict.verdict)]
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
