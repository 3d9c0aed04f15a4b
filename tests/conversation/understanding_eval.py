"""Runs tests/data/understanding.yaml through the real engine and says, item by item, what the reply was.

Each item is typed by a new resident standing on the main menu (`where: menu`) or
right after tapping "Hỏi đáp" (`where: faq`). A reply is judged by what it says
it answers (`Reply.about`: "faq:<id>", "lesson:<id>", "intent:<name>") or, for a
button typed by hand, by the screen it opens. Used by the ratchet test
(tests/conversation/test_understanding.py) and by bench/understanding.py.
"""

from __future__ import annotations

import itertools
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.app.runtime import Runtime, build_runtime
from bot.core.messages import Incoming, Reply
from bot.db.session import Database

DATA = Path(__file__).resolve().parent.parent / "data" / "understanding.yaml"
GLOBAL_SCREENS = {"menu": "menu", "help": "help", "cancel": "menu"}
SAME = {"guide": "help", "more": "menu", "cancel": "menu"}
"""Options that open the same screen: typing either is right for both."""
ALSO = {"path.start": "learn"}
"""Screens a menu entry opens instead of its own for a new resident ("Học bài" starts the path)."""
_ids = itertools.count(1)


HOLDOUT = DATA.with_name("understanding_holdout.yaml")
"""A second set, written apart from the first and from the intent patterns, to see how far the
figures of the first carry over to questions nobody tuned for."""


def items(path: Path = DATA) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["items"])


def expected_label(expect: dict[str, str]) -> str:
    if "answer" in expect:
        return f"answer:{expect['answer']}"
    if expect["intent"] == "option":
        return f"option:{expect['option']}"
    return f"intent:{expect['intent']}"


@dataclass
class Outcome:
    item: dict[str, Any]
    got: str
    seconds: float

    @property
    def expected(self) -> str:
        return expected_label(self.item["expect"])

    @property
    def right(self) -> bool:
        def same(label: str) -> str:
            kind, _, value = label.partition(":")
            return f"{kind}:{SAME.get(value, value)}" if kind == "option" else label
        return same(self.got) == same(self.expected)

    @property
    def topical(self) -> bool:
        """Answered with a topical text (an FAQ entry or a lesson)."""
        return self.got.startswith("answer:")


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def accuracy(self, *, where: str | None = None, category: str | None = None) -> float:
        chosen = [o for o in self.outcomes if (where is None or o.item["where"] == where)
                  and (category is None or o.item["category"] == category)]
        return sum(o.right for o in chosen) / len(chosen) if chosen else 1.0

    def categories(self) -> list[str]:
        return sorted({o.item["category"] for o in self.outcomes})

    def confusions(self) -> Counter[tuple[str, str]]:
        return Counter((o.expected, o.got) for o in self.outcomes if not o.right)

    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]

    def table(self) -> str:
        lines = [f"{'category':<14} {'menu':>6} {'faq':>6} {'all':>6}  n"]
        rows = Counter(o.item["category"] for o in self.outcomes)
        for category in [*self.categories(), None]:
            name = category or "all"
            cells = [self.accuracy(where=w, category=category) for w in ("menu", "faq", None)]
            n = rows[category] if category else len(self.outcomes)
            lines.append(f"{name:<14} " + " ".join(f"{100 * c:5.1f}%" for c in cells) + f"  {n}")
        return "\n".join(lines)


def judge(replies: list[Reply], menu_targets: dict[str, str]) -> str:
    """What the replies answered: the first reply that says so, else the screen a button opened."""
    for reply in replies:
        if reply.about.startswith(("faq:", "lesson:")):
            return "answer:" + reply.about.split(":", 1)[1]
        if reply.about.startswith("intent:"):
            return reply.about
    screen = replies[-1].screen if replies else ""
    if screen in ALSO:
        return f"option:{ALSO[screen]}"
    for option, target in {**menu_targets, **GLOBAL_SCREENS}.items():
        if screen == target:
            return f"option:{option}"
    return f"screen:{screen}"


async def _turn(runtime: Runtime, user: str, text: str | None = None, option: str | None = None) -> list[Reply]:
    return await runtime.engine.handle(Incoming("web", user, f"{user}:{next(_ids)}", text=text, option=option))


async def resident(runtime: Runtime) -> str:
    """A new resident who has just finished onboarding (consented, 60+, ward 1, TDP 5)."""
    user = uuid.uuid4().hex
    for text in ("/start", "đồng ý", "Bà Lan", "3", "1", "tổ 5", "để sau"):
        await _turn(runtime, user, text)
    return user


async def evaluate(runtime: Runtime, chosen: list[dict[str, Any]] | None = None) -> Report:
    menu_targets = {entry.option_id: entry.screen for entry in runtime.engine.flow.menu}
    report = Report()
    for item in chosen if chosen is not None else items():
        user = await resident(runtime)
        if item["where"] == "faq":
            await _turn(runtime, user, option="faq")
        started = time.perf_counter()
        replies = await _turn(runtime, user, item["text"])
        report.outcomes.append(Outcome(item, judge(replies, menu_targets), time.perf_counter() - started))
    return report


async def evaluate_shipped(path: Path = DATA, settings_overrides: dict[str, Any] | None = None) -> Report:
    """A whole set against the shipped content, in a throw-away SQLite database."""
    from tests.conftest import make_settings, shipped_content

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/eval.db")
        await db.create_all()
        runtime = await build_runtime(make_settings(db.url, **(settings_overrides or {})), db=db,
                                      content=shipped_content())
        runtime.services.files_dir = Path(folder) / "files"
        try:
            return await evaluate(runtime, items(path))
        finally:
            await runtime.close()
