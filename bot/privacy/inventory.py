"""Every column of every table, said once: shown in a person's copy, deleted with them, scrubbed, or not theirs.

A person may see, copy and delete what is held about them (Luật Bảo vệ dữ liệu cá
nhân 91/2025/QH15). `bot.privacy.export` shows the `export` columns of the rows
`owned` by the person, `bot.privacy.erase` deletes those rows and replaces the
`scrub` columns of shared rows. A new column that appears in none of the four
lists fails `tests/ops/test_privacy.py`, so nobody adds data the copy or the
deletion forgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Table, false, or_

import bot.db.all_models  # noqa: F401  (registers every table)
from bot.db.models import Base


@dataclass(frozen=True)
class Scope:
    """One person, as the tables know them: their account ids, identity keys ("telegram:42"),
    mentor ids, household ids and web-chat ids."""

    ids: frozenset[int]
    keys: frozenset[str]
    mentor_ids: frozenset[int] = frozenset()
    household_ids: frozenset[int] = frozenset()
    web_ids: frozenset[str] = frozenset()


Owned = Callable[[Table, Scope], ColumnElement[bool]]


def _by(column: str) -> Owned:
    return lambda table, scope: table.c[column].in_(scope.ids)


@dataclass(frozen=True)
class Holding:
    """What one table holds about a person, in the words the copy uses."""

    title: str
    seen_by: str
    """Who else can see these rows, in plain words (the copy says it)."""
    owned: Owned | None
    """The person's rows (deleted with them); None for a table whose rows belong to nobody."""
    export: tuple[str, ...] = ()
    internal: dict[str, str] = field(default_factory=dict)
    """Deleted with the row but not shown: why it is not worth showing."""
    scrub: tuple[str, ...] = ()
    """In rows that stay (shared ones): an identity key here becomes "deleted#<id>"."""
    shared: dict[str, str] = field(default_factory=dict)
    """Not about the person: why."""

    def columns(self) -> set[str]:
        return set(self.export) | set(self.internal) | set(self.scrub) | set(self.shared)


ROW_ID = {"id": "row number"}

