"""Nudges benchmark: 10,000 residents' chosen nudges over one simulated week, then the busiest hour sent
beside live replies.

    .venv/bin/python bench/nudges.py [--residents 10000] [--step 5] [--rate 100] [--json out.json]

Part 1, a fake clock. A fresh SQLite file holds N consented residents of the
shipped wards (7 in 10 on Zalo, 1 in 4 on Telegram, the rest web), each with a
plan drawn at random (one or two days, a part of the day; one in ten "never").
Residents of the first three TDPs get a broadcast on Wednesday morning. The
product's job (`bot.app.jobs.run_nudges`) runs every `--step` simulated minutes
for a week, day and night; a push nudge due is taken as sent at once (the
worker's part is measured in part 2), and at the end of each day six in ten of
that day's nudged residents write back. Counted from the rows: nudges sent, sent
outside the nudge hours (07:00–21:00), outside the part of the day chosen, over
the weekly cap (more than the days chosen), on a broadcast day. Baseline of the
same run: the same plans sent the plain way, each at the start of its part of
the day: the busiest minute, and the nudges that would have landed on a
broadcast day.

Part 2, the real clock. The nudges of the busiest simulated hour are made due
now and sent by the product's `OutboxWorker` through the production `Sender`
(`--rate` messages/s, 1 s per chat, replies first) to a fake channel answering in
20 ms; meanwhile five residents in a live conversation each get a reply every
1.1 s at reply priority. Their wait (submitted → handed to the channel) beside the
same conversation with no nudges (baseline of the same run). Targets: 0 in quiet
hours, 0 over the cap, 0 on broadcast days, reply p95 within 2/rate s of the
baseline, every nudge sent once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MONDAY = date(2030, 1, 7)
"""A Monday well after any real clock the bench runs on."""
LIVE_CHATS = 5
LIVE_GAP = 1.1
FAKE_LATENCY = 0.02
SEED = 22


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def build_ward(url: str, residents: int, rng: random.Random) -> dict[str, Any]:
    from sqlalchemy import insert, select

    from bot.broadcasts import service as broadcasts
    from bot.broadcasts.audience import Audience
    from bot.db.models import Tdp, User, Ward
    from bot.db.nudges import NudgePlan
    from bot.db.session import Database
    from bot.nudges.times import PARTS, day_bit, local_moment
    from bot.people.audit import Actor
    from bot.units.reference import load_units, read_units

    db = Database(url)
    await db.create_all()
    async with db.transaction() as session:
        await load_units(session, read_units())
    async with db.sessions() as session:
        tdps = list(await session.execute(select(Tdp.id, Tdp.ward_id, Ward.code, Tdp.number).join(Ward)))
    long_ago = datetime(2029, 12, 1, tzinfo=UTC)
    users, plans = [], []
    for n in range(residents):
        tdp = tdps[n % len(tdps)]
        roll = rng.random()
        channel = "zalo" if roll < 0.7 else "telegram" if roll < 0.95 else "web"
        users.append({"id": n + 1, "channel": channel, "external_id": f"r{n}", "locale": "vi", "role": "learner",
                      "state": "menu", "state_data": {}, "consent_at": long_ago, "consent_version": "2026-11",
                      "ward_id": tdp[1], "tdp_id": tdp[0], "last_seen_at": long_ago, "created_at": long_ago,
                      "notifications_off": False, "display_name": f"Cô {n}"})
        days = 0 if rng.random() < 0.1 else sum(day_bit(d) for d in rng.sample(range(7), rng.choice((1, 1, 2))))
        plans.append({"user_id": n + 1, "days": days, "part": rng.choice(list(PARTS)) if days else None,
                      "chosen_at": long_ago, "ignored": 0})
    async with db.transaction() as session:
        for start in range(0, residents, 2000):
            await session.execute(insert(User), users[start:start + 2000])
            await session.execute(insert(NudgePlan), plans[start:start + 2000])
    broadcast_tdps = [t for t in tdps if t[3] in (1, 2, 3)][:3]
    wednesday = MONDAY + timedelta(days=2)
    async with db.transaction() as session:
        for tdp in broadcast_tdps:
            await broadcasts.create(session, actor=Actor("bench", "bench"), text="Họp tổ dân phố tối thứ Năm.",
                                    audience=Audience("tdp", f"{tdp[2]}/{tdp[3]}"), at=local_moment(wednesday, 9 * 60))
    await db.dispose()
    return {"plans": plans, "broadcast_tdps": {t[0] for t in broadcast_tdps},
            "tdp_of": {u["id"]: u["tdp_id"] for u in users}}


async def simulate_week(url: str, world: dict[str, Any], step: int, rng: random.Random) -> dict[str, Any]:
    from sqlalchemy import select, update

    from bot.app.jobs import run_nudges
    from bot.content.loader import load_content
    from bot.db.models import User
    from bot.db.nudges import Nudge
    from bot.db.session import Database
    from bot.db.staff import OutboxMessage
    from bot.nudges import plans
    from bot.nudges.times import PARTS, in_hours, local_moment, weekdays_of, window
    from bot.outbox.queue import PUSH_CHANNELS
    from bot.text.i18n import WARD_TZ
    from tests.conftest import make_settings

    settings = make_settings(url)
    content = load_content()
    db = Database(url)
    moment, end = local_moment(MONDAY, 0), local_moment(MONDAY + timedelta(days=7), 0)
    job_ms: list[float] = []
    today = MONDAY
    while moment < end:
        started = time.perf_counter()
        await run_nudges(db, settings, content, moment)
        job_ms.append((time.perf_counter() - started) * 1000)
        async with db.transaction() as session:  # the worker sends what is due (part 2 measures how)
            push = select(User.id).where(User.channel.in_(PUSH_CHANNELS)).scalar_subquery()
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.kind == "nudge", OutboxMessage.status == "queued", OutboxMessage.not_before <= moment,
                OutboxMessage.user_id.in_(push)).values(status="sent", sent_at=moment))
        moment += timedelta(minutes=step)
        if moment.astimezone(WARD_TZ).date() != today:  # the day is over: six in ten write back
            async with db.transaction() as session:
                nudged = list(await session.scalars(select(Nudge.user_id).where(Nudge.day == today)))
                for user_id in nudged:
                    if rng.random() < 0.6:
                        await plans.answered(session, user_id, moment)
            today = moment.astimezone(WARD_TZ).date()

    hours = settings.nudge_window
    async with db.sessions() as session:
        rows = list(await session.execute(
            select(Nudge.user_id, Nudge.day, Nudge.week, OutboxMessage.sent_at, OutboxMessage.not_before,
                   OutboxMessage.status, User.channel)
            .join(OutboxMessage, OutboxMessage.id == Nudge.outbox_id).join(User, User.id == Nudge.user_id)))
    await db.dispose()
    plan_of = {p["user_id"]: p for p in world["plans"]}
    sent = [r for r in rows if r.status == "sent" or r.channel == "web"]

    def aware(value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def when(row: Any) -> datetime:
        return aware(row.sent_at if row.sent_at is not None else row.not_before)

    quiet = sum(1 for r in sent if not in_hours(when(r), hours))
    outside_part = 0
    for r in sent:
        local = when(r).astimezone(WARD_TZ)
        start, stop = window(plan_of[r.user_id]["part"], hours)
        outside_part += not (start <= local.hour * 60 + local.minute <= stop)
    per_week = Counter((r.user_id, r.week) for r in sent)
    over_cap = sum(1 for (user_id, _week), n in per_week.items() if n > len(weekdays_of(plan_of[user_id]["days"])))
    wednesday = MONDAY + timedelta(days=2)
    on_broadcast = sum(1 for r in sent if r.day == wednesday and world["tdp_of"][r.user_id] in world["broadcast_tdps"])
    busiest = Counter(when(r).replace(second=0, microsecond=0) for r in sent)
    per_hour = Counter(when(r).replace(minute=0, second=0, microsecond=0) for r in sent if r.channel != "web")

    # Baseline of the same run: each plan's day, at the start of its part, no cap, no broadcast check.
    naive: Counter[datetime] = Counter()
    naive_broadcast = 0
    for p in world["plans"]:
        for weekday in weekdays_of(p["days"]):
            day = MONDAY + timedelta(days=weekday)
            naive[local_moment(day, PARTS[p["part"]][0])] += 1
            naive_broadcast += day == wednesday and world["tdp_of"][p["user_id"]] in world["broadcast_tdps"]
    chosen = sum(len(weekdays_of(p["days"])) for p in world["plans"])
    return {
        "chosen_slots": chosen, "queued": len(rows), "sent": len(sent),
        "withdrawn": sum(1 for r in rows if r.status == "cancelled"),
        "in_quiet_hours": quiet, "outside_part": outside_part, "over_cap": over_cap, "on_broadcast_day": on_broadcast,
        "busiest_minute": max(busiest.values()) if busiest else 0, "naive_busiest_minute": max(naive.values()),
        "naive_on_broadcast_day": naive_broadcast,
        "job_ms_p50": statistics.median(job_ms), "job_ms_max": max(job_ms), "job_runs": len(job_ms),
        "peak_hour": max(per_hour, key=lambda h: per_hour[h]).isoformat() if per_hour else None,
    }


async def live_and_nudges(url: str, peak_hour: str | None, rate: float, seconds: float) -> dict[str, Any]:
    """Replies' waits with and without the busiest hour of nudges in the same sender."""
    from sqlalchemy import func, select, update

    from bot.channels.sender import REPLY, Failure, Sender
    from bot.core.limits import TokenBucket
    from bot.core.messages import Reply
    from bot.db.session import Database
    from bot.db.staff import OutboxMessage
    from bot.outbox.worker import OutboxWorker

    delivered: dict[str, int] = Counter()

    async def fake_channel(chat_id: str, part: Any) -> None:
        await asyncio.sleep(FAKE_LATENCY)
        delivered[chat_id] += 1

    def classify(exc: BaseException) -> Failure:
        return Failure("permanent")

    async def conversation(sender: Sender, until: float) -> list[float]:
        waits: list[float] = []

        async def one(chat: int) -> None:
            while time.perf_counter() < until:
                asked = time.perf_counter()
                outcome = await sender.submit(f"live-{chat}", ["Đúng rồi! Câu tiếp theo…"], REPLY)
                assert outcome == "sent"
                waits.append(time.perf_counter() - asked - FAKE_LATENCY)
                await asyncio.sleep(max(0.0, LIVE_GAP - (time.perf_counter() - asked)))

        await asyncio.gather(*(one(chat) for chat in range(LIVE_CHATS)))
        return waits

    def new_sender() -> Sender:
        sender = Sender("zalo", fake_channel, classify, limiter=TokenBucket(rate, max(1.0, rate / 100)))
        sender.start()
        return sender

    sender = new_sender()
    baseline = await conversation(sender, time.perf_counter() + seconds)
    await sender.close()

    db = Database(url)
    async with db.transaction() as session:
        hour = datetime.fromisoformat(peak_hour) if peak_hour else datetime.now(UTC)
        chosen = select(OutboxMessage.id).where(OutboxMessage.kind == "nudge", OutboxMessage.sent_at >= hour,
                                                OutboxMessage.sent_at < hour + timedelta(hours=1))
        ids = list(await session.scalars(chosen))
        await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            status="queued", sent_at=None, not_before=datetime.now(UTC) - timedelta(seconds=1)))
        # The rest of the simulated week (web residents' history, the broadcasts of 2030) is not this hour's.
        await session.execute(update(OutboxMessage).where(OutboxMessage.id.not_in(ids), OutboxMessage.status.in_(
            ("queued", "sending"))).values(status="cancelled"))
    sender = new_sender()

    async def deliver(channel: str, external_id: str, reply: Reply, priority: int) -> str:
        return str(await sender.submit(external_id, [reply.text], priority))

    worker = OutboxWorker(db, deliver, poll=0.05)
    started = time.perf_counter()
    sending = asyncio.create_task(worker.run_until_empty())
    during = await conversation(sender, time.perf_counter() + seconds)
    await sending
    took = time.perf_counter() - started
    await sender.close()
    async with db.sessions() as session:
        left = int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status != "sent")) or 0)
    await db.dispose()
    nudge_chats = [k for k in delivered if not k.startswith("live-")]
    return {
        "nudges": len(ids), "nudges_per_s": len(ids) / took if took else 0.0, "not_sent": left,
        "sent_twice": sum(1 for k in nudge_chats if delivered[k] > 1),
        "baseline_ms": {"p50": statistics.median(baseline) * 1000, "p95": percentile(baseline, 0.95) * 1000,
                        "max": max(baseline) * 1000, "n": len(baseline)},
        "during_ms": {"p50": statistics.median(during) * 1000, "p95": percentile(during, 0.95) * 1000,
                      "max": max(during) * 1000, "n": len(during)},
    }


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--step", type=int, default=5, help="simulated minutes between runs of the job")
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second of the sender in part 2")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each live conversation in part 2")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'nudges.db'}"
        world = await build_ward(url, args.residents, rng)
        week = await simulate_week(url, world, args.step, rng)
        print(f"nudges: {args.residents:,} residents, one simulated week, the job every {args.step} min "
              f"({week['job_runs']} runs, p50 {week['job_ms_p50']:.1f} ms, max {week['job_ms_max']:.0f} ms)")
        print(f"  days chosen {week['chosen_slots']:,}; queued {week['queued']:,}, sent {week['sent']:,}, "
              f"withdrawn {week['withdrawn']:,}")
        print(f"  {'':<28} {'nudges':>8} {'plain baseline':>15}")
        print(f"  {'sent in quiet hours':<28} {week['in_quiet_hours']:>8} {'':>15}")
        print(f"  {'outside the chosen part':<28} {week['outside_part']:>8} {'':>15}")
        print(f"  {'over the weekly cap':<28} {week['over_cap']:>8} {'':>15}")
        print(f"  {'on a broadcast day':<28} {week['on_broadcast_day']:>8} {week['naive_on_broadcast_day']:>15}")
        print(f"  {f'most in one {args.step}-minute run':<28} {week['busiest_minute']:>8} "
              f"{week['naive_busiest_minute']:>15}")
        live = await live_and_nudges(url, week["peak_hour"], args.rate, args.seconds)
    b, d = live["baseline_ms"], live["during_ms"]
    print(f"live replies beside the busiest hour's {live['nudges']:,} nudges ({live['nudges_per_s']:.0f}/s at "
          f"{args.rate:.0f}/s; not sent {live['not_sent']}, sent twice {live['sent_twice']})")
    print(f"  reply wait ms   {'p50':>6} {'p95':>6} {'max':>6} {'n':>5}")
    print(f"  alone (baseline){b['p50']:>6.1f} {b['p95']:>6.1f} {b['max']:>6.1f} {b['n']:>5}")
    print(f"  with nudges     {d['p50']:>6.1f} {d['p95']:>6.1f} {d['max']:>6.1f} {d['n']:>5}")
    ok = (week["in_quiet_hours"] == 0 and week["over_cap"] == 0 and week["on_broadcast_day"] == 0
          and week["outside_part"] == 0 and live["not_sent"] == 0 and live["sent_twice"] == 0
          and d["p95"] <= b["p95"] + 2000 / args.rate)
    print(f"target: 0 in quiet hours, 0 over the cap, 0 on broadcast days, replies first "
          f"(p95 within {2000 / args.rate:.0f} ms of alone): {'OK' if ok else 'MISSED'}")
    results = {"week": week, "live": live, "ok": ok}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    asyncio.run(main())
