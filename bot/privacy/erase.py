"""Deleting a person everywhere: rows, messages about them, files, counters; the audit keeps only the fact.

`erase_person` works inside the caller's transaction (a turn or a CLI command),
so nothing is half deleted; what lives outside the database (their folder of
files, Redis counters, SQLite's write-ahead log) is removed by `Erasure.finish`
once the transaction has committed. What stays, and why:

* a certificate leaves the digest of its code and two dates (`RevokedCertificate`),
  so the paper's QR code shows "đã thu hồi", not "không hợp lệ";
* audit entries of what they did as staff stay, with the actor shown as
  "deleted#<id>" — the law asks the ward to prove what was done, not by whom;
* their mentor hears "một người đã rời chương trình", without a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.limits import Counter
from bot.core.services import Services
from bot.db.learning import Certificate, RevokedCertificate
from bot.db.models import ProcessedUpdate, User
from bot.db.network import Household, HouseholdMember, Mentor, Mentorship
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.outbox.queue import DIGEST_KIND, enqueue
from bot.people.audit import Actor, record
from bot.people.codes import digest as code_digest
from bot.people.folders import remove_folders
from bot.privacy.inventory import HOLDINGS, Scope, tables
from bot.text.i18n import translate


async def scope_of(session: AsyncSession, person: User) -> Scope:
    """The person as every table knows them: all their linked accounts, mentor rows and households."""
    people = list(await session.scalars(select(User).where((User.id == person.id) | (User.merged_into_id == person.id))))
    ids = frozenset(u.id for u in people)
    mentor_ids = frozenset(await session.scalars(select(Mentor.id).where(Mentor.user_id.in_(ids))))
    households = frozenset(await session.scalars(
        select(HouseholdMember.household_id).where(HouseholdMember.user_id.in_(ids))))
    return Scope(ids=ids, keys=frozenset(u.key for u in people), mentor_ids=mentor_ids, household_ids=households,
                 web_ids=frozenset(u.external_id for u in people if u.channel == "web"))


@dataclass
class Erasure:
    """What the database transaction could not delete, for `finish` to remove after the commit."""

    scope: Scope
    counts: dict[str, int]

    async def finish(self, *, files_dir: Path, signing_key: bytes, counter: Counter, db: Database) -> None:
        """Their folder of files, their Redis (or in-memory) counters, and on SQLite the deleted
        rows' copy in the write-ahead log."""
        remove_folders(files_dir, signing_key, self.scope.ids)
        for key in self.scope.keys:
            await counter.forget(key)
        await db.scrub()

    async def finish_with(self, services: Services) -> None:
        await self.finish(files_dir=services.files_dir, signing_key=services.settings.signing_key,
                          counter=services.limits, db=services.db)


async def erase_person(session: AsyncSession, person: User, actor: Actor, reason: str) -> Erasure:
    """Deletes `person` (the primary account) with every linked account and all that refers to them."""
    scope = await scope_of(session, person)
    now = datetime.now(UTC)
    ids, marker = scope.ids, f"deleted#{person.id}"
    counts: dict[str, int] = {}
    for name, holding in HOLDINGS.items():
        if holding.owned is not None:
            table = tables()[name]
            counts[name] = int(await session.scalar(
                select(func.count()).select_from(table).where(holding.owned(table, scope))) or 0)

    for certificate in await session.scalars(select(Certificate).where(Certificate.user_id.in_(ids))):
        session.add(RevokedCertificate(digest=code_digest(certificate.code), issued_at=certificate.issued_at,
                                       revoked_at=certificate.revoked_at or now))
    await _withdraw_digests(session, ids)
    await _tell_their_mentor(session, ids)
    await session.execute(delete(Household).where(
        Household.id.in_(scope.household_ids),
        ~exists().where(HouseholdMember.household_id == Household.id, HouseholdMember.user_id.not_in(ids))))
    for name, holding in HOLDINGS.items():
        table = tables()[name]
        for column in holding.scrub:
            await session.execute(update(table).where(table.c[column].in_(scope.keys)).values({column: marker}))
    for web_id in scope.web_ids:
        await session.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.channel == "web", ProcessedUpdate.update_id.startswith(f"{web_id}:", autoescape=True)))
    await session.execute(update(User).where(User.merged_into_id.in_(ids)).values(merged_into_id=None))
    await session.execute(delete(User).where(User.id.in_(ids)))  # the rest goes by ON DELETE CASCADE
    own = actor.who in scope.keys  # asked by the person themselves: their key is not kept either
    record(session, Actor(marker, actor.via) if own else actor, "data.delete", target=marker, detail=reason)
    return Erasure(scope, counts)


async def _withdraw_digests(session: AsyncSession, ids: frozenset[int]) -> None:
    """A mentor's weekly digest names several mentees, so it is about none of them alone (no
    `subject_id`): the digests to this person's mentors, past or present, go with the person,
    sent or not; the next week's digest is made again without them."""
    their_mentors = select(Mentor.user_id).join(Mentorship, Mentorship.mentor_id == Mentor.id).where(
        Mentorship.mentee_id.in_(ids))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.kind == DIGEST_KIND,
                                                      OutboxMessage.user_id.in_(their_mentors)))


async def _tell_their_mentor(session: AsyncSession, ids: frozenset[int]) -> None:
    """An active mentor learns that one of their people left, without who (they see one fewer)."""
    rows = await session.execute(
        select(Mentor.user_id, User.locale).join(Mentorship, Mentorship.mentor_id == Mentor.id)
        .join(User, User.id == Mentor.user_id)
        .where(Mentorship.mentee_id.in_(ids), Mentorship.ended_at.is_(None), Mentor.user_id.not_in(ids)))
    for user_id, locale in rows:
        await enqueue(session, user_id, translate(locale or "vi", "privacy.mentee_left"))
