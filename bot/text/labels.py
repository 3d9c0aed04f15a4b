"""Button labels cut to fit a screen: between words, never mid-word, with "…" when cut."""

from __future__ import annotations


def cut_at_word(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words (never mid-word), with "…" when cut."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"
