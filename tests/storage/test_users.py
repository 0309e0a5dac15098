"""Users keyed by Telegram id, refreshed on every contact."""

from __future__ import annotations

import asyncpg

from domain.users import Profile, Role, UserService
from storage.users import PgUserStore
from tests.conftest import BOT_ID


async def test_register_twice_keeps_one_row_and_takes_the_new_name(pool: asyncpg.Pool) -> None:
    service = UserService(PgUserStore(pool, BOT_ID), admin_ids=frozenset())

    await service.register(Profile(42, "Ada", username="ada"))
    user = await service.register(Profile(42, "Ada", "Lovelace", username="countess"))

    assert await pool.fetchval("SELECT count(*) FROM users") == 1
    assert user.profile.display_name == "Ada Lovelace"
    assert user.profile.username == "countess"
    assert user.role is Role.LEARNER


async def test_configured_admin_is_promoted_and_others_keep_their_role(pool: asyncpg.Pool) -> None:
    repo = PgUserStore(pool, BOT_ID)
    service = UserService(repo, admin_ids=frozenset({7}))

    admin = await service.register(Profile(7, "Grace"))
    await pool.execute("UPDATE users SET role = 'tutor' WHERE id = 7")
    await pool.execute("INSERT INTO users (id, first_name, role) VALUES (8, 'Tim', 'tutor')")
    tutor = await service.register(Profile(8, "Tim"))

    assert admin.role is Role.ADMIN
    assert (await service.register(Profile(7, "Grace"))).role is Role.ADMIN
    assert tutor.role is Role.TUTOR, "a role granted by command is not lowered on contact"


async def test_unchanged_profile_does_not_touch_updated_at(pool: asyncpg.Pool) -> None:
    repo = PgUserStore(pool, BOT_ID)
    await repo.upsert(Profile(42, "Ada"), promote_to=None)
    first = await pool.fetchval("SELECT updated_at FROM users WHERE id = 42")

    await repo.upsert(Profile(42, "Ada"), promote_to=None)

    assert await pool.fetchval("SELECT updated_at FROM users WHERE id = 42") == first
