"""The conversation engine: one inbound update in, the replies out.

For each update, under the person's lock and in one transaction, it records
the update id (a redelivered update stops here, with no effect and no reply),
loads the person, reads what they typed against the options they were shown
and the words that work everywhere, runs the screen they are on, and stores
where they are now.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.context import Ctx, Handler, Screen
from bot.core.flow import Flow
from bot.core.locks import KeyedLock
from bot.core.matching import ambiguous, global_action, match_option
from bot.core.messages import Incoming, Option, Reply
from bot.core.services import Services
from bot.db.models import ProcessedUpdate, User, rows_changed, table_of

log = logging.getLogger(__name__)


class _Forget(Exception):
    """Leaves the update's transaction rolled back, with the replies it gave (see `Ctx.forget`)."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies

MAX_TEXT = 4000
AGAIN = "again"
GLOBAL_IDS = frozenset({"menu", "back", "help", "cancel"})

# Built once: SQLAlchemy then also computes their cache keys once, not at every turn.
_RECORD_UPDATE = {  # on the table, not the mapped class: a plain INSERT, not the ORM's bulk-insert path
    "postgresql": pg_insert(table_of(ProcessedUpdate)).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(table_of(ProcessedUpdate)).on_conflict_do_nothing(),
}
_USER_BY_KEY = select(User).where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
_SAVE_STATE = (
    update(table_of(User))
    .where(table_of(User).c.id == bindparam("user_id"))
    .values(state=bindparam("state"), state_data=bindparam("state_data"), last_seen_at=bindparam("last_seen_at"))
)


def _options(raw: list[dict[str, str]] | None) -> list[Option]:
    return [Option(item["id"], item["label"]) for item in raw or []]


def _dump(options: list[Option]) -> list[dict[str, str]]:
    return [{"id": o.id, "label": o.label} for o in options]


