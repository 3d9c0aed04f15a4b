"""`bot faq unanswered` and `bot faq add`: what residents asked that the FAQ could not answer, and a draft for it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from bot.cli.common import fail, with_database
from bot.config import PROJECT_ROOT, Settings
from bot.db.session import Database

if TYPE_CHECKING:
    from bot.content.drafts import Asked, Group

faq_app = typer.Typer(help="Questions residents asked.", no_args_is_help=True)

SINCE = typer.Option(None, "--since", formats=["%Y-%m-%d"], help="YYYY-MM-DD: only questions asked from that day on (UTC).")


def _asked(since: datetime | None) -> list[Asked]:
    """Every distinct open masked text with how often and when it was last asked (from `since` on)."""
    from bot.questions.service import open_questions

    async def work(_settings: Settings, database: Database) -> list[Asked]:
        async with database.sessions() as session:
            return await open_questions(session, since=since.replace(tzinfo=UTC) if since is not None else None)

    return with_database(work)


def _groups(since: datetime | None, synonyms: list[list[str]]) -> list[Group]:
    from bot.content.drafts import group_questions

    return group_questions(_asked(since), synonyms)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


@faq_app.command("unanswered")
def faq_unanswered(
    limit: int = typer.Option(50, min=1, help="How many groups to list."),
    since: Optional[datetime] = SINCE,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable: a JSON list of groups with every text."),
) -> None:
    """Questions the FAQ could not answer (masked), similar ones grouped, most asked first: what to add to content/faq/.

    `bot faq add N --topic T` turns group N into a draft FAQ entry (same --since, same numbers)."""
    from bot.content.drafts import load_synonyms
    from bot.text.i18n import format_moment

    groups = _groups(since, load_synonyms())[:limit]
    if as_json:
        typer.echo(json.dumps([group.as_json() for group in groups], ensure_ascii=False, indent=2))
        return
    if not groups:
        typer.echo("no unanswered questions")
    for group in groups:
        typer.echo(f"#{group.number:<3} {group.count:>4} ×  {group.representative}  (last {format_moment(group.last)})")
        for example in group.examples:
            typer.echo(f"{'':>11}· {example}")


@faq_app.command("add")
def faq_add(
    group_number: Optional[int] = typer.Argument(None, metavar="[GROUP]", min=1,
                                                 help="Group number from `bot faq unanswered` (same --since)."),
    topic: str = typer.Option(..., "--topic", help="Topic id (topics.yaml) or a content/faq file name, e.g. vneid, general."),
    text: Optional[str] = typer.Option(None, "--text", help="Instead of GROUP: a question; its group's wordings become phrasings."),
    since: Optional[datetime] = SINCE,
    out: Optional[Path] = typer.Option(None, "--out", help="YAML file the draft is appended to (default var/faq-drafts.yaml)."),
) -> None:
    """Append a draft FAQ entry for an unanswered group: id, question, phrasings, answer TODO, sources [].

    Drafts stay outside content/: the bot serves every content/faq/*.yaml it loads, finished or not.
    Complete the draft, move it into content/faq/<topic>.yaml, run `bot content check`."""
    from bot.content.drafts import (
        DEFAULT_DRAFTS,
        DraftError,
        append_draft,
        draft_from_group,
        drafted_as,
        find_group,
        make_draft,
        read_drafts,
    )
    from bot.content.loader import CONTENT_DIR, ContentError, load_content

    if (group_number is None) == (text is None):
        raise fail("give a GROUP number or --text, not both", 2)
    target = (out.expanduser() if out is not None else DEFAULT_DRAFTS).resolve()
    if target.is_relative_to(CONTENT_DIR.resolve()):
        raise fail(f"{_shown(target)} is inside content/: the bot would serve the unfinished draft to residents. "
                   f"Write it elsewhere (default {_shown(DEFAULT_DRAFTS)}) and move it in once completed", 2)
    try:
        content = load_content()
        drafted = read_drafts(target)
    except ContentError as exc:
        raise fail(f"content/ does not load, fix it first (`bot content check`): {exc.problems[0]}") from None
    except DraftError as exc:
        raise fail(str(exc)) from None
    groups = _groups(since, content.synonyms)
    taken = [str(entry.get("id")) for entry in drafted]
    try:
        if group_number is not None:
            if group_number > len(groups):
                raise fail(f"no group {group_number}: `bot faq unanswered` lists {len(groups)} group(s)"
                           + (" with this --since" if since else ""))
            draft = draft_from_group(content, topic, groups[group_number - 1], taken=taken)
        else:
            assert text is not None
            group = find_group(groups, text, content.synonyms)
            draft = make_draft(content, topic, text, [a.text for a in group.texts] if group else [], taken=taken,
                               asked=group.count if group else 0, last=group.last if group else None,
                               group=group.number if group else None)
        if (same := drafted_as(drafted, draft)) is not None:
            raise fail(f"already drafted in {_shown(target)} as {same}")
        append_draft(target, draft)
    except DraftError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"draft {draft.id} appended to {_shown(target)}: “{draft.question}”, {len(draft.phrasings)} phrasing(s)")
    typer.echo(f"Not finished: write its answer (with diacritics) and sources, then move it into content/faq/{topic}.yaml "
               f"and run `bot content check`.")
