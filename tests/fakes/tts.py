"""A local stand-in for an HTTP text-to-speech service (VOICE_HTTP_URL), on 127.0.0.1 only.

It speaks the contract `bot.voice.providers.Http` documents: POST JSON {"text", "voice",
"language"}, optional `Authorization: Bearer <key>`, the audio as the answer's body. Its
audio is a real WAV (a tone as long as the text, made with soundfile), so the whole path
from answer to OGG/Opus is exercised. `mode` switches it to failing the ways services fail.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any, Literal

from aiohttp import web

Mode = Literal["ok", "error", "not_audio", "slow", "refuse_key"]


def tone_wav(seconds: float, rate: int = 16000) -> bytes:
    import numpy as np
    import soundfile

    samples = 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)
    out = io.BytesIO()
    soundfile.write(out, samples.astype("float32"), rate, format="WAV")
    return out.getvalue()


class FakeTtsServer:
    def __init__(self, key: str | None = None) -> None:
        self.key = key
        self.mode: Mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _speak(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"json": body, "authorization": request.headers.get("Authorization")})
        if self.key is not None and request.headers.get("Authorization") != f"Bearer {self.key}":
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.mode == "error":
            return web.json_response({"error": "overloaded"}, status=503)
        if self.mode == "not_audio":
            return web.json_response({"audio": None})
        if self.mode == "slow":
            await asyncio.sleep(5)
        return web.Response(body=tone_wav(max(0.5, len(body["text"]) / 20)), content_type="audio/wav")

    async def __aenter__(self) -> FakeTtsServer:
        app = web.Application()
        app.router.add_post("/v1/speech", self._speak)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/v1/speech"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
