"""`bot demo seed|clear`: a realistic ward to try the bot, its reports and its benchmarks on.

Every demo resident has an external id "demo-<ward id>-…" and every demo
household is created by one of them, so `demo clear` removes exactly them
and what hangs on them (progress, certificates, pairings, help sessions).
Rows go in with bulk Core inserts, TDP by TDP (the next TDP is prepared in a
thread meanwhile): 2,000 residents take ~1.5 s, 100,000 about 50 s on SQLite,
in bounded memory.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, insert, or_, select, text, update

from bot.config import Settings
from bot.db.learning import Certificate, LessonProgress, QuizAttempt
from bot.db.models import Tdp, User, Ward, table_of
from bot.db.network import (
    ORGANISATIONS,
    HelpRequest,
    HelpSession,
    HelpSessionAttendee,
    Household,
    HouseholdMember,
    Mentor,
    Mentorship,
)
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.quiz.codes import new_code
from bot.text.i18n import WARD_TZ

PREFIX = "demo-"
CORE = ("vneid", "dichvucong", "thanhtoan", "antoan")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Phan", "Dương", "Lý", "Hồ")
FAMILY_W = (38, 11, 9, 7, 5, 4, 3, 3, 3, 2, 4, 2, 1, 2)
MIDDLE = {"f": ("Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh"), "m": ("Văn", "Văn", "Đức", "Minh", "Quang", "Hữu")}
GIVEN = {"f": ("Lan", "Mai", "Hoa", "Hương", "Hằng", "Nga", "Thảo", "Hạnh", "Dung", "Liên", "Yến", "Nhung", "Thu"),
         "m": ("Hùng", "Nam", "Tuấn", "Dũng", "Minh", "Hải", "Thắng", "Bình", "Sơn", "Long", "Quân", "Cường")}
ORG_W = (35, 20, 10, 15, 15, 5)
HOURS = timedelta(hours=1)



class DemoError(Exception):
    """Seeding is impossible as asked (unknown ward, already seeded…)."""


@dataclass
class SeedResult:
    residents: int = 0
    lessons: int = 0
    certificates: int = 0
    mentors: int = 0
    mentorships: int = 0
    help_sessions: int = 0
    households: int = 0


def _name(rng: random.Random) -> str:
    sex = rng.choice("fm")
    return f"{rng.choices(FAMILY, FAMILY_W)[0]} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


async def _insert(session: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """Core executemany (RETURNING in parameter order is ~10× slower on SQLite, so ids are read back)."""
    if rows:
        await session.execute(insert(table), rows)


@dataclass
class _Batch:
    """One TDP's residents and their learning, ready to write ("user_id" = index into `people` until then)."""

    tdp: Any
    rng: random.Random
    people: list[dict[str, Any]]
    lessons: list[dict[str, Any]]
    certificates: list[dict[str, Any]]


