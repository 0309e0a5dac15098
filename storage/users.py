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


class PgUserRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def upsert(self, profile: Profile, *, promote_to: Role | None) -> User:
        # Written only when something changed (no dead row per update on the hot path);
        # the unchanged row is read back in the same round trip.
        row = await self._pool.fetchrow(
            """
            WITH changed AS (
                INSERT INTO users AS u (id, first_name, last_name, username, language_code, role)
                VALUES ($1, $2, $3, $4, $5, COALESCE($6::user_role, 'learner'))
                ON CONFLICT (id) DO UPDATE SET
                    first_name = EXCLUDED.first_name,
                    last_name = EXCLUDED.last_name,
                    username = EXCLUDED.username,
                    language_code = EXCLUDED.language_code,
                    role = COALESCE($6::user_role, u.role),
                    is_blocked = false,
                    updated_at = now()
                WHERE (u.first_name, u.last_name, u.username, u.language_code, u.role,
                       u.is_blocked)
                      IS DISTINCT FROM
                      (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.username,
                       EXCLUDED.language_code, COALESCE($6::user_role, u.role), false)
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

    async def mark_blocked(self, telegram_id: int) -> None:
        await self._pool.execute(
            "UPDATE users SET is_blocked = true, updated_at = now() "
            "WHERE id = $1 AND NOT is_blocked",
            telegram_id,
        )

    async def reachable(self) -> list[Profile]:
        rows = await self._pool.fetch(
            "SELECT id, first_name, last_name, username, language_code FROM users "
            "WHERE NOT is_blocked ORDER BY id"
        )
        return [
            Profile(r["id"], r["first_name"], r["last_name"], r["username"], r["language_code"])
            for r in rows
        ]
