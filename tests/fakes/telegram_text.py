"""Telegram's ``parse_mode`` text, parsed the way the server does: enough to catch the usual escaping bugs.

The fake renders HTML and MarkdownV2 to the plain text a person would see
(length limits apply to that), and answers the server's
"can't parse entities" 400 where the real one would.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .records import ApiError, bad_request

__all__ = ["parse_html", "parse_markdown_v2", "render_text"]

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
     "a", "code", "pre", "blockquote", "tg-emoji"}
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_KINDS = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _entities_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def parse_html(text: str) -> str:
    """Return the plain text of Telegram-HTML ``text`` or raise the server's 400."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            # Only numeric entities and &lt; &gt; &amp; &quot; are decoded; the rest stay literal.
            if m is not None and (m.group(1).startswith("#") or m.group(1) in ("lt", "gt", "amp", "quot")):
                decoded = html.unescape(m.group(0))
                if decoded != m.group(0):
                    out.append(decoded)
                    i = m.end()
                    continue
            out.append(char)
            i += 1
            continue
        if char == "<":
            m = _HTML_TAG_RE.match(text, i)
            if m is None:
                if text.startswith("</", i):
                    raise _entities_error(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
                start = re.match(r"<([^\s<>/]*)", text[i:])
                raise _entities_error(
                    f'Unsupported start tag "{start.group(1) if start else ""}" at byte offset {_byte_offset(text, i)}'
                )
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3) or ""
            if closing:
                if not stack:
                    raise _entities_error(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
                if stack[-1] != name:
                    raise _entities_error(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                        f'expected "</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in _HTML_TAGS:
                    raise _entities_error(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}')
                if name == "span" and "tg-spoiler" not in attrs:
                    raise _entities_error(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, i)}'
                    )
                stack.append(name)
            i = m.end()
            continue
        out.append(char)
        i += 1
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def parse_markdown_v2(text: str) -> str:
    """Return the plain text of MarkdownV2 ``text`` or raise the server's 400.

    Covers escaping, reserved characters, bold/italic/underline/strike/spoiler,
    inline code, pre blocks, links and blockquotes: the cases bots get wrong.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # (marker, index where it opened)
    i, n = 0, len(text)
    line_start = True
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            i += 2
            line_start = False
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            j = i + len(fence)
            body: list[str] = []
            while j < n and not text.startswith(fence, j):
                if text[j] == "\\" and j + 1 < n and text[j + 1] in "`\\":
                    j += 1
                body.append(text[j])
                j += 1
            if j >= n:
                kind = "Pre" if fence == "```" else "Code"
                raise _entities_error(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}")
            content = "".join(body)
            if fence == "```" and "\n" in content:
                first, rest = content.split("\n", 1)
                if first and " " not in first:  # language name line
                    content = rest
            out.append(content)
            i = j + len(fence)
            line_start = False
            continue
        marker = None
        if text.startswith("||", i):
            marker = "||"
        elif text.startswith("__", i):
            marker = "__"
        elif char in "*_~":
            marker = char
        if marker is not None:
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, i))
            i += len(marker)
            line_start = False
            continue
        if char == "[":
            stack.append(("[", i))
            i += 1
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            stack.pop()
            i += 1
            if i < n and text[i] == "(":
                j = i + 1
                while j < n and text[j] != ")":
                    j += 2 if text[j] == "\\" else 1
                if j >= n:
                    raise _entities_error(f"Can't find end of a url at byte offset {_byte_offset(text, i)}")
                i = j + 1
            continue
        if char == ">" and line_start:
            i += 1
            continue
        if char == "!" and text.startswith("![", i):  # custom emoji: ![👍](tg://emoji?id=...)
            i += 1
            continue
        if char in _MDV2_RESERVED:
            raise _entities_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        out.append(char)
        line_start = char == "\n"
        i += 1
    if stack:
        marker, start = stack[-1]
        kind = "TextUrl" if marker == "[" else _MDV2_KINDS[marker]
        raise _entities_error(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, start)}")
    return "".join(out)


def render_text(text: str, parse_mode: Any) -> str:
    """Plain text the user would see (length limits apply to this)."""
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    return text
