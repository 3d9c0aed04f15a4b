"""Imports every table module so that `Base.metadata` knows them all (migrations, create_all)."""

from bot.db import models  # noqa: F401
from bot.db import learning  # noqa: F401,E402
from bot.db import network, staff  # noqa: F401,E402
