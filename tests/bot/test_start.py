"""/start and /help through the real Application against the Bot API emulator."""

from __future__ import annotations

import asyncpg

from bot.emulator import BotApiEmulator
from tests.support.app import deliver_to


async def test_start_greets_and_registers_the_learner_once(talk, pool: asyncpg.Pool) -> None:
    ada = talk(42, "Ada")

    [greeting] = await ada.send("/start")
    await ada.send("/start")

    assert "Hi Ada!" in greeting.text
    assert await pool.fetchval("SELECT count(*) FROM users") == 1


async def test_a_new_name_is_taken_on_the_next_start(talk, pool: asyncpg.Pool) -> None:
    await talk(42, "Ada").send("/start")
    renamed = talk(42, "Augusta")

    [greeting] = await renamed.send("/start")

    assert "Hi Augusta!" in greeting.text
    assert await pool.fetchval("SELECT first_name FROM users WHERE id = 42") == "Augusta"
    assert await pool.fetchval("SELECT count(*) FROM users") == 1


async def test_names_are_escaped_in_html(talk) -> None:
    [greeting] = await talk(7, "<b>Mallory</b> & co").send("/start")
    assert "Hi <b>Mallory</b> & co!" in greeting.text


async def test_configured_admin_becomes_admin(talk, pool: asyncpg.Pool) -> None:
    await talk(1, "Root").send("/start")
    assert await pool.fetchval("SELECT role FROM users WHERE id = 1") == "admin"


async def test_help_lists_the_commands(talk) -> None:
    [reply] = await talk().send("/help")
    assert "/start" in reply.text and "/help" in reply.text


async def test_a_redelivered_update_is_applied_once(
    emulator: BotApiEmulator, application, pool: asyncpg.Pool
) -> None:
    emulator.user(42, "Ada")
    update = emulator.send_text(42, "/start", deliver=False)
    deliver = deliver_to(application)

    await deliver(update)
    await deliver(update)

    assert len(emulator.bot_messages(42)) == 1
    assert (
        await pool.fetchval("SELECT count(*) FROM update_inbox WHERE processed_at IS NOT NULL") == 1
    )
