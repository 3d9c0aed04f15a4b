"""What `bot run` loads: the default start (web chat only, no tokens) pays for no channel library and
no drawing or spreadsheet library — those load when a Telegram token is set or a file is made."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.db.migrate import head_revision, recorded_revision, upgrade

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("alembic", "redis", "tldextract", "telegram", "httpx", "aiogram", "fpdf", "PIL", "openpyxl", "matplotlib", "numpy", "soundfile")

PROBE = textwrap.dedent("""
    import asyncio, os, signal, sys
    from bot.app.server import serve
    from bot.config import Settings
    from bot.db.migrate import upgrade

    settings = Settings(database_url=sys.argv[1], cert_signing_key="k" * 64, web_port=int(sys.argv[2]),
                        web_host="127.0.0.1", _env_file=None)
    upgrade(settings.database_url)

    def ready():
        print("LOADED", " ".join(sorted(m for m in {heavy!r} if m in sys.modules)), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

    asyncio.run(serve(settings, ready=ready))
""").format(heavy=HEAVY)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_default_start_imports_no_channel_drawing_or_spreadsheet_library(tmp_path: Path) -> None:
    """Nor Alembic when the schema is already current (the database was migrated by an earlier start)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    run = subprocess.run([sys.executable, "-c", PROBE, url, str(_free_port())], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    loaded = next((line for line in run.stdout.splitlines() if line.startswith("LOADED")), None)
    assert loaded is not None, run.stdout + run.stderr
    assert loaded.split()[1:] == [], f"imported at start: {loaded}"


def test_migrations_run_only_when_the_database_is_behind(tmp_path: Path) -> None:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade(url, "0008")
    assert asyncio.run(recorded_revision(url)) == "0008"
    upgrade(url)  # behind: Alembic brings it to the newest migration
    assert asyncio.run(recorded_revision(url)) == head_revision() is not None
    versions = sorted(p.name for p in (ROOT / "bot" / "db" / "migrations" / "versions").glob("0*.py"))
    assert head_revision() == versions[-1].split("_")[0]
