"""Scam check on the labelled set: recall, false alarms, per-sign recall, confusions, latency.

    .venv/bin/python bench/scamcheck.py [--set tests/data/scam_messages.yaml] [--misses]

A scam counts as caught when the verdict is "Nguy hiểm" or "Đáng ngờ"; on legitimate messages a
"Nguy hiểm" and a "Đáng ngờ" are false alarms, counted apart. Latency is per message, rules
already loaded (they load once per process), over several rounds of the whole set.
Targets (issue 23): recall ≥ 95%, false "Nguy hiểm" ≤ 5%, false "Đáng ngờ" ≤ 15%, p99 ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.scams import check, default_rules  # noqa: E402

SET = ROOT / "tests" / "data" / "scam_messages.yaml"
ROUNDS = 20
TARGETS = {"recall": 0.95, "false_nguy_hiem": 0.05, "false_dang_ngo": 0.15, "p99_ms": 10.0}


@dataclass
class Figures:
    scams: int
    legit: int
    recall: float
    false_nguy_hiem: float
    false_dang_ngo: float
    exact: float  # share of messages whose verdict is the one the set expects
    per_sign: dict[str, tuple[int, int, int]]  # sign -> (messages, caught, sign named by a reason)
    confusion: dict[tuple[str, str], int]  # (expected, got) -> count
    p50_ms: float
    p99_ms: float
    misses: list[dict]
    false_alarms: list[tuple[dict, str]]

    def meets_targets(self) -> bool:
        return (self.recall >= TARGETS["recall"] and self.false_nguy_hiem <= TARGETS["false_nguy_hiem"]
                and self.false_dang_ngo <= TARGETS["false_dang_ngo"] and self.p99_ms <= TARGETS["p99_ms"])


def load_set(path: Path = SET) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def evaluate(messages: list[dict], rounds: int = ROUNDS) -> Figures:
    rules = default_rules()
    results = [check(m["text"], rules) for m in messages]
    scams = [(m, r) for m, r in zip(messages, results) if m["label"] == "scam"]
    legit = [(m, r) for m, r in zip(messages, results) if m["label"] == "legit"]
    caught = [r.verdict != "an-toan" for _, r in scams]
    per_sign: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m, r in scams:
        for sign in m.get("signs") or []:
            per_sign[sign][0] += 1
            per_sign[sign][1] += r.verdict != "an-toan"
            per_sign[sign][2] += sign in r.signs
    confusion = Counter((m["expect"], r.verdict) for m, r in zip(messages, results))
    timings: list[float] = []
    for _ in range(rounds):
        for m in messages:
            start = time.perf_counter()
            check(m["text"], rules)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return Figures(
        scams=len(scams), legit=len(legit),
        recall=sum(caught) / len(scams) if scams else 1.0,
        false_nguy_hiem=sum(r.verdict == "nguy-hiem" for _, r in legit) / len(legit) if legit else 0.0,
        false_dang_ngo=sum(r.verdict == "dang-ngo" for _, r in legit) / len(legit) if legit else 0.0,
        exact=sum(m["expect"] == r.verdict for m, r in zip(messages, results)) / len(messages),
        per_sign={s: (v[0], v[1], v[2]) for s, v in sorted(per_sign.items())},
        confusion=dict(confusion),
        p50_ms=statistics.median(timings), p99_ms=timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        misses=[m for m, r in scams if r.verdict == "an-toan"],
        false_alarms=[(m, r.verdict) for m, r in legit if r.verdict != "an-toan"],
    )


def report(f: Figures, show_misses: bool = False) -> str:
    pct = lambda x: f"{x * 100:.1f}%"  # noqa: E731
    lines = [
        f"Scam check on {f.scams + f.legit} labelled messages ({f.scams} scams, {f.legit} legitimate)",
        f"  recall on scams (Nguy hiểm or Đáng ngờ)   {pct(f.recall):>7}   target ≥ 95%",
        f"  false “Nguy hiểm” on legitimate            {pct(f.false_nguy_hiem):>7}   target ≤ 5%",
        f"  false “Đáng ngờ” on legitimate             {pct(f.false_dang_ngo):>7}   target ≤ 15%",
        f"  verdict exactly as expected                 {pct(f.exact):>7}",
        f"  latency per message: p50 {f.p50_ms:.3f} ms, p99 {f.p99_ms:.3f} ms   target p99 ≤ 10 ms",
        "",
        "Per sign (scams carrying it):      messages  caught   named by a reason",
    ]
    for sign, (n, hit, named) in f.per_sign.items():
        lines.append(f"  {sign:<28} {n:>8}  {pct(hit / n):>7}   {pct(named / n):>7}")
    lines += ["", "Confusions (expected → got):"]
    for expected in ("nguy-hiem", "dang-ngo", "an-toan"):
        row = "  ".join(f"{got}: {f.confusion.get((expected, got), 0):>3}" for got in ("nguy-hiem", "dang-ngo", "an-toan"))
        lines.append(f"  {expected:<10} → {row}")
    if show_misses:
        lines += ["", "Missed scams:"] + [f"  - {m['text'][:110]}" for m in f.misses]
        lines += ["", "False alarms:"] + [f"  - [{v}] {m['text'][:110]}" for m, v in f.false_alarms]
    lines += ["", "All targets met." if f.meets_targets() else "TARGETS NOT MET."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--misses", action="store_true", help="list missed scams and false alarms")
    args = parser.parse_args()
    figures = evaluate(load_set(args.set))
    print(report(figures, args.misses))
    return 0 if figures.meets_targets() else 1


if __name__ == "__main__":
    sys.exit(main())