HOLDINGS: dict[str, Holding] = {
    "users": Holding(
        "Tài khoản và hồ sơ", "Cán bộ phường, Đại sứ số của bạn (tên đã che bớt)", _by("id"),
        export=("id", "channel", "external_id", "display_name", "locale", "role", "ward_id", "tdp_id", "age_band",
                "consent_at", "consent_version", "created_at", "last_seen_at", "has_smartphone", "uses_social",
                "vneid_active", "notifications_off", "unreachable_at", "merged_into_id", "phone_masked",
                "scope_tdp_id"),
        internal={"state": "the screen the conversation is on", "state_data": "the answers of an unfinished form"}),
    "lesson_progress": Holding(
        "Bài học đã học", "Đại sứ số của bạn, cán bộ phường (số liệu chung)", _by("user_id"),
        export=("lesson_id", "topic_id", "step", "started_at", "updated_at", "completed_at", "check_correct"),
        internal={**ROW_ID, "user_id": "the person"}),
    "quiz_attempts": Holding(
        "Bài kiểm tra", "Đại sứ số của bạn (điểm), cán bộ phường (số liệu chung)", _by("user_id"),
        export=("topic_id", "question_ids", "answers", "started_at", "finished_at", "score", "passed"),
        internal={**ROW_ID, "user_id": "the person", "orders": "the order the options were shown in"}),
    "certificates": Holding(
        "Giấy chứng nhận", "Ai có mã hoặc mã QR trên giấy (tên đã che bớt)", _by("user_id"),
        export=("code", "topic_id", "holder_name", "ward_name", "tdp_name", "topics", "issued_at", "revoked_at",
                "revoke_reason"),
        internal={**ROW_ID, "user_id": "the person"}),
    "revoked_certificates": Holding(
        "", "", None,
        shared={"digest": "a one-way digest of a deleted certificate's code: /verify says it was revoked",
                "issued_at": "the day it was issued", "revoked_at": "the day it was revoked"}),
    "help_requests": Holding(
        "Câu hỏi nhờ giúp", "Đại sứ số của bạn hoặc tổ số của tổ dân phố", _by("mentee_id"),
        export=("question", "context", "status", "answer", "created_at", "answered_at"),
        internal={**ROW_ID, "mentee_id": "the person", "mentor_id": "who was asked", "tdp_id": "their TDP",
                  "answered_by": "who answered", "reminded_at": "when the helper was reminded"}),
    "unanswered_questions": Holding(
        "Câu hỏi trợ lý chưa trả lời được", "Cán bộ phường (số đã che, không kèm tên)", _by("user_id"),
        export=("text", "asked_at", "channel", "answered_at"),
        internal={**ROW_ID, "user_id": "the person"},
        scrub=("answered_by",)),
    "households": Holding(
        "Gia đình số", "Các thành viên trong gia đình, Đại sứ số", lambda t, s: t.c.id.in_(s.household_ids),
        export=("name", "created_at"),
        internal={**ROW_ID, "tdp_id": "the household's TDP", "created_by": "who created it"}),
    "household_members": Holding(
        "Thành viên gia đình số", "Các thành viên trong gia đình", _by("user_id"),
        export=("household_id", "joined_at"),
        internal={"user_id": "the person"}),
    "mentors": Holding(
        "Đăng ký Đại sứ số", "Cán bộ phường, người bạn hướng dẫn (tên)", _by("user_id"),
        export=("full_name", "organisation", "tdp_id", "status", "requested_at", "decided_at"),
        internal={**ROW_ID, "user_id": "the person"},
        scrub=("decided_by",)),
    "mentorships": Holding(
        "Hướng dẫn (Đại sứ số và người được hướng dẫn)", "Hai người trong cặp hướng dẫn, cán bộ phường",
        lambda t, s: or_(t.c.mentee_id.in_(s.ids), t.c.mentor_id.in_(s.mentor_ids)),
        export=("mentor_id", "mentee_id", "how", "started_at", "ended_at", "ended_reason"),
        internal=ROW_ID),
    "help_sessions": Holding(
        "Buổi hướng dẫn đã ghi", "Cán bộ phường (số liệu chung)", lambda t, s: t.c.mentor_id.in_(s.mentor_ids),
        export=("held_on", "topic_id", "lesson_id", "minutes", "place", "is_group", "created_at"),
        internal={**ROW_ID, "mentor_id": "the mentor who held it"}),
    "help_session_attendees": Holding(
        "Buổi hướng dẫn đã dự", "Đại sứ số đã hướng dẫn", _by("user_id"),
        export=("session_id", "quiz_score"),
        internal={"user_id": "the person"}),
    "codes": Holding(
        "Mã dùng một lần", "Không ai (chỉ lưu dạng băm)", lambda t, s: t.c.user_id.in_(s.ids),
        export=("kind", "created_at", "expires_at"),
        internal={"digest": "a one-way digest: the code itself is never stored", "user_id": "the person",
                  "mentor_id": "the mentor an invitation is from", "household_id": "the household a code joins"},
        scrub=("created_by",)),
    "outbox": Holding(
        "Tin nhắn gửi cho bạn hoặc nói về bạn", "Người nhận tin",
        lambda t, s: or_(t.c.user_id.in_(s.ids), t.c.subject_id.in_(s.ids)),
        export=("kind", "text", "status", "created_at", "sent_at"),
        internal={**ROW_ID, "user_id": "the recipient", "subject_id": "the person a message is about",
                  "broadcast_id": "the announcement it belongs to", "options": "its buttons",
                  "image": "its picture", "priority": "sending order", "attempts": "sending attempts",
                  "not_before": "sending time", "claimed_at": "sending state", "claimed_by": "sending state",
                  "error": "why sending failed"}),
    "audit_log": Holding(
        "Nhật ký việc bạn đã làm với quyền cán bộ", "Cán bộ phường",
        lambda t, s: or_(t.c.actor.in_(s.keys), t.c.target.in_(s.keys)),
        export=("at", "via", "action"),
        scrub=("actor", "target"),
        shared={**ROW_ID, "detail": "what was done (no personal data is written there)"}),
    "broadcasts": Holding(
        "", "", None, scrub=("created_by",),
        shared={**ROW_ID, "created_at": "the announcement", "text": "the announcement", "image": "the announcement",
                "audience": "the announcement", "scheduled_at": "the announcement", "urgent": "the announcement",
                "status": "the announcement", "total": "the announcement"}),
    "nudge_plans": Holding(
        "Nhắc học bạn đã chọn", "Không ai khác", _by("user_id"),
        export=("days", "part", "chosen_at", "stopped_at", "paused_at", "ignored"),
        internal={"user_id": "the person"}),
    "nudges": Holding(
        "Tin nhắc học đã gửi", "Cán bộ phường (chỉ số lượng theo tổ)", _by("user_id"),
        export=("day", "kind", "queued_at", "answered_at"),
        internal={**ROW_ID, "user_id": "the person", "week": "the week of the day, for the weekly limit",
                  "outbox_id": "the message it was sent as"}),
    "review_items": Holding(
        "Câu ôn tập", "Đại sứ số của bạn (chủ đề hay sai)", _by("user_id"),
        export=("question_id", "topic_id", "box", "due_at", "right", "wrong", "last_correct", "last_answered_at",
                "created_at"),
        internal={**ROW_ID, "user_id": "the person"}),
    "scam_checks": Holding(
        "", "", None,
        shared={**ROW_ID, "checked_at": "a count of checks for the monthly report: no person, no message",
                "tdp_id": "as above", "verdict": "as above", "signs": "as above"}),
    "processed_updates": Holding(
        "", "", None,
        shared={"channel": "update ids seen (redelivery detection); a web chat's are deleted with the person",
                "update_id": "as above", "processed_at": "as above"}),
    "job_runs": Holding("", "", None, shared={"name": "the daily jobs' runs", "period": "", "ran_at": ""}),
    "wards": Holding("", "", None, shared={"id": "the ward register", "code": "", "name": ""}),
    "tdps": Holding("", "", None, shared={c: "the ward register" for c in (
        "id", "ward_id", "code", "name", "number", "adult_population", "households", "is_example")}),
}


def tables() -> dict[str, Table]:
    return dict(Base.metadata.tables)


def unclassified() -> list[str]:
    """'table.column' for every column no holding speaks of (the test wants none)."""
    missing = []
    for name, table in tables().items():
        holding = HOLDINGS.get(name)
        said = holding.columns() if holding else set()
        missing += [f"{name}.{column.name}" for column in table.columns if column.name not in said]
    return missing


def owned(name: str, scope: Scope) -> ColumnElement[bool]:
    holding = HOLDINGS[name]
    return holding.owned(tables()[name], scope) if holding.owned else false()
