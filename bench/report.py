"""Report benchmark: a quarterly report of 100,000 residents in 300 TDPs on SQLite.

    .venv/bin/python bench/report.py [--residents 100000] [--tdps 300] [--year 2026 --quarter 4] [--keep]

Seeds a temporary SQLite file with the demo seeder (in a child process, so
that seeding's memory does not count), then times `build_report` in this
fresh process and prints wall time and peak RSS (whole process: interpreter,
SQLAlchemy, openpyxl and matplotlib included) against the targets
≤ 5 s and ≤ 300 MB. Exit code 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.text.i18n import WARD_TZ  # noqa: E402

TARGET_SECONDS, TARGET_MB = 5.0, 300.0
KEY = "bench-signing-key-0123456789"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def seed(url: str, residents: int, tdps: int) -> None:
    from sqlalchemy import insert

    from bot.db.models import Tdp, Ward
    from bot.units import demo

    rng = random.Random(2026)
    db = Database(url)
    settings = load_settings(database_url=url, cert_signing_key=KEY, _env_file=None)
    async with db.transaction() as session:
        ward_id = (await session.execute(insert(Ward).values(code="bench", name="Bench").returning(Ward.id))).scalar()
        await session.execute(insert(Tdp), [
            {"ward_id": ward_id, "code": f"tdp-{n}", "name": f"Tổ dân phố số {n}", "number": n,
             "adult_population": rng.randint(300, 600), "households": rng.randint(110, 230), "is_example": False}
            for n in range(1, tdps + 1)])
    started = time.perf_counter()
    result = await demo.seed(db, settings, residents, "bench", seed=1)
    print(f"seeded in {time.perf_counter() - started:.1f} s: {result}", flush=True)
    await db.dispose()


async def report(url: str, year: int, quarter: int, out_dir: Path) -> None:
    from bot.reports.service import build_report

    settings = load_settings(database_url=url, cert_signing_key=KEY, _env_file=None)
    db = Database(url)
    before = peak_rss_mb()
    started = time.perf_counter()
    files = await build_report(db, settings, "quarterly", year, quarter, ward_code="bench", out_dir=out_dir)
    elapsed = time.perf_counter() - started
    peak = peak_rss_mb()
    await db.dispose()
    print(files.summary)
    print(f"files: {files.xlsx.name} ({files.xlsx.stat().st_size // 1024} KiB), "
          f"{files.chart_png.name} ({files.chart_png.stat().st_size // 1024} KiB)")
    print(f"build_report: {elapsed:.2f} s (target ≤ {TARGET_SECONDS:.0f} s) "
          f"{'OK' if elapsed <= TARGET_SECONDS else 'MISSED'}")
    print(f"peak RSS: {peak:.0f} MB (target ≤ {TARGET_MB:.0f} MB; {before:.0f} MB before the call) "
          f"{'OK' if peak <= TARGET_MB else 'MISSED'}")
    if elapsed > TARGET_SECONDS or peak > TARGET_MB:
        sys.exit(1)


def main() -> None:
    now = datetime.now(WARD_TZ)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--tdps", type=int, default=300)
    parser.add_argument("--year", type=int, default=now.year)
    parser.add_argument("--quarter", type=int, default=(now.month - 1) // 3 + 1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    parser.add_argument("--seed-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        asyncio.run(seed(args.seed_only, args.residents, args.tdps))
        return
    from bot.db.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    try:
        upgrade(url)
        subprocess.run([sys.executable, __file__, "--seed-only", url, "--residents", str(args.residents),
                        "--tdps", str(args.tdps)], check=True)
        asyncio.run(report(url, args.year, args.quarter, work))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            for path in sorted(work.rglob("*"), reverse=True):
                path.unlink()
            work.rmdir()


if __name__ == "__main__":
    main()
