"""Completing a course, on both paths that can do it: the last topic of a course whose
modules have no quiz, and the last answer of the last module's quiz. Both come out as the
same outcome (`domain.progress.CourseCompleted`), at the services' clock, in what the
service returns and in `enrollments.completed_at`; and the learner is told on the screen.

Real services over real PostgreSQL; the services' clock is a test clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from bot.context import Services
from domain.progress import CourseCompleted, ModuleUnlocked
from domain.users import Profile
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, editable_copy, import_pack

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def import_without_quizzes(pool: asyncpg.Pool, tmp_path: Path) -> UUID:
    """The tiny tea course with every quiz taken out, as course `tiny-free`."""
    pack = editable_copy(TINY_PACK, tmp_path)
    for quiz in pack.glob("modules/*/quiz.yaml"):
        quiz.unlink()
    meta = pack / "course.yaml"
    text = re.sub(r"(?m)^slug: .*$", "slug: tiny-free", meta.read_text())
    meta.write_text(re.sub(r"(?m)^name: .*$", "name: Tea without tests", text))
    await import_pack(pool, pack)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny-free'")


@pytest.fixture
async def courses(pool: asyncpg.Pool, tmp_path: Path) -> tuple[UUID, UUID]:
    """(the tiny course with its quizzes, the same course without them)"""
    await import_pack(pool, TINY_PACK)
    with_quiz = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    return with_quiz, await import_without_quizzes(pool, tmp_path)


async def completed_at(pool: asyncpg.Pool, user_id: int, course_id: UUID) -> datetime | None:
    return await pool.fetchval(
        "SELECT completed_at FROM enrollments WHERE user_id = $1 AND course_id = $2 "
        "AND status = 'completed'",
        user_id,
        course_id,
    )


async def test_the_last_topic_and_the_last_quiz_answer_complete_a_course_alike(
    services: Services, clock: FakeClock, pool: asyncpg.Pool, courses: tuple[UUID, UUID]
) -> None:
    with_quiz, without_quiz = courses
    clock.now = NOON
    learning, quizzes = services.learning, services.quizzes
    for user_id in (41, 42):
        await services.users.register(Profile(user_id, f"Learner {user_id}"))

    # Path 1: no quiz anywhere; the last topic of the last module completes the course.
    await learning.enroll(41, without_quiz)
    outcomes = [
        (await learning.complete_topic(41, without_quiz, module, topic)).outcome
        for module in (1, 2)
        for topic in (1, 2)
    ]
    assert outcomes == [
        None,
        ModuleUnlocked(41, without_quiz, 2, NOON),
        None,
        CourseCompleted(41, without_quiz, NOON),
    ]
    again = await learning.complete_topic(41, without_quiz, 2, 2)
    assert (again.newly, again.outcome) == (False, None), "completed once, told once"

    # Path 2: every module has a quiz; the last answer of the last one completes it.
    await learning.enroll(42, with_quiz)
    results = []
    for module in (1, 2):
        for topic in (1, 2):
            done = await learning.complete_topic(42, with_quiz, module, topic)
            assert done.outcome is None, "a module with a quiz is finished by its quiz"
        attempt = await quizzes.start(42, with_quiz, module)
        for index, question in enumerate(attempt.questions):
            answered = await quizzes.answer(42, attempt.id, index, question.correct)
        assert answered.result is not None and answered.result.passed
        results.append(answered.result.outcome)
    assert results == [
        ModuleUnlocked(42, with_quiz, 2, NOON),
        CourseCompleted(42, with_quiz, NOON),
    ]

    # Both written with the services' clock, not the database's.
    assert await completed_at(pool, 41, without_quiz) == NOON
    assert await completed_at(pool, 42, with_quiz) == NOON


async def test_the_learner_sees_the_course_completed_without_a_quiz(
    talk, clock: FakeClock, pool: asyncpg.Pool, courses: tuple[UUID, UUID]
) -> None:
    clock.now = NOON
    ada = talk(42, "Ada")
    await ada.send("/start tiny-free")
    await ada.press("📘 Normal")
    await ada.press("1. ")
    await ada.press("1. The tea plant")
    await ada.press("✅ Mark complete")
    await ada.press("Next ➡")
    await ada.press("✅ Mark complete")
    assert "🔓 Module 2 is now open." in ada.last.text
    assert "You completed" not in ada.last.text

    await ada.press("⬅ Module")
    await ada.press("⬅ Course")
    await ada.press("2. ")
    await ada.press("1. Water temperature")
    await ada.press("✅ Mark complete")
    await ada.press("Next ➡")
    await ada.press("✅ Mark complete")

    # The topic's screen says so; the certificate (a PDF) arrives below it.
    congratulated, certificate = ada.messages[-2:]
    assert "🎓 You completed Tea without tests! Congratulations." in congratulated.text
    assert certificate.document is not None
    assert await completed_at(pool, 42, courses[1]) == NOON
    await ada.send("/progress")
    assert "🎓 completed" in ada.last.text
