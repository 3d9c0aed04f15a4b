"""Runs every benchmark under bench/ and prints one table (`make bench`).

    .venv/bin/python bench/run_all.py [--only scale,broadcast] [--write docs/performance.md]

Each bench/*.py runs as its own process (so one's memory or event loop never
colours another's), one after the other, each once the machine is idle (a busy
neighbour would skew the figures), its output kept in var/bench/<name>.log.
The figures are then read from that output (bench/scale.py and bench/broadcast.py
also write JSON) and put in one table: columns SQLite (one process) and
PostgreSQL + Redis with 1, 2 and 4 workers, rows for each measure. `--write`
replaces the table between the `bench:start` / `bench:end` markers of a
Markdown file. A script that fails or whose output cannot be read leaves "?"
in its cells and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LOGS = ROOT / "var" / "bench"
COLUMNS = ["sqlite", "pg1", "pg2", "pg4"]
HEADINGS = ["SQLite, 1 process", "PostgreSQL + Redis, 1 worker", "2 workers", "4 workers"]
EXTRA_ARGS = {"scale.py": ["--json", str(LOGS / "scale.json")],
              "broadcast.py": ["--json", str(LOGS / "broadcast.json")]}
TIMEOUT = 1800


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as info:
        ram = int(next(line for line in info if line.startswith("MemTotal")).split()[1]) / 2**20
    versions = []
    for command, pattern, name in ((["psql", "--version"], r"(\d+\.\d+)", "PostgreSQL"),
                                   (["redis-server", "--version"], r"v=(\d+\.\d+\.\d+)", "Redis")):
        try:
            text = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
        except OSError:
            continue
        match = re.search(pattern, text)
        versions.append(f"{name} {match.group(1) if match else '?'}")
    return (f"{os.cpu_count()} CPUs ({cpu}), {ram:.1f} GiB RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, " + ", ".join(versions))


def wait_until_quiet(limit: float, busy_share: float = 0.15) -> float:
    """Waits (up to `limit` s) until the machine is nearly idle, so that another program's work does not
    colour the figures (a shared CI runner, a colleague's profiler); returns the last CPU share seen."""
    import psutil

    deadline = time.monotonic() + limit
    share = psutil.cpu_percent(interval=1.0) / 100
    while share > busy_share and time.monotonic() < deadline:
        share = psutil.cpu_percent(interval=2.0) / 100
    return share


def run(script: Path, quiet_wait: float) -> tuple[str, int, float]:
    LOGS.mkdir(parents=True, exist_ok=True)
    background = wait_until_quiet(quiet_wait)
    started = time.perf_counter()
    print(f"… {script.name} (machine {background:.0%} busy before it started)", flush=True)
    try:
        done = subprocess.run([sys.executable, str(script), *EXTRA_ARGS.get(script.name, [])], cwd=ROOT,
                              capture_output=True, text=True, timeout=TIMEOUT)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        so_far = exc.stdout or b""  # bytes even with text=True: run() reads it before decoding
        text = so_far.decode("utf-8", "replace") if isinstance(so_far, bytes) else so_far
        output, code = f"{text}\ntimed out after {TIMEOUT} s", -1
    (LOGS / f"{script.stem}.log").write_text(output, encoding="utf-8")
    elapsed = time.perf_counter() - started
    print(f"  {script.name}: exit {code}, {elapsed:.0f} s (log: var/bench/{script.stem}.log)", flush=True)
    return output, code, elapsed


def find(pattern: str, text: str, group: int = 1) -> float | None:
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(group)) if match else None


def fmt(value: float | None, spec: str = ".0f", suffix: str = "") -> str:
    return "?" if value is None else f"{value:{spec}}{suffix}"


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, list[str]]] = []

    def add(self, measure: str, cells: list[str] | Callable[[str], str]) -> None:
        values = [cells(column) for column in COLUMNS] if callable(cells) else cells
        self.rows.append((measure, values))

    def markdown(self) -> str:
        lines = ["| measure | " + " | ".join(HEADINGS) + " |", "|---|" + "---:|" * len(HEADINGS)]
        lines += [f"| {measure} | " + " | ".join(values) + " |" for measure, values in self.rows]
        return "\n".join(lines)


