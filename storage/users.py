"""Users keyed by Telegram id."""

from __future__ import annotations

import asyncpg

from domain.users import Profile, Role, User


def _user(row: asyncpg.Record) -> User:
    return User(
        Profile(
            telegram_id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            username=row["username"],
            language_code=row["language_code"],
        ),
        Role(row["role"]),
        row["timezone"],
    )


class PgUserStore:
    """`bot_id`: the bot this process serves. Each contact records it as the bot the person
    last wrote to, the one allowed to message them unasked (cooldown notices, broadcasts);
    None for a process that is no bot (a seeding script), which leaves it as it was."""

    def __init__(self, pool: asyncpg.Pool, bot_id: int | None = None) -> None:
        self._pool = pool
        self._bot_id = bot_id

    async def upsert(self, profile: Profile, *, promote_to: Role | None) -> User:
        # Written only when something changed (no dead row per update on the hot path);
        # the unchanged row is read back in the same round trip.
        row = await self._pool.fetchrow(
            """
            WITH changed AS (
                INSERT INTO users AS u
                    (id, first_name, last_name, username, language_code, role, bot_id)
                VALUES ($1, $2, $3, $4, $5, COALESCE($6::user_role, 'learner'), $7)
                ON CONFLICT (id) DO UPDATE SET
                    first_name = EXCLUDED.first_name,
                    last_name = EXCLUDED.last_name,
                    username = EXCLUDED.username,
                    language_code = EXCLUDED.language_code,
                    role = COALESCE($6::user_role, u.role),
                    is_blocked = false,
                    bot_id = COALESCE($7, u.bot_id),
                    updated_at = now()
                WHERE (u.first_name, u.last_name, u.username, u.language_code, u.role,
                       u.is_blocked, u.bot_id)
                      IS DISTINCT FROM
                      (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.username,
                       EXCLUDED.language_code, COALESCE($6::user_role, u.role), false,
                       COALESCE($7, u.bot_id))
                RETURNING *
            )
            SELECT * FROM changed
            UNION ALL
            SELECT * FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM changed)
            """,
            profile.telegram_id,
            profile.first_name,
            profile.last_name,
            profile.username,
            profile.language_code,
            promote_to.value if promote_to else None,
            self._bot_id,
        )
        return _user(row)

    async def get(self, telegram_id: int) -> User | None:
        row = await self._pool.fetchrow("SELECT * FROM users WHERE id = $1", telegram_id)
        return _user(row) if row else None

    async def set_timezone(self, telegram_id: int, timezone: str | None) -> None:
        await self._pool.execute(
            "UPDATE users SET timezone = $2, updated_at = now() WHERE id = $1",
            telegram_id,
            timezone,
        )

    async def set_role(self, telegram_id: int, role: Role) -> None:
        await self._pool.execute(
            "UPDATE users SET role = $2, updated_at = now() WHERE id = $1 AND role <> $2",
            telegram_id,
            role.value,
        )

    async def mark_blocked(self, telegram_id: int) -> None:
        await self._pool.execute(
            "UPDATE users SET is_blocked = true, updated_at = now() "
            "WHERE id = $1 AND NOT is_blocked",
            telegram_id,
        )
