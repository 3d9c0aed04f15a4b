"""Flood benchmark: does one account flooding the bot on Telegram delay another person's replies?

    .venv/bin/python bench/flood.py [--flood 500] [--turns 12] [--guess-seconds 20]

Our bot runs as in `bench/telegram.py` (its own process, SQLite file, the real
TelegramChannel, the production pacing: 25 messages/s, 1 per second per chat),
in polling and in webhook mode. Resident B goes through a conversation of
`--turns` messages, each sent when the previous answer arrived; B's reply time
is measured from handing the update to the fake Bot API to the answer's last
message. First alone (the baseline of the same run), then while account A
sends `--flood` updates at once. The target: B's reply time during the flood
stays within 1 s of the baseline.

The second part measures code guessing from fresh web-chat ids: a script
sends `/start m_<random code>` from a new id every time, as fast as the engine
answers, for `--guess-seconds`; it prints how many guesses it made and how many
codes were actually looked up (the rest were refused while the web chat's
failure limit cooled down). Before one-time codes were introduced, about 590
guesses a second were looked up.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiohttp.test_utils import unused_port
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.telegram import RecordingServer, sender_for  # noqa: E402
from bot.app.runtime import build_runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.db.session import Database  # noqa: E402

CONVERSATION = ["/start", "đồng ý", "Bà Lan", "3", "1", "tổ 5", "1", "menu", "2", "menu", "trợ giúp", "menu"]
FLOODER, RESIDENT = 600_001, 600_002
TARGET_EXTRA = 1.0


async def conversation(tg: RecordingServer, send, user: int, turns: int) -> list[float]:
    loop = asyncio.get_running_loop()
    latencies = []
    for text in (CONVERSATION * 3)[:turns]:
        waiter = tg.waiting[user] = loop.create_future()
        started = time.perf_counter()
        await send(tg.make_message_update(user, text))
        latencies.append(await asyncio.wait_for(waiter, 120) - started)
    return latencies


async def flood_run(webhook: bool, flood: int, turns: int) -> tuple[list[float], list[float], int]:
    async with RecordingServer(lambda markup: markup is not None) as tg:
        port = unused_port()
        command = [sys.executable, str(ROOT / "bench" / "telegram.py"), "--child", "ours", "--api", tg.base_url,
                   "--port", str(port), "--pacing"] + (["--webhook"] if webhook else [])
        child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        assert child.stdout is not None
        if (await asyncio.wait_for(child.stdout.readline(), 60)).strip() != b"ready":
            raise RuntimeError("our bot did not start")
        try:
            send = sender_for(tg, webhook)
            await conversation(tg, send, RESIDENT - 100, turns)  # warm-up, not measured
            alone = await conversation(tg, send, RESIDENT, turns)
            updates = [tg.make_message_update(FLOODER, f"tin nhắn số {n}") for n in range(flood)]
            flooding = asyncio.gather(*(send(update) for update in updates))
            during = await conversation(tg, send, RESIDENT + 1, turns)
            await flooding
            await asyncio.sleep(2)
            answers = len(tg.sent_to(FLOODER))
            return alone, during, answers
        finally:
            child.send_signal(signal.SIGTERM)
            await asyncio.wait_for(child.wait(), 60)


async def guessing(seconds: float) -> tuple[int, int]:
    from bot.handlers import codes as code_screen
    from bot.people import codes

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'guess.db'}")
        await db.create_all()
        settings = Settings(database_url=db.url, cert_signing_key="bench-signing-key-0123456789",
                            _env_file=None)
        runtime = await build_runtime(settings, db=db, content=load_content())
        looked_up = 0
        look_up = codes.look_up

        async def counted(session: AsyncSession, text: str) -> codes.Redeemed | None:
            nonlocal looked_up
            looked_up += 1
            return await look_up(session, text)

        code_screen.codes.look_up = counted
        tries, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            await runtime.engine.handle(Incoming("web", uuid.uuid4().hex, None, text=f"/start m_{codes.new_code()}"))
            tries += 1
        code_screen.codes.look_up = look_up
        await runtime.close()
        return tries, looked_up


def describe(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flood", type=int, default=500)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--guess-seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"Telegram: resident B's reply time, alone and while account A sends {args.flood} updates at once")
    ok = True
    for webhook in (False, True):
        alone, during, answers = await flood_run(webhook, args.flood, args.turns)
        extra = statistics.median(during) - statistics.median(alone)
        ok &= extra <= TARGET_EXTRA
        print(f"  {'webhook' if webhook else 'polling'}: alone {describe(alone)}; during the flood {describe(during)}"
              f" ({extra * 1000:+.0f} ms, target ≤ +{TARGET_EXTRA * 1000:.0f} ms); messages to A: {answers}")
    tries, looked_up = await guessing(args.guess_seconds)
    print(f"Code guessing from fresh web ids for {args.guess_seconds:.0f} s: {tries} guesses sent, "
          f"{looked_up} looked up ({tries / args.guess_seconds:.0f} guesses/s; before one-time codes: ~590 looked up/s)")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
