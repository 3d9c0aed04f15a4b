"""Read-aloud: a text in, the path of its OGG/Opus file out, made once and then reused.

Files are named by a hash of (provider, voice, text as said), so the same step read by
the same voice is made once for every resident; a text changed in the content gets a new
file. They are shared content, not anybody's data: they live at the top of the files
directory (served under /files/), never in a person's folder. The ward's chosen
provider failing, for any reason, means espeak-ng reads the text instead; only when
espeak-ng itself cannot run is there no audio (None), and the screen says so kindly.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from bot.config import Settings
from bot.content.models import PronunciationFile
from bot.voice.audio import AudioError, to_ogg_opus
from bot.voice.providers import Provider, SynthesisError, chosen, espeak_of
from bot.voice.speech import speakable

log = logging.getLogger(__name__)
PREFIX = "voice-"
SUFFIX = ".ogg"


class Voice:
    def __init__(self, files_dir: Path, pronunciation: PronunciationFile | None = None, *,
                 provider: Provider, fallback: Provider) -> None:
        self.files_dir = files_dir
        self.words: Mapping[str, str] = pronunciation.words if pronunciation else {}
        self.link = pronunciation.link if pronunciation else "đường link"
        self.providers = [provider] if provider is fallback else [provider, fallback]

    @classmethod
    def from_settings(cls, settings: Settings, files_dir: Path, pronunciation: PronunciationFile | None = None) -> Self:
        fallback = espeak_of(settings)
        primary = chosen(settings)
        return cls(files_dir, pronunciation, provider=primary if primary.name != "espeak" else fallback,
                   fallback=fallback)

    def said(self, text: str) -> str:
        return speakable(text, self.words, self.link)

    def path_for(self, provider: Provider, said: str) -> Path:
        digest = hashlib.sha256(f"{provider.name}\0{provider.voice}\0{said}".encode()).hexdigest()[:32]
        return self.files_dir / f"{PREFIX}{digest}{SUFFIX}"

    def expected(self, text: str) -> Path:
        """Where the chosen voice's file of `text` is (or will be, once `speak` made it)."""
        return self.path_for(self.providers[0], self.said(text))

    def cached(self, text: str) -> Path | None:
        """The file already made for `text` by the chosen voice (or its fallback), without making one."""
        said = self.said(text)
        return next((path for p in self.providers if (path := self.path_for(p, said)).is_file()), None)

    async def speak(self, text: str) -> Path | None:
        """The OGG/Opus file of `text` read aloud; None when not even espeak-ng could read it."""
        said = self.said(text)
        if not said:
            return None
        for provider in self.providers:
            path = self.path_for(provider, said)
            if path.is_file():
                return path
            try:
                raw = await provider.synthesize(said)
                encoded = await asyncio.to_thread(to_ogg_opus, raw)
            except (SynthesisError, AudioError) as exc:
                log.warning("voice: %s could not read a text (%s)", provider.name, exc)
                continue
            _write(path, encoded.data)
            return path
        return None


def _write(path: Path, data: bytes) -> None:
    """Atomically: a half-written file is never served (two workers making the same file is harmless)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".voice-", suffix=".tmp") as handle:
        handle.write(data)
    os.replace(handle.name, path)
