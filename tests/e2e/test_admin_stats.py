"""/stats: admins see every course, tutors their own, learners nothing; every attempt is
audited. Real Application, real database, the Bot API emulator (which checks the HTML and
decodes the chart it is sent)."""

from __future__ import annotations

import asyncpg
import pytest

from bot.emulator import BotApiEmulator, ChatMessage
from bot.views.refusals import NOT_ALLOWED
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, import_pack

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ANSWERS = {
    "Which plant": ("Camellia sinensis", "Peppermint"),
    "What mainly makes": ("Black tea is fully oxidised", "Black tea is never dried"),
}


@pytest.fixture
async def tea(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def take_quiz(learner: Dialogue, *, right: bool) -> None:
    await learner.press("⬅ Module")
    await learner.press("Module 1 quiz")
    await learner.press("▶ Start the quiz")
    for _ in range(2):
        # The quiz replaces the module screen, which may sit above the tutor's answers.
        question = next(m.text for m in reversed(learner.messages) if "Question" in m.text)
        good, bad = next(pair for start, pair in ANSWERS.items() if start in question)
        await learner.press(good if right else bad)


@pytest.fixture
async def learners(talk, tea, pool: asyncpg.Pool) -> None:
    """Ada failed the Module 1 quiz, Ben finished Module 1 and passed its quiz, Cy enrolled
    ten days ago and did nothing since. Ada took a free suggestion and asked once, Ben twice.
    """
    ada = talk(42, "Ada", username="ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    await ada.press("Is chamomile a real tea?")
    await ada.send("Where does tea come from?")
    await take_quiz(ada, right=False)
    assert "Not passed this time" in ada.last.text

    ben = talk(50, "Ben", username="ben")
    await ben.send("/start tiny")
    await ben.press("📘 Normal")
    await ben.press("▶ Continue: 1.1")
    await ben.press("✅ Mark complete")
    await ben.press("Next ➡")
    await ben.press("✅ Mark complete")
    await ben.send("  where does TEA come from?  ")
    await ben.send("Is <b>green</b> & black tea the same plant?")
    await take_quiz(ben, right=True)
    assert "Passed!" in ben.last.text

    cy = talk(51, "Cy", username="cy")
    await cy.send("/start tiny")
    await cy.press("📘 Normal")
    await pool.execute(
        "UPDATE enrollments SET enrolled_at = now() - interval '10 days' WHERE user_id = 51"
    )
    await pool.execute(
        "UPDATE topic_progress SET updated_at = now() - interval '10 days' WHERE user_id = 51"
    )

    # More questions in Ada's thread: ranked by count, ties by text; curated ones don't count.
    thread = await pool.fetchval("SELECT id FROM ai_mentor_threads WHERE user_id = 42")
    rows = [("How hot should the water be?", True)] * 3 + [("Is chamomile a real tea?", False)] * 3
    rows += [("What is oolong?", True), ("Why is black tea bitter?", True), ("Zebra tea?", True)]
    await pool.executemany(
        "INSERT INTO ai_mentor_thread_messages (thread_id, role, content, typed) "
        "VALUES ($1, 'learner', $2, $3)",
        [(thread, text, typed) for text, typed in rows],
    )


@pytest.fixture
def admin(talk) -> Dialogue:
    return talk(ADMIN_ID, "Grace", username="grace")


async def audit(pool: asyncpg.Pool) -> list[tuple[int, str, str, str]]:
    rows = await pool.fetch("SELECT actor_id, action, target, outcome FROM admin_audit ORDER BY id")
    return [(r["actor_id"], r["action"], r["target"], r["outcome"]) for r in rows]


def chart_bytes(emulator: BotApiEmulator, message: ChatMessage) -> bytes:
    assert message.photo, "the chart should arrive as a photo"
    biggest = message.photo[-1]
    assert biggest["width"] > 0 and biggest["height"] > 0
    data = emulator.files[biggest["file_id"]].data
    assert data is not None
    return data


TINY_FIGURES = [
    "Learners: 3 · active in 7 days: 2",
    "Enrollments: 3 active · 0 suspended · 0 completed",
    "Typed questions used: 3",
    "M1 Kinds of tea: 3 → 3 → 1 → 1 · quiz pass rate 1/2 (50%)",
    "M2 Brewing: 3 → 1 → 0 → 0 · no quiz finished",
]
TOP_QUESTIONS = (
    "Top questions\n"
    "1. “how hot should the water be?” ×3\n"
    "2. “where does tea come from?” ×2\n"
    "3. “is <b>green</b> & black tea the same plant?” ×1\n"
    "4. “what is oolong?” ×1\n"
    "5. “why is black tea bitter?” ×1"
)


async def test_an_admin_sees_a_courses_figures_and_its_funnel_chart(
    admin: Dialogue, learners, emulator: BotApiEmulator, pool
) -> None:
    replies = await admin.send("/stats tiny")

    text, photo = replies
    assert text.text.startswith("📊 Tea basics (tiny)\n")
    for line in TINY_FIGURES:
        assert line in text.text
    assert (
        "\n\nFunnel per module (enrolled → unlocked → topics done → quiz passed)\nM1" in text.text
    )
    assert text.text.endswith(TOP_QUESTIONS)
    assert "&lt;b&gt;green&lt;/b&gt; &amp; black" in (text.html or "")
    assert "zebra" not in text.text and "chamomile" not in text.text
    assert chart_bytes(emulator, photo).startswith(PNG_SIGNATURE)
    assert photo.caption == "Completion funnel per module"
    assert await audit(pool) == [(ADMIN_ID, "stats", "tiny", "done")]


async def test_without_a_slug_an_admin_sees_every_course(
    admin: Dialogue, learners, emulator: BotApiEmulator, pool
) -> None:
    await pool.execute("INSERT INTO courses (slug, name) VALUES ('empty', 'Nothing yet')")

    text, photo = await admin.send("/stats")

    assert text.text.startswith(
        "📊 All courses\nLearners: 3 · active in 7 days: 2\n"
        "Enrollments: 3 active · 0 suspended · 0 completed\nTyped questions used: 3\n"
    )
    assert (
        "last 7 days.\n\nFunnel per module (enrolled → unlocked → topics done → quiz passed)\n\n"
        in (text.text)
    )
    assert "Nothing yet (empty)\nLearners: 0 · active in 7 days: 0" in text.text
    assert "Typed questions used: 0\nNo modules yet." in text.text
    assert "Tea basics (tiny)\n" + "\n".join(TINY_FIGURES) in text.text
    assert text.text.endswith(TOP_QUESTIONS)
    assert chart_bytes(emulator, photo).startswith(PNG_SIGNATURE)
    assert await audit(pool) == [(ADMIN_ID, "stats", "", "done")]


async def test_an_unknown_course_or_extra_words_get_a_clear_answer(
    admin: Dialogue, tea, pool
) -> None:
    replies = await admin.send("/stats nosuch")
    assert [m.text for m in replies] == ["There is no course “nosuch”."]
    await admin.send("/stats tiny extra")
    assert admin.last.text == (
        "There is no cohort “extra” in that course; /cohorts course-slug lists them."
    )
    await admin.send("/admin")
    assert "/stats [course-slug [cohort]]" in admin.last.text
    assert (await audit(pool))[0] == (ADMIN_ID, "stats", "nosuch", "invalid")


async def test_a_course_nobody_enrolled_in_shows_zeros(
    admin: Dialogue, tea, emulator: BotApiEmulator
) -> None:
    text, photo = await admin.send("/stats tiny")
    assert "Learners: 0 · active in 7 days: 0" in text.text
    assert "M1 Kinds of tea: 0 → 0 → 0 → 0 · no quiz finished" in text.text
    assert text.text.endswith("Top questions\nNo typed questions yet.")
    assert chart_bytes(emulator, photo).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("command", ["/stats", "/stats tiny", "/stats nosuch", "/stats a b"])
async def test_a_learner_is_refused_and_it_is_audited(talk, learners, pool, command: str) -> None:
    before = await audit(pool)
    eve = talk(44, "Eve", username="eve")

    replies = await eve.send(command)

    assert [m.text for m in replies] == [NOT_ALLOWED]
    after = await audit(pool)
    assert after[len(before) :] == [(44, "stats", command[7:], "denied")]


async def test_a_tutor_sees_only_the_courses_they_tutor(
    admin: Dialogue, talk, learners, tea, pool, emulator: BotApiEmulator
) -> None:
    other = await pool.fetchval(
        "INSERT INTO courses (slug, name) VALUES ('other', 'Other course') RETURNING id"
    )
    tom = talk(60, "Tom", username="tom")
    await tom.send("/start")
    await admin.send("/promote @tom tutor")
    await pool.execute("INSERT INTO course_tutors (course_id, user_id) VALUES ($1, 60)", other)

    assert [m.text for m in await tom.send("/stats tiny")] == [NOT_ALLOWED]
    assert (await audit(pool))[-1] == (60, "stats", "tiny", "denied")
    detail = await pool.fetchval("SELECT detail FROM admin_audit ORDER BY id DESC LIMIT 1")
    assert detail == {"course": "tiny"}

    (only,) = await tom.send("/stats")  # a course without modules: no chart
    assert only.text.startswith("📊 Your courses\nLearners: 0")
    assert "Other course (other)" in only.text and "Tea basics" not in only.text

    await pool.execute("INSERT INTO course_tutors (course_id, user_id) VALUES ($1, 60)", tea)
    text, photo = await tom.send("/stats tiny")
    assert "M1 Kinds of tea: 3 → 3 → 1 → 1 · quiz pass rate 1/2 (50%)" in text.text
    assert chart_bytes(emulator, photo).startswith(PNG_SIGNATURE)
    assert [a[2:] for a in await audit(pool) if a[0] == 60] == [
        ("tiny", "denied"),
        ("", "done"),
        ("tiny", "done"),
    ]


async def test_a_tutor_of_no_course_is_told_so(admin: Dialogue, talk, tea) -> None:
    tom = talk(60, "Tom", username="tom")
    await tom.send("/start")
    await admin.send("/promote @tom tutor")
    replies = await tom.send("/stats")
    assert [m.text for m in replies] == [
        "📊 Your courses\nLearners: 0 · active in 7 days: 0\n"
        "Enrollments: 0 active · 0 suspended · 0 completed\nTyped questions used: 0\n"
        "Active: enrolled, studied a topic, took a quiz or asked the tutor in the last 7 days.\n\n"
        "You aren't assigned to any course yet."
    ]
