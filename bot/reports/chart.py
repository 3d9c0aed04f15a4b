"""The report's chart as a PNG image, for sending in chat where an XLSX is awkward to open on a phone.

Uses matplotlib's object API (no pyplot global state), so rendering is safe
from worker threads; DejaVu Sans, matplotlib's default font, has Vietnamese.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from bot.reports.figures import TdpRow, totals
from bot.reports.periods import Period

MAX_BARS = 30


def percent_text(value: float, digits: int = 1) -> str:
    """21.66 → '21,7%' (Vietnamese decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",") + "%"


def _label(row: TdpRow, many_wards: bool) -> str:
    name = row.tdp_name if len(row.tdp_name) <= 28 else row.tdp_name[:27] + "…"
    name += " *" if row.is_example else ""
    return f"{row.ward_name} – {name}" if many_wards else name


def _colour(value: float, target: int | None) -> str:
    goal = target or 100
    if value >= goal:
        return "#2E7D32"
    return "#2E75B6" if value >= goal / 2 else "#E08A1E"


def render_chart_png(rows: Sequence[TdpRow], period: Period) -> bytes:
    """Horizontal bars of % of adults certified per TDP (the best 30 when there are more), target line."""
    known = [r for r in rows if r.certified_percent is not None]
    shown = sorted(known, key=lambda r: r.certified_percent or 0.0, reverse=True)[:MAX_BARS]
    shown.reverse()  # barh draws bottom-up: best on top
    many_wards = len({r.ward_code for r in rows}) > 1
    target = period.target
    height = 1.9 + 0.3 * max(len(shown), 3)
    fig = Figure(figsize=(8.5, height), dpi=110)
    ax = fig.add_subplot()
    values = [r.certified_percent or 0.0 for r in shown]
    ax.barh(range(len(shown)), values, color=[_colour(v, target) for v in values], height=0.7)
    ax.set_yticks(range(len(shown)), [_label(r, many_wards) for r in shown], fontsize=9)
    limit = max([100.0, *(v + 12 for v in values)])
    ax.set_xlim(0, limit)
    for index, value in enumerate(values):
        ax.text(value + limit * 0.01, index, percent_text(value), va="center", fontsize=8)
    if target is not None:
        ax.axvline(target, color="#C00000", linestyle="--", linewidth=1.5)
        ax.text(target, len(shown) - 0.4, f"Mục tiêu {target}%", color="#C00000", ha="right", va="bottom",
                fontsize=9, fontweight="bold")
    ax.set_xlabel("% người trưởng thành đã có chứng nhận")
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0f}%")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    wards = ", ".join(dict.fromkeys(r.ward_name for r in rows)) or "—"
    ax.set_title(f"Tỷ lệ người trưởng thành có chứng nhận – {period.label}\nphường {wards}",
                 fontsize=11, fontweight="bold", loc="left")
    total = totals(rows)
    notes = []
    if total.certified_percent is not None:
        notes.append(f"Chung: {total.certified:,}/{total.adult_population:,} người".replace(",", ".")
                     + f" ({percent_text(total.certified_percent)})")
    if len(known) > len(shown):
        notes.append(f"{len(shown)} tổ cao nhất trên {len(known)} tổ")
    if target is not None:
        notes.append(f"cam: dưới {target // 2}% · xanh: từ {target // 2}% · xanh lá: đạt {target}%")
    if any(r.is_example for r in shown):
        notes.append("* dân số mẫu (ví dụ)")
    fig.text(0.01, 0.01, " · ".join(notes), fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
