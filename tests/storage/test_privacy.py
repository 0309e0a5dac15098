"""/mydata and /deleteme in the database: every table that holds rows about a person is
exported and erased, aggregates stay right, and nothing left behind names the person.

The schema itself says which tables hold rows about people (foreign keys to `users`, and
columns such as `user_id`, `actor_id`, `chat_id`, `chat_key`): a migration that adds one
fails these tests until the export, the erasure and the seeding below cover it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.admin import Action
from domain.privacy import Outcome, PrivacyService
from domain.users import Profile, UserService
from storage.broadcast import PgBroadcastStore
from storage.privacy import ERASED_NAME, ERASURE, EXPORT, PgPrivacyStore
from storage.stats import PgStatsStore
from storage.users import PgUserStore
from tests.conftest import BOT_ID
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, import_pack
from tests.support.report import report

TUTOR = 7_123_456_789  # ten digits: never a substring of another id or a number in a row
LEARNER = 7_234_567_891
OTHER = 7_345_678_912
ADMIN = 7_456_789_123
SENDING_UPDATE = 1_000  # the update that carries "Yes, erase"
USER_COLUMN_NAMES = ("user_id", "telegram_id", "chat_id", "actor_id", "chat_key")


async def user_keyed_tables(pool: asyncpg.Pool) -> dict[str, set[str]]:
    """table -> its columns that hold a person's id, from the schema alone: foreign keys to
    users, columns named like one, plus tables whose rows hang off such a table by a
    foreign key (a thread's messages)."""
    rows = await pool.fetch(
        """
        SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass
        UNION
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public'
          AND (column_name = ANY ($1::text[]) OR column_name LIKE '%\\_user\\_id')
        """,
        list(USER_COLUMN_NAMES),
    )
    found: dict[str, set[str]] = {"users": {"id"}}
    for r in rows:
        found.setdefault(r["tbl"], set()).add(r["col"])
    children = await pool.fetch(
        """
        SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY ($1::text[])
        """,
        [t for t in found if t != "users"],
    )
    for r in children:
        found.setdefault(r["tbl"], set()).add(r["col"])
    return found


@pytest.fixture
async def tea(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


def services(pool: asyncpg.Pool, clock: FakeClock) -> tuple[PrivacyService, UserService]:
    users = UserService(PgUserStore(pool, BOT_ID), frozenset())
    return PrivacyService(PgPrivacyStore(pool, bot_id=BOT_ID), users, clock=clock), users


async def seed(pool: asyncpg.Pool, course: UUID, user_id: int, name: str, role: str) -> None:
    """A person with a row in every table that can hold one: profile, course life, a tutor
    conversation, staff records, broadcasts to them, and what they sent through the inbox.
    Every text they left carries `name`, so a scan can tell whether any of it survived."""
    topic = await pool.fetchval(
        "SELECT id FROM topics WHERE course_id = $1 AND module_no = 1 AND topic_number = 1",
        course,
    )
    await pool.execute(
        "INSERT INTO users (id, username, first_name, last_name, language_code, role, timezone, "
        "bot_id) VALUES ($1, $2, $3, 'Quux', 'eo', $4, 'Pacific/Chatham', $5)",
        user_id,
        f"{name.lower()}_handle",
        name,
        role,
        BOT_ID,
    )
    if role == "tutor":
        await pool.execute(
            "INSERT INTO course_tutors (course_id, user_id) VALUES ($1, $2)", course, user_id
        )
    await pool.execute(
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)", user_id, course
    )
    await pool.execute(
        "INSERT INTO topic_personalization (user_id, course_id, persona) VALUES ($1, $2, 'sports')",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at, quiz_attempts, "
        "cooldown_until) VALUES ($1, $2, 1, now(), 1, now() - interval '1 minute')",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO topic_progress (user_id, topic_id, is_completed, completed_at) "
        "VALUES ($1, $2, true, now())",
        user_id,
        topic,
    )
    await pool.execute(
        "INSERT INTO notes (user_id, course_id, topic_id, module_no, topic_number, topic_title, "
        "body, chat_id, message_id, created_at) VALUES ($1, $2, $3, 1, 1, 'T', $4, $1, 1, now())",
        user_id,
        course,
        topic,
        f"{name}'s note",
    )
    await pool.execute(
        "INSERT INTO bookmarks (user_id, topic_id, created_at) VALUES ($1, $2, now())",
        user_id,
        topic,
    )
    await pool.execute(
        "INSERT INTO course_reviews (user_id, course_id, rating, comment, created_at, "
        "updated_at) VALUES ($1, $2, 4, $3, now(), now())",
        user_id,
        course,
        f"{name}'s review",
    )
    await pool.execute(
        "INSERT INTO review_cards (user_id, course_id, source, module_no, state, due, reps, "
        "created_at) VALUES ($1, $2, 'quiz:q1', 1, '{}', now(), 1, now())",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO review_log (idempotency_key, user_id, course_id, source, rating, is_right, "
        "was_new, reviewed_at) VALUES ($1, $2, $3, 'quiz:q1', 'good', true, true, now())",
        f"poll:{name}",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO review_asks (id, poll_id, bot_id, user_id, chat_id, message_id, course_id, "
        "source, options, asked_at) VALUES ($3, $1, $2, $3, $3, 7, $4, 'quiz:q1', 2, now())",
        f"poll-{name}",
        BOT_ID,
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO reminders (user_id, bot_id, at_time, quiet_start, quiet_end, next_at, "
        "updated_at) VALUES ($1, $2, '19:00', '22:00', '07:00', now(), now())",
        user_id,
        BOT_ID,
    )
    await pool.execute(
        "INSERT INTO daily_goals (user_id, kind, target, set_at) VALUES ($1, 'topics', 2, now())",
        user_id,
    )
    await pool.execute(
        "INSERT INTO certificate_names (user_id, name, updated_at) VALUES ($1, $2, now())",
        user_id,
        f"{name} on paper",
    )
    await pool.execute(
        "INSERT INTO certificates (code, user_id, course_id, holder_name, course_name, score, "
        "issued_at) VALUES ($3, $1, $2, $4, 'Tiny', '2 modules', now())",
        user_id,
        course,
        f"code-{user_id:016d}"[:32],
        f"{name} on paper",
    )
    request = await pool.fetchval(
        "INSERT INTO help_requests (bot_id, learner_id, course_id, question, ai_question, "
        "ai_answer, created_at, claimed_by) VALUES (0, $1, $2, $3, $3, 'an answer', now(), $1) "
        "RETURNING id",
        user_id,
        course,
        f"{name} asks a tutor",
    )
    await pool.execute(
        "INSERT INTO help_messages (request_id, author_id, side, body, created_at, bot_id) "
        "VALUES ($1, $2, 'learner', $3, now(), 0)",
        request,
        user_id,
        f"{name} answers back",
    )
    await pool.execute(
        "INSERT INTO help_posts (chat_id, message_id, request_id, kind) VALUES ($1, 1, $2, 'card')",
        user_id,
        request,
    )
    await pool.execute(
        "INSERT INTO staff_groups (bot_id, chat_id, title, linked_by, linked_at) "
        "VALUES ($1::bigint + 7, -100123, 'Staff', $1, now())",
        user_id,
    )
    await pool.execute(
        "INSERT INTO course_goals (user_id, course_id, target_date, started_on, set_at) "
        "VALUES ($1, $2, current_date + 30, current_date, now())",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO quiz_attempts (user_id, course_id, module_no, question_set, answers, "
        "score, status, finished_at, question_count, correct_count) "
        "VALUES ($1, $2, 1, '[]', $3, 50, 'failed', now(), 2, 1)",
        user_id,
        course,
        {"0": 1, "1": 0},
    )
    await pool.execute(
        "INSERT INTO quiz_attempts (user_id, course_id, module_no, question_set) "
        "VALUES ($1, $2, 2, '[]')",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO module_prompt_usage (user_id, course_id, module_no, typed_count, granted) "
        "VALUES ($1, $2, 1, 2, 1)",
        user_id,
        course,
    )
    thread = await pool.fetchval(
        "INSERT INTO ai_mentor_threads (user_id, course_id, module_no) VALUES ($1, $2, 1) "
        "RETURNING id",
        user_id,
        course,
    )
    await pool.execute(
        "INSERT INTO ai_mentor_thread_messages (thread_id, role, content) VALUES "
        "($1, 'learner', $2), ($1, 'tutor', $3)",
        thread,
        f"I am {name}; do pangolins drink oolong?",
        f"Good question, {name}: the material doesn't say [1].",
    )
    await pool.execute(
        "INSERT INTO conversation_state (chat_id, user_id, course_id, topic_id) "
        "VALUES ($1, $1, $2, $3)",
        user_id,
        course,
        topic,
    )
    # Staff records: another admin looked them up; they tried a command they may not run.
    await pool.execute(
        "INSERT INTO admin_audit (actor_id, action, target, outcome) VALUES "
        "($1, 'learner', $2, 'done'), ($1, 'grant_prompts', $3, 'done'), "
        "($4, 'promote', '@someone tutor', 'denied')",
        ADMIN,
        f"@{name.upper()}_HANDLE",
        f"{user_id} tiny 1 3",
        user_id,
    )
    if role == "tutor":  # ... and what they did with staff rights
        await pool.execute(
            "INSERT INTO admin_audit (actor_id, action, target, outcome) "
            "VALUES ($1, 'grant_prompts', $2, 'done')",
            user_id,
            f"{OTHER} tiny 1 2",
        )
        await pool.execute(
            "INSERT INTO broadcasts (actor_id, audience, text, status, chat_id, message_id, "
            "bot_id) VALUES ($1, 'tiny', 'Exam week: good luck!', 'done', $1, 5, $2)",
            user_id,
            BOT_ID,
        )
    done = await pool.fetchval(
        "INSERT INTO broadcasts (actor_id, audience, text, status, bot_id) "
        "VALUES ($1, 'all', 'New course out', 'done', $2) RETURNING id",
        ADMIN,
        BOT_ID,
    )
    sending = await pool.fetchval(
        "INSERT INTO broadcasts (actor_id, audience, text, status, bot_id) "
        "VALUES ($1, 'all', 'Maintenance tonight', 'sending', $2) RETURNING id",
        ADMIN,
        BOT_ID,
    )
    await pool.execute(
        "INSERT INTO broadcast_recipients (broadcast_id, user_id, status, sent_at) "
        "VALUES ($1, $3, 'sent', now()), ($2, $3, 'pending', NULL)",
        done,
        sending,
        user_id,
    )
    # A cohort they created (as staff would), joined, and tutor.
    cohort = await pool.fetchval(
        "INSERT INTO cohorts (course_id, name, invite_code, created_by) "
        "VALUES ($1, 'Group ' || substr(md5(random()::text), 1, 6), "
        "substr(md5(random()::text), 1, 12), $2) RETURNING id",
        course,
        user_id,
    )
    await pool.execute(
        "INSERT INTO cohort_members (cohort_id, course_id, user_id, joined_at) "
        "VALUES ($1, $2, $3, now())",
        cohort,
        course,
        user_id,
    )
    await pool.execute(
        "INSERT INTO cohort_tutors (cohort_id, user_id) VALUES ($1, $2)", cohort, user_id
    )
    # Their updates: handled, being handled ("Yes, erase"), and one sent after it.
    sender = {"id": user_id, "is_bot": False, "first_name": name, "username": f"{name}_handle"}
    for offset, state, text in (
        (-1, "done", f"hello, {name} here"),
        (0, "claimed", "(the confirmation)"),
        (1, "waiting", f"/start again, {name}"),
    ):
        update_id = update_of(user_id, offset)
        await pool.execute(
            "INSERT INTO update_inbox (bot_id, update_id, chat_key, kind, payload, "
            "processed_at, claimed_by) "
            "VALUES ($6, $1, $2, 'message', $3, CASE WHEN $4 THEN now() END, $5)",
            update_id,
            user_id,
            {
                "update_id": update_id,
                "message": {"from": sender, "chat": {"id": user_id}, "text": text},
            },
            state == "done",
            "worker" if state == "claimed" else None,
            BOT_ID,
        )


def update_of(user_id: int, offset: int = 0) -> int:
    return SENDING_UPDATE + user_id % 1000 * 10 + offset


async def traces(pool: asyncpg.Pool, user_id: int, name: str) -> dict[str, int]:
    """Rows of every table whose text names the person: their id as a whole number, or
    their name (which every text they left contains)."""
    pattern = rf"\m{user_id}\M|{re.escape(name)}"
    tables = await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    found = {}
    for t in tables:
        n = await pool.fetchval(
            f'SELECT count(*) FROM "{t["tablename"]}" t WHERE t::text ~* $1', pattern
        )
        if n:
            found[t["tablename"]] = n
    return found


async def stats_now(pool: asyncpg.Pool):
    figures, courses, questions = await PgStatsStore(pool).figures(
        None, FakeClock().now - timedelta(days=7), 5
    )
    return figures, [(c.course.slug, c.figures, c.modules) for c in courses], questions


# -- coverage -------------------------------------------------------------------------------


async def test_every_table_about_a_person_is_exported_and_has_an_erasure_rule(
    pool: asyncpg.Pool,
) -> None:
    tables = await user_keyed_tables(pool)

    assert set(tables) - set(EXPORT) == set(), "tables /mydata does not export"
    assert set(tables) - set(ERASURE) == set(), "tables /deleteme has no rule for"
    assert set(EXPORT) == set(ERASURE)


async def test_the_export_has_the_persons_rows_from_every_such_table(
    pool: asyncpg.Pool, tea: UUID
) -> None:
    await seed(pool, tea, TUTOR, "Zelda", "tutor")
    await seed(pool, tea, OTHER, "Yannick", "learner")
    privacy, _ = services(pool, FakeClock())
    await privacy.ask_to_erase(TUTOR)

    document = await privacy.export(TUTOR)

    sections = document["sections"]
    assert document["format_version"] == 1 and document["user_id"] == TUTOR
    assert list(sections) == list(EXPORT), "every section, always, in a stable order"
    empty = [table for table in await user_keyed_tables(pool) if not sections[table]]
    assert empty == [], "the seeding (and export) must cover every table about a person"
    assert sections["users"][0]["first_name"] == "Zelda"
    assert sections["users"][0]["timezone"] == "Pacific/Chatham"
    assert {r["course_slug"] for r in sections["enrollments"]} == {"tiny"}
    messages = [m["content"] for m in sections["ai_mentor_thread_messages"]]
    assert messages[0] == "I am Zelda; do pangolins drink oolong?"
    assert {"0": 1, "1": 0} in [a["answers"] for a in sections["quiz_attempts"]]
    audit = {(r["actor_id"], r["target"]) for r in sections["admin_audit"]}
    assert (ADMIN, "@ZELDA_HANDLE") in audit, "a lookup of them by username, any case"
    assert (ADMIN, f"{TUTOR} tiny 1 3") in audit, "a grant to them by id"
    assert (TUTOR, f"{OTHER} tiny 1 2") in audit, "what they did as staff"
    assert (ADMIN, "@YANNICK_HANDLE") not in audit, "nothing about anyone else"
    assert {r["text"] for r in sections["broadcast_recipients"]} == {
        "New course out",
        "Maintenance tonight",
    }
    assert [(r["kind"], r["text"]) for r in sections["update_inbox"]] == [
        ("message", "hello, Zelda here"),
        ("message", "(the confirmation)"),
        ("message", "/start again, Zelda"),
    ], "their updates, summarised: what they sent, not Telegram's JSON around it"
    assert [bool(r.get("processed_at")) for r in sections["update_inbox"]] == [
        True,
        False,
        False,
    ]
    report(
        "privacy",
        tables_exported=len(sections),
        rows_exported=sum(len(rows) for rows in sections.values()),
        tables_erased=len(ERASURE),
        failures=0,
    )


# -- erasure --------------------------------------------------------------------------------


async def test_erasing_a_learner_leaves_nothing_that_names_them(
    pool: asyncpg.Pool, tea: UUID
) -> None:
    await seed(pool, tea, LEARNER, "Zelda", "learner")
    await seed(pool, tea, OTHER, "Yannick", "learner")
    privacy, _ = services(pool, FakeClock())
    request = await privacy.ask_to_erase(LEARNER)
    before = await traces(pool, LEARNER, "Zelda")
    other_before = await traces(pool, OTHER, "Yannick")

    outcome = await privacy.erase(LEARNER, request.id, through_update=update_of(LEARNER))

    assert outcome is Outcome.ERASED
    left = await traces(pool, LEARNER, "Zelda")
    # Only the inbox rows of updates not yet done still name their chat: the one being
    # handled (its content emptied) and the one after it (not handled yet).
    assert left == {"update_inbox": 2}, left
    pending = await pool.fetch(
        "SELECT update_id, payload FROM update_inbox WHERE chat_key = $1 ORDER BY update_id",
        LEARNER,
    )
    assert [r["update_id"] for r in pending] == [update_of(LEARNER), update_of(LEARNER, 1)]
    assert pending[0]["payload"] == {"update_id": update_of(LEARNER)}
    assert pending[1]["payload"]["message"]["text"] == "/start again, Zelda"
    assert await traces(pool, OTHER, "Yannick") == other_before, "the other learner untouched"
    for table, columns in (await user_keyed_tables(pool)).items():
        done = " AND processed_at IS NOT NULL" if table == "update_inbox" else ""
        # Keys of a parent row (a thread, a broadcast, a cohort and the course it is of).
        for column in columns - {"thread_id", "broadcast_id", "cohort_id", "course_id"}:
            n = await pool.fetchval(
                f"SELECT count(*) FROM {table} WHERE {column} = $1{done}", LEARNER
            )
            assert n == 0, f"{table}.{column} still names the learner"
    report(
        "privacy: erase a learner",
        tables_with_their_rows=len(before),
        tables_naming_them_after=len(left),
        failures=0,
    )


async def test_what_stats_count_is_kept_under_a_pseudonym_nobody_is_messaged_through(
    pool: asyncpg.Pool, tea: UUID
) -> None:
    await seed(pool, tea, LEARNER, "Zelda", "learner")
    await seed(pool, tea, OTHER, "Yannick", "learner")
    privacy, _ = services(pool, FakeClock())
    broadcasts = PgBroadcastStore(pool, bot_id=BOT_ID)
    figures, courses, questions = await stats_now(pool)
    audience = await broadcasts.audience_size(None)
    request = await privacy.ask_to_erase(LEARNER)

    await privacy.erase(LEARNER, request.id, through_update=update_of(LEARNER))

    after_figures, after_courses, after_questions = await stats_now(pool)
    assert (after_figures, after_courses) == (figures, courses), "every count is unchanged"
    assert [q.text for q in questions if "zelda" in q.text] != []
    assert [q.text for q in after_questions if "zelda" in q.text] == [], "their words are gone"
    pseudonym = await pool.fetchrow("SELECT * FROM users WHERE first_name = $1", ERASED_NAME)
    assert pseudonym["id"] < 0 and pseudonym["is_blocked"] and pseudonym["username"] is None
    assert await broadcasts.audience_size(None) == audience - 1
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM module_progress "
            "WHERE user_id = $1 AND cooldown_until IS NOT NULL",
            pseudonym["id"],
        )
        == 0
    ), "no quiz-reopened notice is ever due for the pseudonym"
    attempts = await pool.fetch("SELECT * FROM quiz_attempts WHERE user_id = $1", pseudonym["id"])
    assert [(a["status"], a["answers"], float(a["score"])) for a in attempts] == [
        ("failed", {}, 50.0)
    ], "the finished attempt counts, without the answers; the running one is gone"
    assert await pool.fetchval(
        "SELECT enrolled_at = date_trunc('day', enrolled_at) FROM enrollments WHERE user_id = $1",
        pseudonym["id"],
    ), "times are kept to the day"
    deliveries = await pool.fetch(
        "SELECT status FROM broadcast_recipients WHERE user_id = $1", pseudonym["id"]
    )
    assert [r["status"] for r in deliveries] == ["sent"], "the pending one will not be sent"
    assert await pool.fetchval("SELECT count(*) FROM broadcast_recipients") == 3


async def test_a_tutor_erased_keeps_only_what_they_did_with_staff_rights(
    pool: asyncpg.Pool, tea: UUID
) -> None:
    await seed(pool, tea, TUTOR, "Zelda", "tutor")
    privacy, _ = services(pool, FakeClock())
    request = await privacy.ask_to_erase(TUTOR)

    assert await privacy.erase(TUTOR, request.id) is Outcome.ERASED

    kept_audit = await pool.fetch(
        "SELECT action, target, outcome FROM admin_audit WHERE actor_id = $1", TUTOR
    )
    assert [tuple(r) for r in kept_audit] == [("grant_prompts", f"{OTHER} tiny 1 2", "done")]
    assert await pool.fetchval("SELECT count(*) FROM broadcasts WHERE actor_id = $1", TUTOR) == 1
    targets = await pool.fetch(
        "SELECT target FROM admin_audit WHERE actor_id = $1 ORDER BY id", ADMIN
    )
    assert [r["target"] for r in targets] == [ERASED_NAME, f"{ERASED_NAME} tiny 1 3"]
    assert await pool.fetchval("SELECT count(*) FROM course_tutors") == 0
    assert await pool.fetchval("SELECT count(*) FROM users WHERE id = $1", TUTOR) == 0
    # through_update None: only updates already handled are emptied.
    assert (
        await pool.fetchval("SELECT count(*) FROM update_inbox WHERE payload::text LIKE '%Zelda%'")
        == 2
    )


async def test_a_person_with_nothing_to_count_leaves_no_pseudonym(pool: asyncpg.Pool) -> None:
    privacy, users = services(pool, FakeClock())
    await users.register(Profile(LEARNER, "Zelda", username="zelda"))
    request = await privacy.ask_to_erase(LEARNER)

    assert await privacy.erase(LEARNER, request.id) is Outcome.ERASED

    assert await pool.fetchval("SELECT count(*) FROM users") == 0


# -- the confirmation -----------------------------------------------------------------------


async def test_a_confirmation_counts_once_and_only_while_fresh(
    pool: asyncpg.Pool, tea: UUID
) -> None:
    await seed(pool, tea, LEARNER, "Zelda", "learner")
    clock = FakeClock()
    privacy, _ = services(pool, clock)
    first = await privacy.ask_to_erase(LEARNER)
    second = await privacy.ask_to_erase(LEARNER)

    assert await privacy.erase(LEARNER, first.id) is Outcome.NOT_PENDING, "replaced"
    clock.advance(minutes=10, seconds=1)
    assert await privacy.erase(LEARNER, second.id) is Outcome.EXPIRED
    assert await pool.fetchval("SELECT count(*) FROM users WHERE id = $1", LEARNER) == 1
    assert not await privacy.cancel(LEARNER, first.id)
    assert await privacy.cancel(LEARNER, second.id)
    assert await privacy.erase(LEARNER, second.id) is Outcome.NOT_PENDING, "cancelled"

    third = await privacy.ask_to_erase(LEARNER)
    assert await privacy.erase(LEARNER, third.id) is Outcome.ERASED
    assert await privacy.erase(LEARNER, third.id) is Outcome.NOT_PENDING, "a second press"
    assert await pool.fetchval("SELECT count(*) FROM users WHERE id = $1", LEARNER) == 0


async def test_after_erasure_the_same_person_registers_afresh(pool: asyncpg.Pool) -> None:
    """The profile the service remembered must not stand in for the row that is gone."""
    privacy, users = services(pool, FakeClock())
    profile = Profile(LEARNER, "Zelda", username="zelda")
    await users.register(profile)
    await users.set_timezone(LEARNER, "Pacific/Chatham")
    request = await privacy.ask_to_erase(LEARNER)
    await privacy.erase(LEARNER, request.id)

    again = await users.register(profile)

    assert again.timezone is None
    assert await pool.fetchval("SELECT first_name FROM users WHERE id = $1", LEARNER) == "Zelda"


def test_person_naming_staff_actions_are_the_ones_with_a_person_argument() -> None:
    """Audit rows about a person are found by those actions' first argument."""
    from bot.views.admin import USAGE
    from domain.privacy import PERSON_ACTIONS

    naming = {Action(name) for name, usage in USAGE.items() if " @user|id" in f" {usage}"}
    assert naming == PERSON_ACTIONS
