"""Which bot a row belongs to, when several bots share one database.

Migration 0013 gave rows written before it bot 0 ("not told apart yet") and people an
unknown bot (NULL). Nobody claims those until the deployment's real bot adopts them: the
first `tutorbot run` after the upgrade (every start tries; after the first it finds
nothing). A single-bot deployment thus goes on exactly where it was, re-deliveries of
updates it already handled are still recognised, and a broadcast it was sending resumes.
The demo never adopts: its bot is a local Telegram that lives as long as the process.
"""

from __future__ import annotations

import asyncpg

_ADOPT = {
    "update_inbox": "UPDATE update_inbox SET bot_id = $1 WHERE bot_id = 0",
    "update_effects": "UPDATE update_effects SET bot_id = $1 WHERE bot_id = 0",
    "broadcasts": "UPDATE broadcasts SET bot_id = $1 WHERE bot_id = 0",
    "users": "UPDATE users SET bot_id = $1 WHERE bot_id IS NULL AND NOT is_blocked",
}


async def adopt_unowned(pool: asyncpg.Pool, bot_id: int) -> dict[str, int]:
    """Give rows from before bots were told apart to `bot_id`; how many, per table.

    One transaction: two replicas starting together adopt for the same bot anyway, and
    the second finds nothing left. The update_inbox primary key includes the bot, so an
    id this bot has already stored since (impossible unless adoption was skipped) keeps
    its row and the legacy one stays at bot 0 rather than failing the start."""
    adopted: dict[str, int] = {}
    async with pool.acquire() as conn, conn.transaction():
        for table, statement in _ADOPT.items():
            if table in ("update_inbox", "update_effects"):
                key = "update_id" if table == "update_inbox" else "update_id, effect"
                statement += f" AND ({key}) NOT IN (SELECT {key} FROM {table} WHERE bot_id = $1)"
            result = await conn.execute(statement, bot_id)
            adopted[table] = int(result.split()[-1])
    return {table: n for table, n in adopted.items() if n}