class Seeder:
    def __init__(self, settings: Settings, ward: Any, lessons: dict[str, list[str]], now: datetime) -> None:
        self.settings, self.ward, self.lessons, self.now = settings, ward, lessons, now
        self.serial = 0
        self.codes: set[str] = set()
        self.result = SeedResult()

    def plan(self, rng: random.Random, created: datetime, level: str) -> tuple[list[tuple], list[tuple], datetime]:
        """Lessons (id, topic, started, completed) taken one after another from registration on, cut off by
        `now` (so newcomers lag), certificates (topic, issued) for finished topics, and the last visit."""
        now = self.now
        topics = list(CORE) if level == "full" else rng.sample(CORE, rng.randint(1, 3)) if level == "partial" else []
        if topics and rng.random() < 0.12:
            topics.append("choso")
        t = created + timedelta(days=rng.uniform(0, 6))
        done: list[tuple[str, str, datetime, datetime | None]] = []
        certs: list[tuple[str, datetime]] = []
        for index, topic in enumerate(topics):
            ids = self.lessons.get(topic, [])
            stops_here = level == "partial" and index == len(topics) - 1 and len(ids) > 1
            finish = rng.randint(1, len(ids) - 1) if stops_here else len(ids)
            completed = 0
            for lesson in ids:
                finished = t + timedelta(minutes=rng.uniform(8, 60), days=rng.expovariate(1.2))
                if completed == finish or finished > now:
                    done.append((lesson, topic, min(t, now), None))  # the lesson in progress
                    break
                done.append((lesson, topic, t, finished))
                completed += 1
                t = finished + timedelta(days=rng.expovariate(0.8))
            if completed < len(ids) or t > now:
                break
            if rng.random() < 0.95:  # a few have not passed the quiz yet
                issued = t + timedelta(hours=rng.uniform(0.2, 30))
                if issued > now:
                    break
                certs.append((topic, issued))
                t = issued
        core = [issued for topic, issued in certs if topic in CORE]
        if len(core) == len(CORE):
            certs.append(("all", max(core)))
        return done, certs, min(now, max(created, t) + timedelta(hours=rng.uniform(0, 50)))

    def code(self) -> str:
        while (code := new_code(self.settings.signing_key)) in self.codes:
            pass
        self.codes.add(code)
        return code

    def prepare(self, tdp: Any, count: int, rng: random.Random) -> _Batch:
        """Pure Python, no database: runs in a worker thread while the previous TDP is being written."""
        now, engagement = self.now, rng.uniform(0.2, 1.0)
        batch = _Batch(tdp, rng, [], [], [])
        for index in range(count):
            self.serial += 1
            channel = rng.choices(("telegram", "zalo", "offline"), (45, 40, 15))[0]
            created = now - timedelta(days=330 * rng.betavariate(1.6, 1.6))
            level = rng.choices(("full", "partial", "none"), (0.3 + 0.5 * engagement, 0.25, 0.45 - 0.4 * engagement))[0]
            lessons, certs, seen = self.plan(rng, created, level)
            name = _name(rng)
            batch.people.append({
                "channel": channel, "external_id": f"{PREFIX}{self.ward.id}-{self.serial}", "display_name": name,
                "locale": "vi", "role": "learner", "ward_id": self.ward.id, "tdp_id": tdp.id,
                "age_band": rng.choices(("60+", "16-59", "u16"), (56, 42, 2))[0], "consent_at": created,
                "consent_version": "in-person" if channel == "offline" else "2026-11", "created_at": created,
                "last_seen_at": None if channel == "offline" else seen, "state": "menu", "state_data": {},
                "has_smartphone": channel != "offline", "uses_social": channel != "offline",
                "vneid_active": rng.random() < {"full": 0.8, "partial": 0.6, "none": 0.45}[level],
                "notifications_off": False})
            batch.lessons += [{"user_id": index, "lesson_id": lesson, "topic_id": topic, "step": 3 if done else 1,
                               "started_at": started, "updated_at": done or started, "completed_at": done,
                               "check_correct": True if done else None} for lesson, topic, started, done in lessons]
            for topic, issued in certs:
                revoked = issued + timedelta(days=2) if rng.random() < 0.004 and issued + timedelta(days=2) < now else None
                batch.certificates.append({
                    "code": self.code(), "user_id": index, "topic_id": topic, "holder_name": name,
                    "ward_name": self.ward.name, "tdp_name": tdp.name, "topics": list(CORE) if topic == "all" else [topic],
                    "issued_at": issued, "revoked_at": revoked, "revoke_reason": "Cấp nhầm (dữ liệu mẫu)" if revoked else None})
        return batch

    async def write(self, session: Any, batch: _Batch) -> None:
        people = batch.people
        await _insert(session, table_of(User), people)
        ids = dict((await session.execute(select(User.external_id, User.id).where(
            User.tdp_id == batch.tdp.id, User.external_id.like(f"{PREFIX}{self.ward.id}-%")))).all())
        for person in people:
            person["id"] = ids[person["external_id"]]
        for row in (*batch.lessons, *batch.certificates):
            row["user_id"] = people[row["user_id"]]["id"]
        await _insert(session, table_of(LessonProgress), batch.lessons)
        await _insert(session, table_of(Certificate), batch.certificates)
        self.result.residents += len(people)
        self.result.lessons += len(batch.lessons)
        self.result.certificates += len(batch.certificates)
        await self.network(session, batch)
        await self.households(session, batch)

    async def network(self, session: Any, batch: _Batch) -> None:
        """Approved Đại sứ số (about one per 30 residents), 0–8 mentees each, and the help they gave."""
        rng, now, tdp, people = batch.rng, self.now, batch.tdp, batch.people
        candidates = [p for p in people if p["age_band"] == "16-59" and p["channel"] != "offline"]
        chosen = rng.sample(candidates, min(len(candidates), max(1, len(people) // 30))) if len(people) >= 3 else []
        mentors = []
        for person in chosen:
            asked = min(now, person["created_at"] + timedelta(days=rng.uniform(0, 20)))
            mentors.append({"user_id": person["id"], "full_name": person["display_name"], "tdp_id": tdp.id,
                            "organisation": rng.choices(ORGANISATIONS, ORG_W)[0], "status": "approved",
                            "requested_at": asked,
                            "decided_at": min(now, asked + timedelta(days=rng.uniform(0, 3))), "decided_by": "demo"})
        await _insert(session, table_of(Mentor), mentors)
        by_user = dict((await session.execute(select(Mentor.user_id, Mentor.id).where(Mentor.tdp_id == tdp.id))).all())
        taken = {m["user_id"] for m in mentors}
        pool = [p for p in people if p["id"] not in taken]
        rng.shuffle(pool)
        pool.sort(key=lambda p: p["age_band"] == "60+")  # pop() takes from the end: the elderly are paired first
        pairings, sessions, groups = [], [], []
        for mentor in mentors:
            mentor_id = by_user[mentor["user_id"]]
            mentees = [pool.pop() for _ in range(min(len(pool), rng.choices(range(9), (1, 2, 3, 4, 5, 5, 4, 3, 2))[0]))]
            for mentee in mentees:
                start = min(now, max(mentee["created_at"], mentor["decided_at"]) + timedelta(days=rng.uniform(0, 10)))
                ended = start + timedelta(days=rng.uniform(5, 60)) if rng.random() < 0.07 else None
                ended = ended if ended and ended < now else None
                pairings.append({"mentor_id": mentor_id, "mentee_id": mentee["id"], "started_at": start,
                                 "how": "offline" if mentee["channel"] == "offline" else rng.choice(("invite", "staff")),
                                 "ended_at": ended, "ended_reason": "moved" if ended else None})
            for _ in range(rng.randint(0, 6) if mentees else 0):
                held = mentor["decided_at"] + (now - mentor["decided_at"]) * rng.random()
                group = len(mentees) > 1 and rng.random() < 0.3
                sessions.append({"mentor_id": mentor_id, "held_on": held.astimezone(WARD_TZ).date(),
                                 "topic_id": rng.choice(CORE), "lesson_id": None, "is_group": group,
                                 "minutes": rng.choice((15, 20, 30, 45, 60, 90)), "created_at": held,
                                 "place": rng.choices(("tai-nha", "mot-cua", "lop-hoc", "khac"), (50, 15, 30, 5))[0]})
                groups.append(rng.sample(mentees, rng.randint(2, min(6, len(mentees)))) if group else [rng.choice(mentees)])
        await _insert(session, table_of(Mentorship), pairings)
        statement = insert(table_of(HelpSession)).returning(HelpSession.id, sort_by_parameter_order=True)
        session_ids = list((await session.execute(statement, sessions)).scalars()) if sessions else []
        await _insert(session, table_of(HelpSessionAttendee), [
            {"session_id": sid, "user_id": p["id"], "quiz_score": None} for sid, group in zip(session_ids, groups) for p in group])
        self.result.mentors += len(mentors)
        self.result.mentorships += len(pairings)
        self.result.help_sessions += len(sessions)

    async def households(self, session: Any, batch: _Batch) -> None:
        """About two thirds of residents live in a registered household of 2–4 members."""
        rng, tdp, people = batch.rng, batch.tdp, batch.people
        pool = rng.sample(people, len(people) * 2 // 3)
        families: list[list[dict[str, Any]]] = []
        while len(pool) >= 2:
            size = min(len(pool), rng.choice((2, 2, 3, 3, 4)))
            families.append([pool.pop() for _ in range(size)])
        rows = []
        for family in families:
            head = family[0]
            rows.append({"name": f"Hộ {head['display_name']}", "tdp_id": tdp.id, "created_by": head["id"],
                         "created_at": head["created_at"] + HOURS})
        await _insert(session, table_of(Household), rows)
        by_head = dict((await session.execute(select(Household.created_by, Household.id).where(
            Household.tdp_id == tdp.id, Household.created_by.in_([row["created_by"] for row in rows])))).all())
        ids = [by_head[row["created_by"]] for row in rows]
        await _insert(session, table_of(HouseholdMember), [
            {"household_id": hid, "user_id": p["id"], "joined_at": p["created_at"] + HOURS}
            for hid, family in zip(ids, families) for p in family])
        self.result.households += len(rows)


def _spread(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders), summing exactly to `total`."""
    weights = [max(w, 1) for w in weights]
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for index in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[:total - sum(counts)]:
        counts[index] += 1
    return counts


async def seed(db: Database, settings: Settings, residents: int, ward_code: str | None = None,
               seed: int | None = None, now: datetime | None = None) -> SeedResult:
    """Fills the ward's TDPs with `residents` demo residents (in proportion to their adult population)."""
    from bot.content.loader import load_content
    from bot.units.reference import load_units, read_units

    content = load_content()
    lessons = {topic: [lesson.id for lesson in items] for topic, items in content.lessons_by_topic.items()}
    rng = random.Random(seed)
    async with db.transaction() as session:
        if db.is_sqlite:  # randomly keyed indexes (dates, codes) thrash SQLite's default 2 MB page cache
            await session.execute(text("PRAGMA cache_size=-262144"))
        if await session.scalar(select(func.count()).select_from(Ward)) == 0:
            await load_units(session, read_units())  # a fresh database: the shipped wards first
        query = select(Ward).order_by(Ward.id)
        ward = await session.scalar(query.where(Ward.code == ward_code) if ward_code else query)
        if ward is None:
            raise DemoError(f"no ward with code '{ward_code}'")
        if await session.scalar(select(func.count()).where(User.external_id.like(f"{PREFIX}{ward.id}-%"))):
            raise DemoError(f"ward '{ward.code}' already has demo data: run `bot demo clear` first")
        tdps = list(await session.scalars(select(Tdp).where(Tdp.ward_id == ward.id).order_by(Tdp.number, Tdp.id)))
        if not tdps:
            raise DemoError(f"ward '{ward.code}' has no tổ dân phố")
        seeder = Seeder(settings, ward, lessons, now or datetime.now(UTC))
        work = [(tdp, count, random.Random(rng.getrandbits(64)))  # one generator per TDP: same data with threads
                for tdp, count in zip(tdps, _spread(residents, [t.adult_population for t in tdps]))]
        upcoming = asyncio.ensure_future(asyncio.to_thread(seeder.prepare, *work[0]))
        for index in range(len(work)):
            batch = await upcoming
            if index + 1 < len(work):  # prepared in a thread while SQLite (GIL released) writes this one
                upcoming = asyncio.ensure_future(asyncio.to_thread(seeder.prepare, *work[index + 1]))
            await seeder.write(session, batch)
        if db.is_sqlite:
            await session.execute(text("PRAGMA cache_size=-2000"))
    return seeder.result


def _demo_users(ward_id: int | None) -> Any:
    pattern = f"{PREFIX}{ward_id}-%" if ward_id is not None else f"{PREFIX}%"
    return select(User.id).where(User.external_id.like(pattern)).scalar_subquery()


async def clear(db: Database, ward_code: str | None = None) -> int:
    """Removes the demo residents (of one ward, or all) and everything hanging on them; returns how many."""
    async with db.sessions() as session:
        ward_id = None
        if ward_code is not None:
            ward_id = await session.scalar(select(Ward.id).where(Ward.code == ward_code))
            if ward_id is None:
                raise DemoError(f"no ward with code '{ward_code}'")
    users = _demo_users(ward_id)
    mentors = select(Mentor.id).where(Mentor.user_id.in_(users)).scalar_subquery()
    households = Household.created_by.in_(users)
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection() if db.is_sqlite else None
        driver = raw.driver_connection if raw is not None else None
        if driver is not None:  # every row is deleted explicitly below; SQLite would otherwise scan
            await driver.execute("PRAGMA foreign_keys=OFF")  # users once per deleted user
        try:
            async with conn.begin():
                count = await conn.scalar(select(func.count()).where(User.id.in_(users)))
                sessions = select(HelpSession.id).where(HelpSession.mentor_id.in_(mentors)).scalar_subquery()
                for statement in (
                    delete(HelpSessionAttendee).where(or_(HelpSessionAttendee.user_id.in_(users),
                                                          HelpSessionAttendee.session_id.in_(sessions))),
                    delete(HelpSession).where(HelpSession.mentor_id.in_(mentors)),
                    delete(Mentorship).where(or_(Mentorship.mentee_id.in_(users), Mentorship.mentor_id.in_(mentors))),
                    update(HelpRequest).where(HelpRequest.mentor_id.in_(mentors)).values(mentor_id=None),
                    delete(Mentor).where(Mentor.user_id.in_(users)),
                    delete(HouseholdMember).where(or_(HouseholdMember.user_id.in_(users), HouseholdMember.household_id.in_(
                        select(Household.id).where(households).scalar_subquery()))),
                    delete(Household).where(households),
                    *(delete(table).where(table.user_id.in_(users))
                      for table in (LessonProgress, QuizAttempt, Certificate, OutboxMessage)),
                    delete(HelpRequest).where(HelpRequest.mentee_id.in_(users)),
                    update(HelpRequest).where(HelpRequest.answered_by.in_(users)).values(answered_by=None),
                    update(Household).where(Household.created_by.in_(users)).values(created_by=None),
                    update(User).where(User.merged_into_id.in_(users)).values(merged_into_id=None),
                    delete(User).where(User.id.in_(users)),
                ):
                    await conn.execute(statement)
        finally:
            if driver is not None:
                await driver.execute("PRAGMA foreign_keys=ON")
    return int(count or 0)
