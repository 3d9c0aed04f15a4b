"""Reading a request body as JSON the same way on the web API and both webhooks.

Whatever arrives — bytes that are not UTF-8, not JSON, or JSON nested
thousands deep (Python's decoder then raises RecursionError) — the caller gets
the value or a "not JSON" answer, never an exception that would become a 500.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

NOT_JSON = object()
"""What `read_json` answers for a body that is not JSON."""


async def read_json(request: web.Request) -> Any:
    """The decoded body, or `NOT_JSON`."""
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return NOT_JSON
