"""Conversation features, one module per feature, each with its `router`; `build_flow` joins them."""

from __future__ import annotations

from bot.core.flow import Flow
from bot.handlers import (
    broadcast,
    certificates,
    codes,
    faq,
    help_request,
    household,
    inbox,
    lessons,
    mentor,
    mentor_digest,
    mentor_offline,
    mentor_session,
    mentor_tools,
    menu,
    nudges,
    onboarding,
    questions,
    quiz,
    read_aloud,
    review,
    scamcheck,
    settings,
    staff,
)

ROUTERS = (inbox, read_aloud, menu, onboarding, lessons, quiz, certificates, faq, scamcheck, help_request, codes, household, mentor,
           mentor_digest, mentor_offline, mentor_session, mentor_tools, settings, staff, questions, broadcast, nudges, review)


def build_flow() -> Flow:
    """The whole conversation: every feature's screens, menu entries, deep links and turn hooks."""
    return Flow.of(*(module.router for module in ROUTERS))
