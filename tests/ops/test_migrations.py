"""Migrations build exactly the tables the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bot.db.all_models  # noqa: F401
from bot.db.migrate import alembic_config
from bot.db.models import Base
from tests.conftest import PgSchema


def _upgrade_and_diff(connection) -> list:
    config = alembic_config("sqlite://")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def test_sqlite_migrations_match_models(tmp_path) -> None:
    from bot.db.session import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_upgrade_and_diff)
        await conn.commit()
    await db.dispose()
    assert diff == []


async def test_postgres_migrations_match_models() -> None:
    schema = PgSchema()
    await schema.create()
    db = schema.database()
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(_upgrade_and_diff)
            await conn.commit()
        assert diff == []
    finally:
        await db.dispose()
        await schema.drop()


def test_cli_upgrade_creates_database_file(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli.db").exists()


@pytest.mark.parametrize("env,expected", [
    ({}, "Setting CERT_SIGNING_KEY is missing"),
    ({"CERT_SIGNING_KEY": "short"}, "Setting CERT_SIGNING_KEY is invalid"),
    ({"CERT_SIGNING_KEY": "x" * 32, "DATABASE_URL": "mysql://db"}, "Setting DATABASE_URL is invalid"),
    ({"CERT_SIGNING_KEY": "x" * 32, "WEB_PORT": "eighty"}, "Setting WEB_PORT is invalid"),
    ({"CERT_SIGNING_KEY": "x" * 32, "BOT_ADMINS": "telegram-123"}, "Setting BOT_ADMINS is invalid"),
    ({"CERT_SIGNING_KEY": "x" * 32, "TELEGRAM_WEBHOOK_SECRET": "bad secret!"}, "Setting TELEGRAM_WEBHOOK_SECRET"),
])
def test_bad_settings_stop_start_up_with_one_line(tmp_path, monkeypatch, env, expected) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("CERT_SIGNING_KEY", "DATABASE_URL", "WEB_PORT", "BOT_ADMINS", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output


def test_env_example_lists_every_setting() -> None:
    from pathlib import Path

    from bot.config import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    assert names == {name.upper() for name in Settings.model_fields}
