"""A copy of everything held about a person: a page to read (HTML, Vietnamese) and the same as JSON.

The copy is built from `bot.privacy.inventory`, table by table, so whatever the
deletion removes the copy shows (each section also says who else can see it).
The files go into the person's own folder (`bot.people.folders`): deleting the
person deletes the copies too.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Attachment
from bot.db.models import User
from bot.privacy.erase import scope_of
from bot.privacy.inventory import HOLDINGS, tables
from bot.text.i18n import WARD_TZ

LABELS = {
    "id": "Số tài khoản trong hệ thống", "channel": "Kênh", "external_id": "Mã người dùng trên kênh",
    "display_name": "Tên", "locale": "Ngôn ngữ", "role": "Vai trò", "ward_id": "Phường (số)",
    "tdp_id": "Tổ dân phố (số)", "age_band": "Nhóm tuổi", "consent_at": "Ngày đồng ý",
    "consent_version": "Bản thông báo đã đồng ý", "created_at": "Ngày tạo", "last_seen_at": "Lần cuối nhắn",
    "has_smartphone": "Có điện thoại thông minh", "uses_social": "Dùng mạng xã hội", "vneid_active": "Đã có VNeID",
    "notifications_off": "Tắt thông báo", "unreachable_at": "Không nhận được tin từ ngày",
    "merged_into_id": "Gộp vào tài khoản", "phone_masked": "Số điện thoại (đã che)",
    "scope_tdp_id": "Tổ được giao (cán bộ)", "lesson_id": "Bài", "topic_id": "Chủ đề", "step": "Bước",
    "started_at": "Bắt đầu", "updated_at": "Cập nhật", "completed_at": "Học xong", "check_correct": "Trả lời đúng",
    "question_ids": "Các câu hỏi", "answers": "Câu trả lời", "finished_at": "Làm xong", "score": "Điểm",
    "passed": "Đạt", "code": "Mã", "holder_name": "Tên trên giấy", "ward_name": "Phường", "tdp_name": "Tổ dân phố",
    "topics": "Các chủ đề", "issued_at": "Ngày cấp", "revoked_at": "Ngày thu hồi", "revoke_reason": "Lý do thu hồi",
    "question": "Câu hỏi", "context": "Đang học bài", "status": "Trạng thái", "answer": "Trả lời",
    "answered_at": "Ngày trả lời", "text": "Nội dung", "asked_at": "Ngày hỏi", "name": "Tên",
    "household_id": "Gia đình (số)", "joined_at": "Ngày vào", "full_name": "Họ tên",
    "organisation": "Đơn vị", "requested_at": "Ngày đăng ký", "decided_at": "Ngày duyệt",
    "mentor_id": "Đại sứ số (số)", "mentee_id": "Người được hướng dẫn (số)", "how": "Cách ghép",
    "ended_at": "Ngày kết thúc", "ended_reason": "Lý do kết thúc", "held_on": "Ngày", "minutes": "Số phút",
    "place": "Nơi", "is_group": "Buổi nhóm", "session_id": "Buổi (số)", "quiz_score": "Điểm",
    "kind": "Loại", "expires_at": "Hết hạn", "sent_at": "Ngày gửi", "at": "Lúc", "via": "Từ màn hình",
    "action": "Việc", "days": "Ngày nhắc trong tuần (mã)", "part": "Buổi nhắc", "chosen_at": "Ngày chọn",
    "stopped_at": "Dừng nhắc từ", "paused_at": "Tạm ngừng nhắc từ", "ignored": "Số tin nhắc chưa trả lời",
    "day": "Ngày", "queued_at": "Lúc gửi", "question_id": "Câu hỏi", "box": "Hộp ôn tập (1–5)",
    "due_at": "Ôn lại từ", "right": "Số lần đúng", "wrong": "Số lần sai", "last_correct": "Lần cuối đúng",
    "last_answered_at": "Lần cuối trả lời",
}


@dataclass(frozen=True)
class Section:
    table: str
    title: str
    seen_by: str
    rows: list[dict[str, Any]]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(WARD_TZ).isoformat(timespec="minutes") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


async def collect(session: AsyncSession, person: User) -> list[Section]:
    """Every row the person owns, with the columns the inventory shows, table by table."""
    scope = await scope_of(session, person)
    sections = []
    for name, holding in HOLDINGS.items():
        if holding.owned is None or not holding.export:
            continue
        table = tables()[name]
        columns = [table.c[c] for c in holding.export]
        result = await session.execute(select(*columns).where(holding.owned(table, scope)))
        rows = [{c: _plain(v) for c, v in zip(holding.export, row, strict=True)} for row in result]
        sections.append(Section(name, holding.title, holding.seen_by, rows))
    return sections


def as_json(sections: list[Section], made_at: datetime) -> str:
    return json.dumps({"made_at": _plain(made_at), "sections": [
        {"table": s.table, "title": s.title, "seen_by": s.seen_by, "rows": s.rows} for s in sections]},
        ensure_ascii=False, indent=1)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list | dict):
        return html.escape(json.dumps(value, ensure_ascii=False))
    return html.escape(str(value))


def as_html(sections: list[Section], made_at: datetime) -> str:
    parts = [
        "<!doctype html><html lang='vi'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Dữ liệu của tôi</title><style>body{font:18px/1.5 sans-serif;margin:1em;max-width:50em}"
        "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #999;padding:.2em .4em;"
        "text-align:left;vertical-align:top}</style>",
        "<h1>Dữ liệu trợ lý Bình dân học vụ số lưu về bạn</h1>",
        f"<p>Lập lúc {html.escape(str(_plain(made_at)))}. Bạn có thể xóa toàn bộ trong Cài đặt → "
        "Xóa dữ liệu của tôi.</p>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2><p>Ai xem được: {html.escape(section.seen_by)}</p>")
        if not section.rows:
            parts.append("<p><i>Không có.</i></p>")
            continue
        for row in section.rows:
            cells = "".join(f"<tr><th>{html.escape(LABELS.get(k, k))}</th><td>{_cell(v)}</td></tr>"
                            for k, v in row.items())
            parts.append(f"<table>{cells}</table>")
    return "\n".join(parts) + "</html>"


def write_copy(sections: list[Section], folder: Path, made_at: datetime) -> tuple[Attachment, Attachment]:
    """The page and the JSON, named by the day, in the person's folder (a new copy replaces that day's)."""
    folder.mkdir(parents=True, exist_ok=True)
    day = made_at.astimezone(WARD_TZ).date().isoformat()
    page, data = folder / f"du-lieu-cua-toi-{day}.html", folder / f"du-lieu-cua-toi-{day}.json"
    page.write_text(as_html(sections, made_at), encoding="utf-8")
    data.write_text(as_json(sections, made_at), encoding="utf-8")
    return (Attachment(page, page.name, "text/html"), Attachment(data, data.name, "application/json"))
