"""Conversation features. Importing this package registers every screen with the flow."""

from bot.handlers import certificates, lessons, menu, onboarding, quiz, settings  # noqa: F401
