"""Who turns text into speech: espeak-ng (offline, always there), piper, an HTTP service.

A provider answers the audio as file bytes in any format libsndfile reads (WAV,
OGG, FLAC, MP3); `bot.voice.audio` makes the OGG/Opus every channel gets. Commands
run as subprocesses with the text on stdin, never through a shell, so nothing in
a lesson can become a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.config import Settings

MAX_AUDIO = 20 * 1024 * 1024
"""An HTTP answer larger than this is no spoken step."""


class SynthesisError(Exception):
    """A provider could not read the text (missing, failing, too slow, answered no audio)."""


class Provider(Protocol):
    name: str
    voice: str
    """With `name`, part of the cache key: a different voice makes different files."""

    async def synthesize(self, text: str) -> bytes: ...


async def _run(command: list[str], text: str, timeout: float) -> bytes:
    """stdout of `command` fed `text`; SynthesisError when it cannot start, fails or takes too long."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise SynthesisError(f"{command[0]}: {exc.strerror or exc}") from None
    try:
        out, err = await asyncio.wait_for(process.communicate(text.encode()), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise SynthesisError(f"{command[0]}: no answer in {timeout:.0f} s") from None
    if process.returncode != 0:
        raise SynthesisError(f"{command[0]} exited {process.returncode}: {err.decode(errors='replace')[-200:]}")
    return out


class Espeak:
    """espeak-ng writing WAV to stdout (`--stdout`); its Vietnamese voice is "vi"."""

    name = "espeak"

    def __init__(self, command: str = "espeak-ng", voice: str = "vi", speed: int = 140, timeout: float = 20.0) -> None:
        self.command, self.voice, self.speed, self.timeout = command, voice, speed, timeout

    async def synthesize(self, text: str) -> bytes:
        audio = await _run([self.command, "-v", self.voice, "-s", str(self.speed), "--stdin", "--stdout"],
                           text, self.timeout)
        if len(audio) <= 44:  # a WAV header and no sound
            raise SynthesisError("espeak-ng gave no audio")
        return audio


class Piper:
    """A local neural voice: `piper --model <model> --output_file <wav>`, the text on stdin.

    Both the C++ piper and the Python `piper-tts` take these two options; the file is
    written to a private temporary directory and read back."""

    name = "piper"

    def __init__(self, command: str, model: str, timeout: float = 20.0) -> None:
        self.command, self.model, self.timeout = command, model, timeout
        self.voice = Path(model).name

    async def synthesize(self, text: str) -> bytes:
        if not Path(self.model).is_file():
            raise SynthesisError(f"piper model {self.model} not found")
        with tempfile.TemporaryDirectory(prefix="piper-") as folder:
            out = Path(folder) / "speech.wav"
            await _run([self.command, "--model", self.model, "--output_file", str(out)], text, self.timeout)
            if not out.is_file() or out.stat().st_size <= 44:
                raise SynthesisError("piper wrote no audio")
            return out.read_bytes()


class Http:
    """An HTTP text-to-speech service: POST {"text", "voice", "language"} as JSON, the audio in the answer's body."""

    name = "http"

    def __init__(self, url: str, key: str | None = None, voice: str = "vi", timeout: float = 20.0) -> None:
        self.url, self.key, self.voice, self.timeout = url, key, voice, timeout

    async def synthesize(self, text: str) -> bytes:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        try:
            async with ClientSession(timeout=ClientTimeout(total=self.timeout)) as session, session.post(
                    self.url, json={"text": text, "voice": self.voice, "language": "vi"}, headers=headers) as resp:
                if resp.status != 200:
                    raise SynthesisError(f"text-to-speech service answered HTTP {resp.status}")
                if resp.content_type.startswith(("text/", "application/json")):
                    raise SynthesisError(f"text-to-speech service answered {resp.content_type}, not audio")
                body = await resp.content.read(MAX_AUDIO + 1)
        except (ClientError, TimeoutError) as exc:
            raise SynthesisError(f"text-to-speech service unreachable: {type(exc).__name__}") from None
        if not body or len(body) > MAX_AUDIO:
            raise SynthesisError("text-to-speech service answered no usable audio")
        return body


def espeak_of(settings: Settings) -> Espeak:
    return Espeak(settings.voice_espeak_command, settings.voice_espeak_voice, settings.voice_espeak_speed,
                  settings.voice_timeout)


def chosen(settings: Settings) -> Provider:
    """The provider the ward configured (VOICE_PROVIDER), espeak-ng when its settings are missing."""
    if settings.voice_provider == "piper" and settings.voice_piper_model:
        return Piper(settings.voice_piper_command, os.path.expanduser(settings.voice_piper_model), settings.voice_timeout)
    if settings.voice_provider == "http" and settings.voice_http_url:
        key = settings.voice_http_key.get_secret_value() if settings.voice_http_key else None
        return Http(settings.voice_http_url, key, settings.voice_http_voice, settings.voice_timeout)
    return espeak_of(settings)
