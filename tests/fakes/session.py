"""An aiogram session for talking to the fake server."""

from aiogram.client.session.aiohttp import AiohttpSession


class QuickSession(AiohttpSession):
    """AiohttpSession without the 250 ms TLS grace sleep on close (plain HTTP here)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
