"""Read-aloud benchmark: a 300-character lesson step made into OGG/Opus with espeak-ng, and served cached.

    .venv/bin/python bench/voice.py [--runs 7]

Each run reads a different 300-character step (its first words change, so no cache
helps) through `bot.voice.Voice` as a screen does: the text said the Vietnamese
way, espeak-ng's WAV, the OGG/Opus file written. Beside it, from the same run, the
baseline: espeak-ng alone reading the same text into a WAV on /dev/null (what
any read-aloud costs at least), and the cached case: the file already made.
Medians and the worst of the runs, in milliseconds.

Targets (on the median; the worst shows what a busy machine adds): rendered ≤ 1000 ms, cached ≤ 10 ms.
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

RENDER_TARGET_MS = 1000.0
CACHED_TARGET_MS = 10.0
STEP = ("Bước {n}/5. Mở ứng dụng VNeID trên điện thoại. Nhập số định danh 12 số và mật khẩu. Hệ thống gửi mã OTP "
        "6 số qua tin nhắn. Nhập mã đó trong 5 phút, trước 21:00. Không bao giờ đọc mã OTP cho ai, kể cả người "
        "xưng là công an hay cán bộ ngân hàng. Xong bước này, bạn bấm Tiếp để học tiếp nhé, chỉ mất ba phút thôi.")


async def espeak_to_null(text: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "espeak-ng", "-v", "vi", "-s", "140", "--stdin", "-w", "/dev/null", stdin=asyncio.subprocess.PIPE)
    await process.communicate(text.encode())


async def main(runs: int) -> int:
    from bot.content.loader import load_content
    from bot.voice.providers import Espeak
    from bot.voice.service import Voice

    espeak = Espeak()
    with tempfile.TemporaryDirectory() as folder:
        voice = Voice(Path(folder), load_content().pronunciation, provider=espeak, fallback=espeak)
        await voice.speak(STEP.format(n=0))  # imports numpy and soundfile once, as the first listener of a process does
        baseline, rendered, cached = [], [], []
        for n in range(1, runs + 1):
            text = STEP.format(n=n) if n < 5 else STEP.format(n=n).replace("Bước", f"Phần {n}, bước")
            said = voice.said(text)
            start = time.perf_counter()
            await espeak_to_null(said)
            baseline.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            path = await voice.speak(text)
            rendered.append((time.perf_counter() - start) * 1000)
            assert path is not None
            start = time.perf_counter()
            assert await voice.speak(text) == path
            cached.append((time.perf_counter() - start) * 1000)
    print(f"read-aloud of a {len(STEP.format(n=1))}-character step, {runs} runs (ms)   median    worst   target")
    rows = [("baseline: espeak-ng WAV to /dev/null", baseline, None),
            ("rendered: espeak-ng + OGG/Opus file", rendered, RENDER_TARGET_MS),
            ("cached: the file already made", cached, CACHED_TARGET_MS)]
    missed = False
    for label, values, target in rows:
        median = statistics.median(values)
        mark = "" if target is None else f"≤ {target:.0f}" + ("" if median <= target else "  MISSED")
        missed = missed or (target is not None and median > target)
        print(f"{label:<44}{median:>9.2f}{max(values):>9.2f}   {mark}")
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    sys.exit(asyncio.run(main(parser.parse_args().runs)))
