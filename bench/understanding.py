"""Understanding benchmark: accuracy on tests/data/understanding.yaml and the time to answer.

    .venv/bin/python bench/understanding.py [--n 300] [--wrong]

Runs every labelled item through the real engine, as a new resident at the main menu or
after tapping "Hỏi đáp" (tests/conversation/understanding_eval.py), and prints accuracy
per category and place, then the most frequent confusions (expected → got; `--wrong`
lists every miss). Then times N turns of three kinds in the same process: "menu" (a
global word, no search: the baseline of a bare turn), a typed question of the set, and a
300-word message (stories of the set joined), and prints p50 / p99 / max of each.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app.runtime import build_runtime  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.db.session import Database  # noqa: E402
from tests.conftest import make_settings, shipped_content  # noqa: E402
from tests.conversation.understanding_eval import evaluate, items, resident  # noqa: E402

TARGET_MS = 20.0


def three_hundred_words(texts: list[str]) -> str:
    words: list[str] = []
    for text in texts:
        words += text.split()
        if len(words) >= 300:
            break
    return " ".join(words[:300])


def quantiles(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):6.2f} ms   p99 {p99:6.2f} ms   max {ms[-1]:6.2f} ms"


async def main(n: int, show_wrong: bool) -> int:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
        await db.create_all()
        runtime = await build_runtime(make_settings(db.url), db=db, content=shipped_content())
        runtime.services.files_dir = Path(folder) / "files"
        try:
            started = time.perf_counter()
            report = await evaluate(runtime)
            print(f"understanding set: {len(report.outcomes)} items in {time.perf_counter() - started:.1f} s\n")
            print(report.table())
            print("\nmost frequent confusions (expected -> got):")
            for (expected, got), count in report.confusions().most_common(15):
                print(f"  {count:3d}  {expected} -> {got}")
            if show_wrong:
                for outcome in report.wrong():
                    print(f"  [{outcome.item['where']}] {outcome.expected} -> {outcome.got}: {outcome.item['text']}")

            stories = [i["text"] for i in items() if i["category"] == "long_story"]
            questions = [i["text"] for i in items() if i["category"] in ("plain", "no_diacritics", "typos")]
            long_message = three_hundred_words(stories)
            user = await resident(runtime)
            kinds = {"menu (baseline)": ["menu"], "question": questions, "300 words": [long_message]}
            print(f"\n{n} turns each, one resident at the main menu (target: 300 words p99 <= {TARGET_MS:.0f} ms):")
            for name, texts in kinds.items():
                times = []
                for k in range(n):
                    await runtime.engine.handle(Incoming("web", user, f"{user}:m{name}{k}", text="menu"))
                    begun = time.perf_counter()
                    await runtime.engine.handle(Incoming("web", user, f"{user}:{name}{k}", text=texts[k % len(texts)]))
                    times.append(time.perf_counter() - begun)
                print(f"  {name:<16} {quantiles(times)}")
        finally:
            await runtime.close()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--wrong", action="store_true", help="list every item answered wrongly")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.n, args.wrong)))
