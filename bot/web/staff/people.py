"""Người học: find a resident (numbers masked), see their progress, and on their written request give
them a copy of their data or delete it: `bot.privacy.export` and `bot.privacy.erase`, as `bot privacy`
does, each audited with the staff identity that acted. A TDP leader finds only people of their TDP."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import ColumnElement, func, or_, select

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import Tdp, User
from bot.people.audit import record
from bot.people.folders import person_folder
from bot.privacy import export
from bot.privacy.erase import erase_person
from bot.web.staff.console import Refused, Staff, action, page

LISTED = 50
FOLDER = re.compile(r"^[0-9a-f]{24}$")
FILE = re.compile(r"^[A-Za-z0-9_\-]{1,80}\.(?:html|json)$")


def shown_id(user: User) -> str:
    """An account as staff see it: the channel and the last characters of its id only."""
    tail = user.external_id[-3:] if len(user.external_id) > 6 else ""
    return f"{user.channel}:…{tail}"


def exports(staff: Staff, person_id: int) -> Path:
    """Copies made for a person live in that person's own folder (`bot.people.folders`), so deleting
    the person deletes every copy staff ever made of their data too."""
    services = staff.runtime.services
    return person_folder(Path(services.files_dir), services.settings.signing_key, person_id) / "staff-copies"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@page
async def people_page(staff: Staff) -> web.StreamResponse:
    query_text = staff.field("q")[:80]
    rows: list[tuple[User, str | None]] = []
    if query_text:
        conditions: list[ColumnElement[bool]] = [User.merged_into_id.is_(None)]
        if staff.scope_tdp_id is not None:
            conditions.append(User.tdp_id == staff.scope_tdp_id)
        number = query_text.lstrip("#")
        match: list[ColumnElement[bool]] = [User.display_name.ilike(_like(query_text), escape="\\")]
        if number.isdecimal():
            match.append(User.id == int(number))
        async with staff.db.sessions() as session:
            rows = list(await session.execute(select(User, Tdp.name).outerjoin(Tdp, Tdp.id == User.tdp_id)
                                              .where(*conditions, or_(*match)).order_by(User.id).limit(LISTED)))
    return staff.render("people.html", q=query_text, rows=rows, shown_id=shown_id)


async def _person(session, staff: Staff, person_id: int) -> User:
    person = await session.get(User, person_id)
    if person is None or person.merged_into_id is not None:
        raise web.HTTPNotFound()
    if staff.scope_tdp_id is not None and person.tdp_id != staff.scope_tdp_id:
        raise Refused(f"user#{person_id} of another TDP")
    return person


@page
async def person_page(staff: Staff) -> web.StreamResponse:
    person_id = int(staff.request.match_info["id"])
    content = staff.runtime.services.content
    async with staff.db.sessions() as session:
        person = await _person(session, staff, person_id)
        tdp = await session.get(Tdp, person.tdp_id) if person.tdp_id else None
        done = dict(list(await session.execute(
            select(LessonProgress.topic_id, func.count()).where(LessonProgress.user_id == person.id,
                                                                LessonProgress.completed_at.is_not(None))
            .group_by(LessonProgress.topic_id))))
        certificates = list(await session.scalars(select(Certificate).where(Certificate.user_id == person.id)
                                                  .order_by(Certificate.issued_at)))
    topics = [(topic.title, done.get(topic.id, 0), len(content.lessons_by_topic.get(topic.id, []))) for topic in content.topics]
    made = staff.field("copy")
    folder = exports(staff, person.id) / made if FOLDER.match(made) else None
    files = sorted(p.name for p in folder.iterdir() if FILE.match(p.name)) if folder and folder.is_dir() else []
    return staff.render("person.html", person=person, tdp=tdp, topics=topics, certificates=certificates,
                        shown_id=shown_id(person), copy=made if files else None, files=files)


@action
async def export_copy(staff: Staff) -> web.StreamResponse:
    person_id = int(staff.request.match_info["id"])
    token = secrets.token_hex(12)
    async with staff.db.transaction() as session:
        person = await _person(session, staff, person_id)
        sections = await export.collect(session, person)
        export.write_copy(sections, exports(staff, person.id) / token, datetime.now(UTC))
        record(session, staff.actor, "data.export", target=f"user#{person.id}",
               detail=f"{sum(len(s.rows) for s in sections)} rows")
    raise web.HTTPSeeOther(f"/staff/people/{person_id}?copy={token}")


@page
async def download(staff: Staff) -> web.StreamResponse:
    folder, name = staff.request.match_info["folder"], staff.request.match_info["name"]
    person_id = int(staff.request.match_info["id"])
    async with staff.db.sessions() as session:
        await _person(session, staff, person_id)  # a TDP leader downloads only their TDP's people
    path = exports(staff, person_id) / folder / name
    if not FOLDER.match(folder) or not FILE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "no-store",
                                           "Content-Disposition": f'attachment; filename="{name}"'})


@action
async def delete(staff: Staff) -> web.StreamResponse:
    person_id = int(staff.request.match_info["id"])
    if staff.field("confirm") != "yes":
        return staff.back_to(f"/staff/people/{person_id}", "delete_unconfirmed")
    async with staff.db.transaction() as session:
        person = await _person(session, staff, person_id)
        erasure = await erase_person(session, person, staff.actor, (staff.field("reason") or "written request")[:200])
    await erasure.finish_with(staff.runtime.services)
    return staff.back_to("/staff/people", "person_deleted")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/people", people_page)
    app.router.add_get(r"/staff/people/{id:\d{1,9}}", person_page)
    app.router.add_post(r"/staff/people/{id:\d{1,9}}/export", export_copy)
    app.router.add_post(r"/staff/people/{id:\d{1,9}}/delete", delete)
    app.router.add_get(r"/staff/people/{id:\d{1,9}}/copies/{folder}/{name}", download)


