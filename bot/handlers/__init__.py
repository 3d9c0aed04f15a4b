"""Conversation features. Importing this package registers every screen with the flow."""

from bot.handlers import menu, onboarding, settings  # noqa: F401