class Engine:
    def __init__(self, services: Services, flow: Flow, locks: KeyedLock | None = None) -> None:
        self.services = services
        self.flow = flow
        self.locks = locks if locks is not None else KeyedLock()

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Replies for `incoming`; an update id seen before gives no reply at all (or, for a
        replayable update, the replies it got the first time)."""
        incoming = incoming.cleaned()
        if incoming.text is not None and len(incoming.text) > MAX_TEXT:
            incoming = Incoming(**{**incoming.__dict__, "text": incoming.text[:MAX_TEXT]})
        async with self.locks.hold(incoming.user_key):
            try:
                async with self.services.db.transaction() as session:
                    opened = await session.run_sync(self._open_turn, incoming)
                    if opened is None:
                        return await session.run_sync(self._replay, incoming) if incoming.replayable else []
                    ctx = await self._turn(session, incoming, *opened)
                    if ctx.forget:
                        raise _Forget(ctx.replies)
                for work in ctx.after_commit:
                    await work()
                return ctx.replies
            except _Forget as forgotten:
                return forgotten.replies
            except IntegrityError:
                # Another process recorded the same update id first: it owns the effects.
                if incoming.update_id is not None and await self._seen(incoming):
                    return []
                raise

    def _open_turn(self, session: Session, incoming: Incoming) -> tuple[User, User, bool] | None:
        """Records the update id and loads (identity, person, identity is new); None when the update
        was recorded before.

        Synchronous, run with `run_sync`: both statements in one pass through SQLAlchemy's
        async layer instead of one each (every turn starts here).
        """
        if incoming.update_id is not None and not self._first_time(session, incoming):
            return None
        return self._load_user(session, incoming)

    @staticmethod
    def _first_time(session: Session, incoming: Incoming) -> bool:
        """Records the update id; False when it was recorded before (one round trip, no race)."""
        insert = _RECORD_UPDATE["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
        now = datetime.now(UTC)
        result = session.execute(
            insert, {"channel": incoming.channel, "update_id": str(incoming.update_id), "processed_at": now}
        )
        return rows_changed(result) == 1

    async def _seen(self, incoming: Incoming) -> bool:
        async with self.services.db.sessions() as session:
            return await session.get(ProcessedUpdate, (incoming.channel, str(incoming.update_id))) is not None

    def _load_user(self, session: Session, incoming: Incoming) -> tuple[User, User, bool]:
        user = session.scalar(_USER_BY_KEY, {"channel": incoming.channel, "external_id": incoming.external_id})
        new = user is None
        if user is None:
            user = User(
                channel=incoming.channel,
                external_id=incoming.external_id,
                locale=self.services.settings.default_locale,
                state=None,
                state_data={},
            )
            session.add(user)
            session.flush()
        if user.unreachable_at is not None:
            user.unreachable_at = None  # they wrote again, so they unblocked the bot
        person = user
        if user.merged_into_id is not None:
            person = session.get(User, user.merged_into_id) or user
        return user, person, new

    def _replay(self, session: Session, incoming: Incoming) -> list[Reply]:
        """The replies a resent update got the first time, when it was the person's last one."""
        opened = self._load_user(session, incoming)
        replay = (opened[1].state_data or {}).get("replay") or {}
        if replay.get("id") != incoming.update_id:
            return []
        return [Reply.from_dict(item) for item in replay.get("replies", [])]

    async def _turn(self, session: AsyncSession, incoming: Incoming, identity: User, user: User,
                    new_identity: bool) -> Ctx:
        state: dict[str, Any] = dict(user.state_data or {})
        ctx = Ctx(
            services=self.services,
            session=session,
            user=user,
            identity=identity,
            screens=self.flow.screens,
            menu=self.flow.menu,
            new_identity=new_identity,
            incoming=incoming,
            screen=user.state or "",
            data=dict(state.get("data") or {}),
            history=list(state.get("history") or []),
            memory=dict(state.get("memory") or {}),
        )
        shown = _options(state.get("options"))
        own = _options(state.get("screen_options")) or shown
        for before in self.flow.before_turn:
            await before(ctx)
        await self._dispatch(ctx, shown, own)
        self._ensure_way_on(ctx)
        if not ctx.deleted and not ctx.forget:
            await self._save(ctx, own)
        return ctx

    async def _dispatch(self, ctx: Ctx, shown: list[Option], own: list[Option]) -> None:
        incoming, screen = ctx.incoming, self.flow.get(ctx.screen)
        text = (incoming.text or "").strip()
        if screen is None or self._is_start(incoming, text):
            await self._start(ctx, incoming, text)
            return
        if incoming.option is not None:
            chosen = incoming.option
            if chosen in GLOBAL_IDS:
                await self._global(ctx, chosen, shown)
            elif chosen in {o.id for o in shown} | {o.id for o in own}:
                await self._choose(ctx, screen, chosen)
            elif (pushed := self._pushed(chosen)) is not None:
                ctx.option, ctx.entering = chosen, False
                await pushed(ctx)
            else:
                ctx.say(ctx.t("engine.stale_button"))
                await ctx.show_again()
            return
        if not text:
            ctx.say(ctx.t("engine.empty"), shown, screen="fallback")
            return
        action = global_action(text)
        if action is not None and ambiguous(text) and (screen.free_text or match_option(text, shown).option):
            action = None  # "dung" here is the answer "đúng" (or a name), not the word "dừng"
        if action in self.flow.words:
            if await self.flow.words[action](ctx):
                return
            action = None
        if action in GLOBAL_IDS:
            await self._global(ctx, str(action), shown)
            return
        match = match_option(text, shown)
        if match.option is None and own is not shown:
            match = match_option(text, own)
        if match.option is not None and match.option.id in GLOBAL_IDS:
            await self._global(ctx, match.option.id, shown)
        elif screen.free_text:
            # Screens that take typed answers (a name, "tổ 5") decide themselves; the matched option is a hint.
            ctx.text, ctx.entering = text, False
            ctx.option = match.option.id if match.option is not None else None
            await ctx.run(screen)
        elif match.option is not None:
            await self._choose(ctx, screen, match.option.id)
        else:
            await self._unmatched(ctx, text, list(match.candidates))

    def _pushed(self, option_id: str) -> Handler | None:
        """The handler of a pushed message's button (`Router.pushed_option`), if `option_id` is one."""
        return next((run for prefix, run in self.flow.pushed_options.items() if option_id.startswith(prefix)), None)

    @staticmethod
    def _is_start(incoming: Incoming, text: str) -> bool:
        return incoming.start_payload is not None or text.split(" ", 1)[0] in ("/start", "/batdau")

    async def _start(self, ctx: Ctx, incoming: Incoming, text: str) -> None:
        payload = incoming.start_payload
        if payload is None and text.startswith("/start "):
            payload = text.split(" ", 1)[1].strip()
        for prefix, handler in self.flow.deep_links.items():
            if payload and payload.startswith(prefix):
                ctx.text, ctx.data = payload[len(prefix):], {}
                await handler(ctx)
                return
        if ctx.user.state is None or ctx.user.state.startswith("onboarding."):
            ctx.history.clear()
            ctx.screen = ""
            await ctx.replace("onboarding.consent")
        else:
            await ctx.home()

    async def _choose(self, ctx: Ctx, screen: Screen, option_id: str) -> None:
        if option_id == AGAIN:
            await ctx.show_again()
            return
        ctx.option, ctx.entering = option_id, False
        for prefix, handler in self.flow.option_prefixes.items():
            if option_id.startswith(prefix):
                await handler(ctx)
                return
        await ctx.run(screen)

    async def _global(self, ctx: Ctx, action: str, shown: list[Option]) -> None:
        screen = self.flow.get(ctx.screen)
        if action == "back" and screen is not None and screen.handles_back:
            await self._choose(ctx, screen, "back")
        elif action == "menu":
            await ctx.home()
        elif action == "back":
            await ctx.back()
        elif action == "cancel":
            await ctx.home(ctx.t("engine.cancelled"))
        else:
            help_text = ctx.t(screen.help_key if screen else "help.generic")
            ctx.say(help_text, shown or [ctx.opt("menu", "menu.back_to_menu")], screen="help")

    async def _unmatched(self, ctx: Ctx, text: str, candidates: list[Option]) -> None:
        ctx.text = text
        if self.flow.unmatched is not None:
            await self.flow.unmatched(ctx, candidates)
            return
        options = candidates + [ctx.opt(AGAIN, "engine.show_again"), ctx.opt("menu", "menu.back_to_menu")]
        ctx.say(ctx.t("engine.not_understood"), options, screen="fallback")

    def _ensure_way_on(self, ctx: Ctx) -> None:
        """Never a dead end: the last message always carries options."""
        if not ctx.replies:
            ctx.say(ctx.t("engine.not_understood"), [ctx.opt("menu", "menu.back_to_menu")], screen="fallback")
        elif not any(reply.options for reply in ctx.replies):
            ctx.replies[-1].options = [ctx.opt("menu", "menu.back_to_menu")]

    async def _save(self, ctx: Ctx, previous_own: list[Option]) -> None:
        last_options = next((r.options for r in reversed(ctx.replies) if r.options), [])
        final_screen_replies = [r for r in ctx.replies if r.screen == ctx.screen and r.options]
        own = final_screen_replies[-1].options if final_screen_replies else previous_own
        user = ctx.user
        state_data = {
            "data": ctx.data,
            "history": ctx.history,
            "options": _dump(last_options),
            "screen_options": _dump(own),
            "memory": ctx.memory,
        }
        if ctx.incoming.replayable:
            state_data["replay"] = {"id": ctx.incoming.update_id, "replies": [r.as_dict() for r in ctx.replies]}
        values = {
            "state": ctx.screen,
            "state_data": state_data,
            "last_seen_at": datetime.now(UTC),
        }
        row = inspect(user)
        if not row.persistent or row.modified:  # a new row, or other changes to write: the ORM writes all at once
            for key, value in values.items():
                setattr(user, key, value)
            return
        # Otherwise one prepared UPDATE instead of the ORM's unit of work at commit (about 15% of a
        # turn's CPU); the object then holds these values as saved.
        await ctx.session.run_sync(_save_state, user, values)


def _save_state(session: Session, user: User, values: dict[str, Any]) -> None:
    """Through the plain Session (`run_sync`): AsyncSession.execute would also buffer a result there is none of."""
    session.execute(_SAVE_STATE, {"user_id": user.id, **values})
    for key, value in values.items():
        set_committed_value(user, key, value)
