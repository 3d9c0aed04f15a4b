""""Luyện nhận biết lừa đảo": the practice set (content/scams/practice.yaml) and its integrity.

A round draws `draw` messages; the resident answers "Lừa đảo" or "An toàn" and passes with
`pass_mark` percent right. A set is only worth practising on if a resident who does not read
the messages cannot pass: `blind_pass_rates` works out exactly how often each blind habit
passes a round ("always Lừa đảo", "a link means a scam", "the longer message is the fake" …),
for a fully random draw and for a draw of half real, half fake messages. No sampling: the
chance of k right answers in a draw is hypergeometric.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import yaml

from bot.scams.text import fold

ANSWERS = ("lua-dao", "an-toan")
MAX_WHY = 400
MAX_SENTENCE_WORDS = 25
MAX_BLIND_PASS = 0.05
SCAM_SHARE = (0.4, 0.6)
LENGTH_RATIO = 0.85  # the shorter class's mean length is at least this share of the longer's
_DIACRITIC = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)
_LINK = re.compile(r"https?://|\b[\w-]+\.(?:vn|com|net|top|xyz|info|online|app|site|cc|vip)\b", re.I)
_NUMBER = re.compile(r"\d[\d .]{5,}\d")
_MONEY = re.compile(r"\d[\d.,]*\s?(?:d|đ|vnd|k|trieu|triệu|nghin|nghìn|tr)\b", re.I)
_URGENT = re.compile(r"\b(?:ngay|gap|khan|hom nay|tranh bi|trong \d+)\b")
_WARNING = re.compile(r"\bkhong\b")
_ORG = re.compile(r"\b(?:ngan hang|vietcombank|agribank|techcombank|vpbank|bidv|cong an|thue|bhxh|vneid|dien luc|evn|dvc"
                  r"|dich vu cong|vnpost|viettel|csgt)\b")
_SENTENCE = re.compile(r"(?<=[.!?…;])\s+")


@dataclass(frozen=True)
class PracticeItem:
    id: str
    answer: str  # "lua-dao" | "an-toan"
    channel: str
    text: str
    why: str
    sources: tuple[str, ...]

    @property
    def is_scam(self) -> bool:
        return self.answer == "lua-dao"


@dataclass(frozen=True)
class PracticeSet:
    items: tuple[PracticeItem, ...]
    draw: int = 10
    pass_mark: int = 80

    def item(self, item_id: str) -> PracticeItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def needed(self) -> int:
        """Right answers needed to pass a round."""
        return math.ceil(self.draw * self.pass_mark / 100)


def load_practice(content_dir: Path | str) -> PracticeSet:
    """content/scams/practice.yaml; raises ValueError naming the problem."""
    path = Path(content_dir) / "scams" / "practice.yaml"
    practice, problems = read_practice(path)
    if problems or practice is None:
        raise ValueError("\n".join(problems) or f"{path}: unreadable")
    return practice


def read_practice(path: Path, sources: set[str] | None = None) -> tuple[PracticeSet | None, list[str]]:
    problems: list[str] = []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [f"{path}: file missing"]
    except yaml.YAMLError as error:
        return None, [f"{path}: not valid YAML: {error}"]
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return None, [f"{path}: needs a list 'items'"]
    draw, pass_mark = data.get("draw", 10), data.get("pass_mark", 80)
    if not isinstance(draw, int) or draw < 5:
        problems.append(f"{path}: draw must be a whole number ≥ 5")
        draw = 10
    if not isinstance(pass_mark, int) or not 50 <= pass_mark <= 100:
        problems.append(f"{path}: pass_mark must be between 50 and 100")
        pass_mark = 80
    items: list[PracticeItem] = []
    for n, raw in enumerate(data["items"], 1):
        where = f"{path}: item {raw.get('id', n) if isinstance(raw, dict) else n}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: not a mapping")
            continue
        before = len(problems)
        for key in ("id", "text", "why"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                problems.append(f"{where}: {key} is missing")
        if raw.get("answer") not in ANSWERS:
            problems.append(f"{where}: answer must be lua-dao or an-toan")
        if raw.get("channel") not in ("sms", "zalo", "telegram"):
            problems.append(f"{where}: channel must be sms, zalo or telegram")
        cited = raw.get("sources")
        if not isinstance(cited, list) or not cited:
            problems.append(f"{where}: sources must list the ids that support the why")
        elif sources is not None:
            problems += [f"{where}: source {s} is not in content/sources.yaml" for s in cited if s not in sources]
        why = str(raw.get("why", "")).strip()
        if len(why) > MAX_WHY:
            problems.append(f"{where}: why has {len(why)} characters (at most {MAX_WHY})")
        if "\n" in why:
            problems.append(f"{where}: why must be one paragraph")
        for sentence in _SENTENCE.split(why):
            if len(sentence.split()) > MAX_SENTENCE_WORDS:
                problems.append(f"{where}: a sentence of the why has {len(sentence.split())} words "
                                f"(at most {MAX_SENTENCE_WORDS}): “{sentence[:60]}…”")
        if why and not _DIACRITIC.search(why):
            problems.append(f"{where}: why is written without diacritics")
        if len(problems) == before:
            items.append(PracticeItem(id=raw["id"], answer=raw["answer"], channel=raw["channel"],
                                      text=raw["text"].strip(), why=why, sources=tuple(cited or ())))
    ids = [i.id for i in items]
    problems += [f"{path}: item id {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return PracticeSet(items=tuple(items), draw=draw, pass_mark=pass_mark), problems


# ── Blind strategies ─────────────────────────────────────────────────────────────────────
Strategy = Callable[[PracticeItem, "PracticeSet"], bool]  # True: the strategy answers "Lừa đảo"


def _strategies(practice: PracticeSet) -> dict[str, Callable[[PracticeItem], bool]]:
    mid = median(len(i.text) for i in practice.items)
    cues: dict[str, Callable[[PracticeItem], bool]] = {
        "always Lừa đảo": lambda i: True,
        "a link": lambda i: bool(_LINK.search(i.text)),
        "a long number": lambda i: bool(_NUMBER.search(i.text)),
        "an amount of money": lambda i: bool(_MONEY.search(fold(i.text))),
        "longer than most": lambda i: len(i.text) > mid,
        "no diacritics": lambda i: not _DIACRITIC.search(i.text),
        "names a bank or an office": lambda i: bool(_ORG.search(fold(i.text))),
        "urgent words": lambda i: bool(_URGENT.search(fold(i.text))),
        "no “không” in it": lambda i: not _WARNING.search(fold(i.text)),
        "sent on Zalo": lambda i: i.channel == "zalo",
        "an exclamation or question mark": lambda i: "!" in i.text or "?" in i.text,
    }
    both: dict[str, Callable[[PracticeItem], bool]] = {}
    for name, cue in cues.items():
        both[f"{name} → Lừa đảo"] = cue
        both[f"{name} → An toàn"] = (lambda c: lambda i: not c(i))(cue)
    return both


def _hypergeometric_at_least(total: int, good: int, drawn: int, needed: int) -> float:
    """Chance of at least `needed` good ones when drawing `drawn` of `total` (of which `good`)."""
    if drawn > total:
        return 0.0
    ways = math.comb(total, drawn)
    return sum(math.comb(good, k) * math.comb(total - good, drawn - k)
               for k in range(needed, min(good, drawn) + 1)) / ways


def _distribution(total: int, good: int, drawn: int) -> list[float]:
    ways = math.comb(total, drawn)
    return [math.comb(good, k) * math.comb(total - good, drawn - k) / ways for k in range(drawn + 1)]


def blind_pass_rates(practice: PracticeSet) -> dict[str, tuple[float, float]]:
    """Strategy → (pass rate over a random draw, pass rate over a half-real, half-fake draw)."""
    items = practice.items
    scams = [i for i in items if i.is_scam]
    real = [i for i in items if not i.is_scam]
    n, need = practice.draw, practice.needed
    rates: dict[str, tuple[float, float]] = {}
    for name, says_scam in _strategies(practice).items():
        right = [says_scam(i) == i.is_scam for i in items]
        random_rate = _hypergeometric_at_least(len(items), sum(right), n, need)
        half_scam, half_real = n // 2, n - n // 2
        if len(scams) < half_scam or len(real) < half_real:
            rates[name] = (random_rate, random_rate)  # no half-and-half draw possible
            continue
        a = _distribution(len(scams), sum(says_scam(i) for i in scams), half_scam)
        b = _distribution(len(real), sum(not says_scam(i) for i in real), half_real)
        balanced = sum(a[x] * b[y] for x in range(len(a)) for y in range(len(b)) if x + y >= need)
        rates[name] = (random_rate, balanced)
    return rates


def integrity_problems(practice: PracticeSet, path: Path) -> list[str]:
    """Why the set could be passed without reading it (empty when it cannot)."""
    problems: list[str] = []
    items = practice.items
    if len(items) < 30:
        problems.append(f"{path}: the practice set has {len(items)} messages (at least 30)")
    if not items:
        return problems
    share = sum(i.is_scam for i in items) / len(items)
    if not SCAM_SHARE[0] <= share <= SCAM_SHARE[1]:
        problems.append(f"{path}: {share:.0%} of the messages are scams (keep it between 40% and 60%)")
    scams = [len(i.text) for i in items if i.is_scam]
    real = [len(i.text) for i in items if not i.is_scam]
    if scams and real:
        a, b = sum(scams) / len(scams), sum(real) / len(real)
        if min(a, b) / max(a, b) < LENGTH_RATIO:
            problems.append(f"{path}: fake messages average {a:.0f} characters and real ones {b:.0f}: "
                            "make both kinds similar in length")
    for name, (random_rate, balanced) in blind_pass_rates(practice).items():
        worst = max(random_rate, balanced)
        if worst > MAX_BLIND_PASS:
            problems.append(f"{path}: answering “{name}” without reading passes {worst:.1%} of rounds "
                            f"(at most {MAX_BLIND_PASS:.0%})")
    return problems
