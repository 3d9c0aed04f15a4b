"""The staff console: server-rendered pages for ward staff and TDP leaders at `/staff` (docs/staff.md).

Pages are Jinja2 templates (aiohttp-jinja2) in `templates/`, styled by `static/staff.css`; every
text comes from the same gettext catalogs as the chat. Each page module registers its own routes.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web.staff import audit_log, broadcasts, help, login, mentors, overview, people, questions, reports, units

HERE = Path(__file__).resolve().parent


def setup(app: web.Application) -> None:
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         undefined=jinja2.StrictUndefined)
    app.router.add_static("/staff/static/", HERE / "static")
    for module in (login, overview, broadcasts, questions, help, mentors, people, reports, units, audit_log):
        module.setup(app)
