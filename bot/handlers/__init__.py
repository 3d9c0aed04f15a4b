"""Conversation features. Importing this package registers every screen with the flow."""

from bot.handlers import (  # noqa: F401
    broadcast,
    certificates,
    codes,
    faq,
    help_request,
    household,
    lessons,
    menu,
    mentor,
    mentor_tools,
    onboarding,
    quiz,
    settings,
    staff,
)
