"""Conversation features. Importing this package registers every screen with the flow."""

from bot.handlers import lessons, menu, onboarding, settings  # noqa: F401
