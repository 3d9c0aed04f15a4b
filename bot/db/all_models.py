"""Imports every table module so that `Base.metadata` knows them all (migrations, create_all)."""

from bot.db import (  # noqa: F401
    learning,
    models,
    network,
    nudges,
    staff,
)
