"""FAQ search benchmark.

    .venv/bin/python bench/faq.py [--n 1000] [--synthetic 2000] [--target-ms 5] [--strict]

Builds the search index from the shipped content, then times N look-ups: the test
queries of tests/data/faq_queries_*.yaml, cycled, about half of them with one random
typo (so most typo corrections are not yet cached). Then the same with `--synthetic`
extra FAQ entries made from the words of the real ones (fixed seed), to see how the
search scales when the FAQ grows. Prints build time, p50/p99/max latency and the top-1
hit rate of the test queries as written ("hit") and with the random typo ("typo hit");
the p99 target applies to the shipped content.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.content.loader import Content, load_content  # noqa: E402
from bot.content.models import FaqEntry  # noqa: E402
from bot.content.search import SearchIndex  # noqa: E402

SEED = 20250410
LETTERS = "abcdeghiklmnopqrstuvxy"


def test_queries() -> list[dict]:
    queries: list[dict] = []
    for path in sorted((ROOT / "tests" / "data").glob("faq_queries_*.yaml")):
        queries.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["queries"])
    return queries


def with_typo(text: str, rng: random.Random) -> str:
    """One plausible slip in one longer word: a letter dropped, doubled, swapped or replaced."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w, p = words[i], rng.randrange(1, len(words[i]) - 1)
    words[i] = rng.choice([
        w[:p] + w[p + 1:],
        w[:p] + w[p] + w[p:],
        w[:p - 1] + w[p] + w[p - 1] + w[p + 1:],
        w[:p] + rng.choice(LETTERS) + w[p + 1:],
    ])
    return " ".join(words)


def synthetic(content: Content, count: int, rng: random.Random) -> Content:
    """`count` made-up FAQ entries drawn from the words of the real questions, phrasings and answers."""
    question_words = [w for e in content.faq for w in e.question.rstrip("?").split()]
    phrase_words = [w for e in content.faq for p in e.phrasings for w in p.split()]
    answer_words = [w for e in content.faq for w in e.answer.split()]
    extra = []
    for n in range(count):
        extra.append(FaqEntry(
            id=f"synthetic-{n}",
            question=" ".join(rng.choices(question_words, k=rng.randint(4, 10))) + "?",
            phrasings=[" ".join(rng.choices(phrase_words, k=rng.randint(3, 6))) for _ in range(rng.randint(1, 4))],
            answer=" ".join(rng.choices(answer_words, k=rng.randint(25, 70)))[:600],
        ))
    return dataclasses.replace(content, faq=[*content.faq, *extra])


def measure(content: Content, queries: list[dict], n: int, rng: random.Random) -> dict[str, float]:
    started = time.perf_counter()
    index = SearchIndex.build(content)
    build_ms = (time.perf_counter() - started) * 1000
    hits = sum(
        bool(found) and f"{found[0].kind}:{found[0].id}" in q["expect"]
        for q in queries
        for found in [index.search(q["text"])]
    )
    times, typo_hits, typos = [], 0, 0
    for i in range(n):
        query = queries[i % len(queries)]
        typo = rng.random() < 0.5
        text = with_typo(query["text"], rng) if typo else query["text"]
        start = time.perf_counter_ns()
        found = index.search(text)
        times.append((time.perf_counter_ns() - start) / 1e6)
        typos += typo
        typo_hits += typo and bool(found) and f"{found[0].kind}:{found[0].id}" in query["expect"]
    times.sort()
    return {
        "docs": len(index.docs), "build": build_ms, "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, round(0.99 * len(times)))], "max": times[-1],
        "hit": hits / len(queries), "typo_hit": typo_hits / max(typos, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="look-ups to time per index (default 1000)")
    ap.add_argument("--synthetic", type=int, default=2000, help="extra made-up FAQ entries (default 2000)")
    ap.add_argument("--target-ms", type=float, default=5.0, help="p99 target for the shipped content")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the shipped content misses the target")
    args = ap.parse_args()

    content, queries = load_content(), test_queries()
    grown = synthetic(content, args.synthetic, random.Random(SEED))
    rows = [
        ("shipped content", measure(content, queries, args.n, random.Random(SEED))),
        (f"+ {args.synthetic:,} synthetic FAQ", measure(grown, queries, args.n, random.Random(SEED))),
    ]
    print(f"FAQ search: {args.n:,} look-ups per index ({len(queries)} test queries cycled, ~half with a typo)")
    print(f"{'index':30} {'docs':>6} {'build ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'hit':>6} {'typo hit':>9}  target")
    for name, row in rows:
        verdict = (f"p99 ≤ {args.target_ms:g} ms: {'OK' if row['p99'] <= args.target_ms else 'MISSED'}"
                   if row is rows[0][1] else "(report only)")
        print(f"{name:30} {row['docs']:>6} {row['build']:>9.0f} {row['p50']:>8.2f} {row['p99']:>8.2f} "
              f"{row['max']:>8.2f} {row['hit']:>6.1%} {row['typo_hit']:>9.1%}  {verdict}")
    return 1 if args.strict and rows[0][1]["p99"] > args.target_ms else 0


if __name__ == "__main__":
    sys.exit(main())
