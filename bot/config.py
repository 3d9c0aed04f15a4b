"""Settings, read once at start-up from the environment or `.env`.

Names are an outside contract (see the design file): other tools set them.
A missing or invalid value stops start-up with one line naming the setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FILES_DIR = PROJECT_ROOT / "var" / "files"
"""Files made for people (certificates, exports, QR codes), each person's in their own folder."""
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'bot.db'}"
_ADMIN_RE = re.compile(r"^(telegram|zalo):[A-Za-z0-9_\-]+$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_\-]{8,256}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = DEFAULT_SQLITE_URL
    redis_url: str | None = None
    redis_prefix: str = Field("bot:", pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=1, le=65535)
    public_base_url: str | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr | None = None
    zalo_bot_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None
    bot_admins: str = ""
    cert_signing_key: SecretStr
    default_locale: Literal["vi", "en"] = "vi"
    quiz_pass_mark: int = Field(80, ge=1, le=100)
    telegram_rate: float = Field(25.0, gt=0)
    zalo_rate: float = Field(10.0, gt=0)
    mentor_target: int = Field(5, ge=1)
    report_reminder_days: int = Field(7, ge=0, le=60)
    trusted_proxies: str = ""
    web_address_limit: int = Field(200, ge=1)
    retain_visitors_days: int = Field(7, ge=1, le=365)
    """Web-chat visitors who never consented nor learned are forgotten after this many silent days."""
    retain_unconsented_days: int = Field(90, ge=1, le=3650)
    """Any account that never consented is deleted, with what it learned, after this many silent days."""
    retain_questions_days: int = Field(180, ge=1, le=3650)
    """Questions the assistant could not answer are kept this long for staff to grow the FAQ."""
    retain_help_requests_days: int = Field(365, ge=1, le=3650)
    """Help requests and their answers are kept this long after they were asked."""
    nudge_hours: str = "07:00-21:00"
    """Ward-time hours in which learning nudges may be sent ("HH:MM-HH:MM"); never outside them."""
    voice_provider: Literal["espeak", "piper", "http"] = "espeak"
    """Who reads texts aloud ("🔊 Nghe"): espeak-ng (offline, installed by `make install-voice`), a local
    piper with the ward's voice model, or an HTTP text-to-speech service; any failure falls back to espeak-ng."""
    voice_espeak_command: str = "espeak-ng"
    voice_espeak_voice: str = "vi"
    voice_espeak_speed: int = Field(140, ge=80, le=260)
    """Words per minute; espeak-ng's own default (175) is quick for older listeners."""
    voice_piper_command: str = "piper"
    voice_piper_model: str | None = None
    """Path of the piper voice model (.onnx, its .onnx.json beside it) the ward provides."""
    voice_http_url: str | None = None
    """POST {"text", "voice", "language"} here; the answer's body is the audio (WAV, OGG, FLAC or MP3)."""
    voice_http_key: SecretStr | None = None
    """Sent as `Authorization: Bearer <key>` when set."""
    voice_http_voice: str = "vi"
    voice_timeout: float = Field(20.0, gt=0, le=120)
    """Seconds a provider may take for one text before espeak-ng reads it instead."""

    @field_validator("nudge_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        found = re.fullmatch(r"\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*", value)
        if found is None or (int(found[1]), int(found[2])) >= (int(found[3]), int(found[4])):
            raise ValueError("HH:MM-HH:MM, the first before the second (e.g. 07:00-21:00)")
        return value

    @property
    def nudge_window(self) -> tuple[int, int]:
        """`nudge_hours` as minutes after midnight (start, end)."""
        start, end = (part.strip().split(":") for part in self.nudge_hours.split("-"))
        return int(start[0]) * 60 + int(start[1]), min(24 * 60, int(end[0]) * 60 + int(end[1]))

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("public_base_url", "telegram_api_url", "zalo_api_url", "voice_http_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://")
        return value

    @field_validator("telegram_webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if not _SECRET_RE.match(value.get_secret_value()):
            raise ValueError("8–256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("cert_signing_key")
    @classmethod
    def _strong_key(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("at least 16 characters (make run writes a random one into .env)")
        return value

    @field_validator("bot_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if not _ADMIN_RE.match(item):
                raise ValueError(f"'{item}' is not channel:id (e.g. telegram:123,zalo:abc)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        import ipaddress

        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_address(item)
            except ValueError:
                raise ValueError(f"'{item}' is not an IP address") from None
        return value

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.trusted_proxies.split(",") if part.strip())

    @property
    def admins(self) -> set[str]:
        return {part.strip() for part in self.bot_admins.split(",") if part.strip()}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def signing_key(self) -> bytes:
        return self.cert_signing_key.get_secret_value().encode()

    def file_url(self, path: str) -> str:
        """Absolute link when the bot is public, otherwise a path served by the web app."""
        return f"{self.public_base_url}{path}" if self.public_base_url else path


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "?"
        if first["type"] == "missing":
            raise SettingsError(f"Setting {name} is missing: set it in the environment or in .env") from None
        raise SettingsError(f"Setting {name} is invalid: {first['msg']}") from None
