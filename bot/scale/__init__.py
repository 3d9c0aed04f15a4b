"""Scale-out mode: several processes (and machines) serving one ward.

Switched on by `REDIS_URL` (with `DATABASE_URL=postgresql+asyncpg://…`):

- `limiter.SharedTokenBucket`: the platform rate limit (Telegram ~30 msg/s per
  bot) held across every process, with an atomic Lua token bucket per channel;
- `locks.SharedKeyedLock`: one person's updates handled one at a time, in the
  order they arrived, whichever process took them;
- `counter.SharedCounter`: event counts (failed code guesses) held across processes.

`bot run --workers N` itself (N web/webhook processes on one port) is `bot.app.supervisor`.

What is already shared through the database: processed-update ids (recorded in
the transaction of the update's effects) and the outbox (rows claimed with
FOR UPDATE SKIP LOCKED). When Redis is unreachable the limiter and the locks
fall back to their in-process versions (`link.RedisLink` logs it once and tries
Redis again a few seconds later); nothing is lost, see docs/deploy.md.
"""