def build_table(outputs: dict[str, str]) -> Table:
    scale = _json(LOGS / "scale.json").get("configs", {}) if "scale" in outputs else {}
    casts = _json(LOGS / "broadcast.json") if "broadcast" in outputs else {}
    table = Table()

    def sc(key: str, spec: str = ".0f") -> Callable[[str], str]:
        return lambda column: fmt(scale.get(column, {}).get(key), spec) if column in scale else "–"

    table.add("engine turns/s (50 residents × 20 turns, split over the processes)", sc("engine_turns_s"))
    table.add("engine p99 ms", sc("engine_p99_ms"))
    table.add("web API turns/s (POST /api/messages to `bot run`, 50 × 20)", sc("web_turns_s"))
    table.add("web API p99 ms", sc("web_p99_ms"))
    table.add("Telegram webhook turns/s (100 residents × 20, fake Bot API)", sc("webhook_turns_s"))
    table.add("… ÷ bare aiogram echo bot (webhook, 1 process)", sc("webhook_vs_echo", ".2f"))
    table.add("webhook p99 ms", sc("webhook_p99_ms"))
    pg1 = scale.get("pg1", {}).get("webhook_turns_s")
    table.add("webhook turns ÷ PostgreSQL 1 worker (target for 2 workers ≥ 1.6)", lambda c: (
        fmt(scale[c]["webhook_turns_s"] / pg1, ".2f") if pg1 and c in scale and c != "sqlite" else "–"))

    def cpu(column: str) -> str:
        cores = scale.get(column, {}).get("webhook_cpu_cores")
        if not cores:
            return "–"
        return " / ".join(fmt(cores.get(k), ".2f") for k in ("bot", "postgres", "driver+fake", "other"))

    table.add("CPU cores during the webhook run: bot / PostgreSQL / driver + fake API / other", cpu)
    table.add("webhook turns per CPU-second of the bot processes", sc("webhook_turns_per_bot_cpu_s"))

    def cast(key: str, spec: str = ".0f") -> Callable[[str], str]:
        return lambda column: fmt(casts.get(column, {}).get(key), spec) if column in casts else "–"

    def achieved(column: str) -> str:
        row = casts.get(column)
        if not row:
            return "–"
        return f"{row['achieved_rate']:.0f} ({row['achieved_rate'] / row['rate']:.0%})"

    table.add("broadcast 10,000 at 300 msg/s: achieved msg/s (share of the rate)", achieved)
    table.add("broadcast: most sends in any 1 s", cast("busiest_second"))
    table.add("broadcast: lost / duplicated", lambda c: (
        f"{casts[c]['lost']} / {casts[c]['duplicated']}" if c in casts else "–"))
    table.add("broadcast: time s / peak RSS MB per worker", lambda c: (
        f"{casts[c]['wall_s']:.1f} / {casts[c]['peak_rss_mb']:.0f}" if c in casts else "–"))
    table.add("idle memory MB, all processes: RSS / PSS", lambda c: (
        f"{scale[c]['idle_rss_mb']:.0f} / {scale[c]['idle_pss_mb']:.0f}" if c in scale else "–"))
    table.add("start-up s (process start, migrations included, to every worker listening)", sc("startup_s", ".1f"))

    turns = outputs.get("turns", "")
    tg = outputs.get("telegram", "")
    report = outputs.get("report", "")
    only = ["–"] * 3
    engine = find(r"^engine\s+\d+\s+(\d+)", turns)
    engine_p99 = find(r"^engine\s+\d+\s+\d+\s+[\d.]+\s+([\d.]+)", turns)
    web = find(r"^web API\s+\d+\s+(\d+)", turns)
    web_p99 = find(r"^web API\s+\d+\s+\d+\s+[\d.]+\s+([\d.]+)", turns)
    table.add("bench/turns.py, in one process: engine turns/s / p99 ms; web API turns/s / p99 ms",
              [f"{fmt(engine)} / {fmt(engine_p99)}; {fmt(web)} / {fmt(web_p99)}", *only])
    hook = find(r"^webhook\s+\(b\) our bot.*b/a = ([\d.]+)", tg)
    poll = find(r"^polling\s+\(b\) our bot.*b/a = ([\d.]+)", tg)
    hook_rate = find(r"^webhook\s+\(b\) our bot\s+(\d+)", tg)
    table.add("bench/telegram.py: our bot ÷ aiogram echo, webhook (turns/s) / polling",
              [f"{fmt(hook, '.2f')} ({fmt(hook_rate)}/s) / {fmt(poll, '.2f')}", *only])
    report_s = find(r"build_report: ([\d.]+) s", report)
    report_mb = find(r"peak RSS: (\d+) MB", report)
    table.add("quarterly report, 100,000 residents: time s / peak RSS MB",
              [f"{fmt(report_s, '.2f')} / {fmt(report_mb)}", *only])
    faq = find(r"^shipped content\s+\d+\s+\d+\s+[\d.]+\s+([\d.]+)", outputs.get("faq", ""))
    mentor = find(r"^whole turn \(engine\)\s+[\d.]+\s+([\d.]+)", outputs.get("mentors", ""))
    cert = find(r"^both\s+[\d.]+ms\s+[\d.]+ms\s+([\d.]+)ms", outputs.get("certificates", ""))
    table.add("p99 ms: FAQ search / mentor view (100,000 residents) / certificate PDF + PNG",
              [f"{fmt(faq, '.1f')} / {fmt(mentor, '.1f')} / {fmt(cert, '.0f')}", *only])
    flood = outputs.get("flood", "")
    extras = [find(rf"^  {mode}: .*\(([+-]\d+) ms", flood) for mode in ("polling", "webhook")]
    looked_up = find(r"(\d+) looked up", flood)
    table.add("bench/flood.py: another person's extra reply time during a 500-update flood, polling / webhook (ms);"
              " codes looked up in 20 s of guessing from fresh web ids",
              [f"{fmt(extras[0], '+.0f')} / {fmt(extras[1], '+.0f')}; {fmt(looked_up)}", *only])
    voice = outputs.get("voice", "")
    spoken = [find(rf"^{label}:.*?\s([\d.]+)\s+[\d.]+\s", voice) for label in ("rendered", "cached", "baseline")]
    table.add("bench/voice.py: read-aloud of a 300-character step, median ms: espeak-ng + OGG/Opus / cached"
              " / baseline espeak-ng WAV", [f"{fmt(spoken[0])} / {fmt(spoken[1], '.2f')} / {fmt(spoken[2])}", *only])
    start = outputs.get("startup", "")
    web_only = [find(rf"^bot run, web chat only\s+{pattern}", start) for pattern in (r"([\d.]+)", r"[\d.]+\s+(\d+)")]
    channels = find(r"^bot run, Telegram \+ Zalo on\s+[\d.]+\s+(\d+)", start)
    bare = find(r"^bare aiohttp server \(baseline\)\s+[\d.]+\s+(\d+)", start)
    table.add("bench/startup.py: bot run to listening s / idle RSS MB, web only; RSS with Telegram + Zalo; bare aiohttp RSS",
              [f"{fmt(web_only[0], '.2f')} / {fmt(web_only[1])}; {fmt(channels)}; {fmt(bare)}", *only])
    return table


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_into(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"{path}: no {start} … {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{block}\n{end}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated script names (default: every bench/*.py)")
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file (between the markers)")
    parser.add_argument("--quiet-wait", type=float, default=600.0,
                        help="before each script, wait up to this many seconds for the machine to be idle")
    args = parser.parse_args()
    scripts = sorted(p for p in BENCH.glob("*.py") if p.name != Path(__file__).name)
    if args.only:
        wanted = {name.strip().removesuffix(".py") for name in args.only.split(",")}
        scripts = [p for p in scripts if p.stem in wanted]
    outputs: dict[str, str] = {}
    failed: list[str] = []
    started = time.perf_counter()
    for script in scripts:
        output, code, _ = run(script, args.quiet_wait)
        outputs[script.stem] = output
        if code != 0:
            failed.append(f"{script.name} (exit {code})")
    table = build_table(outputs)
    when = time.strftime("%Y-%m-%d %H:%M")
    block = (f"Measured {when} on {machine()}; `make bench` took {(time.perf_counter() - started) / 60:.0f} min.\n\n"
             f"{table.markdown()}")
    print()
    print(block)
    if failed:
        print(f"\nfailed or missed a target: {', '.join(failed)} (see var/bench/*.log)")
    if args.write:
        write_into(args.write, block)
        print(f"\ntable written into {args.write}")
    unreadable = sum(cell.count("?") for _, cells in table.rows for cell in cells)
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
