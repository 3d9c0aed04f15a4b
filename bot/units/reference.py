"""Wards and tổ dân phố (TDP): loading the reference list and finding a TDP from what people type."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import PROJECT_ROOT
from bot.db.models import Tdp, Ward
from bot.text.fold import fold

UNITS_FILE = PROJECT_ROOT / "data" / "units.yaml"
_TDP_NUMBER = re.compile(r"^(?:(?:to dan pho|to|tdp|khu pho|kp)\s*(?:so\s*)?)?(\d{1,3})$")


class TdpSpec(BaseModel):
    number: int | None = None
    code: str | None = None
    name: str
    adult_population: int = Field(0, ge=0)
    households: int = Field(0, ge=0)
    example: bool = False

    @property
    def key(self) -> str:
        return self.code or (f"tdp-{self.number}" if self.number is not None else fold(self.name).replace(" ", "-"))


class WardSpec(BaseModel):
    code: str
    name: str
    tdps: list[TdpSpec] = []


class UnitsFile(BaseModel):
    wards: list[WardSpec]


def read_units(path: Path = UNITS_FILE) -> UnitsFile:
    return UnitsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


async def load_units(session: AsyncSession, units: UnitsFile) -> tuple[int, int]:
    """Creates or updates wards and TDPs (by code); returns (wards, tdps) written."""
    tdp_count = 0
    for ward_spec in units.wards:
        ward = await session.scalar(select(Ward).where(Ward.code == ward_spec.code))
        if ward is None:
            ward = Ward(code=ward_spec.code, name=ward_spec.name)
            session.add(ward)
            await session.flush()
        ward.name = ward_spec.name
        for spec in ward_spec.tdps:
            tdp = await session.scalar(select(Tdp).where(Tdp.ward_id == ward.id, Tdp.code == spec.key))
            if tdp is None:
                tdp = Tdp(ward_id=ward.id, code=spec.key)
                session.add(tdp)
            elif spec.example and not tdp.is_example:
                continue  # real figures imported by staff (bot units import) win over the shipped examples
            tdp.name, tdp.number = spec.name, spec.number
            tdp.adult_population, tdp.households, tdp.is_example = spec.adult_population, spec.households, spec.example
            tdp_count += 1
    await session.flush()
    return len(units.wards), tdp_count


async def wards(session: AsyncSession) -> list[Ward]:
    return list(await session.scalars(select(Ward).order_by(Ward.id)))


async def tdps_of(session: AsyncSession, ward_id: int) -> list[Tdp]:
    return list(await session.scalars(select(Tdp).where(Tdp.ward_id == ward_id).order_by(Tdp.number, Tdp.name)))


def tdp_number(text: str) -> int | None:
    """'tổ 5', 'to dan pho so 5', 'TDP 5', '5' → 5; 'tổ -1' or 'tổ 0' → None (TDPs count from 1)."""
    if re.search(r"[-−–]\s*\d", text):
        return None
    found = _TDP_NUMBER.match(fold(text))
    return int(found.group(1)) if found and int(found.group(1)) > 0 else None


def find_tdp(tdps: list[Tdp], text: str) -> Tdp | None:
    number = tdp_number(text)
    if number is not None:
        return next((t for t in tdps if t.number == number), None)
    folded = fold(text)
    return next((t for t in tdps if fold(t.name) == folded), None)


async def tdp_by_ref(session: AsyncSession, ref: str) -> Tdp | None:
    """'hung-dao/5' (ward code / TDP number) → that TDP, or None when either does not exist."""
    ward_code, _, number = ref.strip().partition("/")
    if not number.strip().isdecimal():
        return None
    return await session.scalar(select(Tdp).join(Ward, Ward.id == Tdp.ward_id).where(
        Ward.code == ward_code.strip(), Tdp.number == int(number)))


async def ward_by_code(session: AsyncSession, code: str) -> Ward | None:
    return await session.scalar(select(Ward).where(Ward.code == code.strip()))
