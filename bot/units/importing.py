"""`bot units import <file.csv>`: the ward's real TDP list and populations replace the example figures.

Staff keep the list in a spreadsheet, so the import takes a CSV exported from
Excel/LibreOffice (UTF-8, "," or ";"). It is all-or-nothing: one bad row and
nothing changes, with every bad row named by its line number.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Tdp, Ward
from bot.text.problems import Problems
from bot.units.reference import TdpSpec, UnitsFile, WardSpec, load_units

COLUMNS = ("ward", "ward_name", "tdp_number", "tdp_name", "adult_population", "households")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_COUNT = re.compile(r"^\d{1,3}(?:[., ]\d{3})+$|^\d+$")  # 1234, 1.234, 1 234



class UnitsCsvError(Problems):
    """The units CSV is refused as a whole; `problems` names each wrong row and column."""

    problems: list[str]


@dataclass(frozen=True)
class ImportResult:
    wards_created: int
    wards_updated: int
    tdps_created: int
    tdps_updated: int
    examples_left: int  # example TDPs of the imported wards that the file did not mention


def _count(value: str, column: str, problems: list[str], line: int) -> int:
    value = value.strip()
    if not _COUNT.match(value):
        problems.append(f"dòng {line}: {column} phải là số nguyên không âm (đang là '{value}')")
        return 0
    return int(re.sub(r"[., ]", "", value))


def parse_units_csv(text: str) -> UnitsFile:
    """Validates every row; raises UnitsCsvError listing each problem with its line number."""
    text = text.lstrip("\ufeff")
    header = text.splitlines()[0] if text.strip() else ""
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if header.count(";") > header.count(",") else ",")
    names = [(n or "").strip().lower() for n in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise UnitsCsvError([f"dòng 1: thiếu cột {', '.join(missing)} (cần: {','.join(COLUMNS)})"])
    reader.fieldnames = names
    problems: list[str] = []
    wards: dict[str, WardSpec] = {}
    seen: dict[tuple[str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        before = len(problems)
        code, ward_name = row["ward"].lower(), row["ward_name"]
        if not _CODE.match(code):
            problems.append(f"dòng {line}: mã phường '{row['ward']}' không hợp lệ (chữ thường, số, '-', ví dụ hung-dao)")
        if not ward_name or len(ward_name) > 128:
            problems.append(f"dòng {line}: thiếu tên phường (ward_name)")
        number = None
        if row["tdp_number"]:
            if not row["tdp_number"].isdecimal() or not 0 < int(row["tdp_number"]) < 1000:
                problems.append(f"dòng {line}: số tổ (tdp_number) phải là số 1–999 (đang là '{row['tdp_number']}')")
            else:
                number = int(row["tdp_number"])
        name = row["tdp_name"] or (f"Tổ dân phố số {number}" if number is not None else "")
        if not name or len(name) > 128:
            problems.append(f"dòng {line}: cần số tổ (tdp_number) hoặc tên tổ (tdp_name)")
        adults = _count(row["adult_population"], "adult_population", problems, line)
        households = _count(row["households"], "households", problems, line)
        if len(problems) > before:
            continue
        spec = TdpSpec(number=number, name=name, adult_population=adults, households=households, example=False)
        ward = wards.setdefault(code, WardSpec(code=code, name=ward_name))
        if ward.name != ward_name:
            problems.append(f"dòng {line}: phường {code} đã có tên '{ward.name}' ở dòng trên, ở đây là '{ward_name}'")
        elif (code, spec.key) in seen:
            problems.append(f"dòng {line}: tổ '{name}' của phường {code} trùng với dòng {seen[(code, spec.key)]}")
        else:
            seen[(code, spec.key)] = line
            ward.tdps.append(spec)
    if not problems and not wards:
        problems.append("tệp không có dòng dữ liệu nào")
    if problems:
        raise UnitsCsvError(problems)
    return UnitsFile(wards=list(wards.values()))


def read_units_csv(path: Path) -> UnitsFile:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnitsCsvError([f"tệp không phải UTF-8 (byte {exc.start}): hãy lưu lại dạng “CSV UTF-8”"]) from None
    return parse_units_csv(text)


async def import_units(session: AsyncSession, units: UnitsFile) -> ImportResult:
    """Creates or updates the wards and TDPs of `units` (marked as real figures, not examples)."""
    codes = [w.code for w in units.wards]
    existing_wards = set(await session.scalars(select(Ward.code).where(Ward.code.in_(codes))))
    existing_tdps = {(w, t) for w, t in await session.execute(
        select(Ward.code, Tdp.code).join(Ward, Ward.id == Tdp.ward_id).where(Ward.code.in_(codes)))}
    wanted = {(w.code, t.key) for w in units.wards for t in w.tdps}
    await load_units(session, units)
    examples = await session.execute(
        select(Ward.code, Tdp.code).join(Ward, Ward.id == Tdp.ward_id).where(Ward.code.in_(codes), Tdp.is_example))
    return ImportResult(
        wards_created=len(set(codes) - existing_wards), wards_updated=len(set(codes) & existing_wards),
        tdps_created=len(wanted - existing_tdps), tdps_updated=len(wanted & existing_tdps),
        examples_left=sum(1 for key in examples if key not in wanted))
