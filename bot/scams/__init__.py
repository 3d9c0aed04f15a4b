"""Scam check, "Hỏi trước khi bấm" (issue 23): is a forwarded message a trap, and what to do.

A pure package: no database, no network, no state. Others call it:

    from bot.scams import check, render
    verdict = check(text)                 # Verdict(verdict="nguy-hiem" | "dang-ngo" | "an-toan", …)
    reply = render(verdict, "vi")         # the message a resident reads (exactly one verdict word)

The rules and official domains are content (content/scams/*.yaml), loaded by
`load_scam_rules(content_dir)` and checked by `validate(content_dir)` for `bot content check`;
the practice set "Luyện nhận biết lừa đảo" is `load_practice(content_dir)`.
"""

from bot.scams.checker import CONTENT_DIR, VERDICTS, WORDS, Reason, Verdict, check, default_rules
from bot.scams.links import Link, find_links
from bot.scams.practice import PracticeItem, PracticeSet, load_practice
from bot.scams.render import render
from bot.scams.rules import Organisation, Rule, ScamContentError, ScamRules, load_scam_rules
from bot.scams.validate import validate

__all__ = [
    "CONTENT_DIR", "VERDICTS", "WORDS", "Link", "Organisation", "PracticeItem", "PracticeSet", "Reason",
    "Rule", "ScamContentError", "ScamRules", "Verdict", "check", "default_rules", "find_links",
    "load_practice", "load_scam_rules", "render", "validate",
]
