"""Course structure kept in memory: topic texts and curated suggestions.

Every topic screen needs them and they change only when a course is imported again, so
each process reads a course's structure once per version (`courses.updated_at`, which every
import and publish step moves) instead of once per update. The learner-state query reports
the version it saw (`observe`), so an import done through another replica is noticed on
that learner's next update; `max_age` bounds staleness for reads no state query precedes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from domain.learning.model import TopicRecord
from domain.personas import Persona
from domain.tutor import Suggestion

T = TypeVar("T")


@dataclass
class _Course:
    version: datetime | None
    loaded_at: float
    topics: dict[tuple[int, int], TopicRecord] = field(default_factory=dict)
    # Top-level suggestions in display order, with the topic each belongs to (None: all).
    suggestions: list[tuple[tuple[int, int] | None, Suggestion]] = field(default_factory=list)
    # Anything else read from this version of the course (a module's question bank).
    derived: dict[Hashable, Any] = field(default_factory=dict)


class PgContentStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._max_age = max_age
        self._clock = clock
        self._courses: dict[UUID, _Course] = {}

    def observe(self, course_id: UUID, version: datetime | None) -> None:
        """A fresh read saw this version of the course; forget an older copy."""
        cached = self._courses.get(course_id)
        if cached is not None and cached.version != version:
            del self._courses[course_id]

    async def topic(self, course_id: UUID, module_no: int, number: int) -> TopicRecord | None:
        return (await self._course(course_id)).topics.get((module_no, number))

    async def suggestions(self, course_id: UUID, topic: tuple[int, int] | None) -> list[Suggestion]:
        """A topic's active top-level suggestions, then the course-wide ones."""
        course = await self._course(course_id)
        return [s for where, s in course.suggestions if where is None or where == topic]

    async def derived(self, course_id: UUID, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()` once per version of the course: for what another store reads from the
        course's structure (a module's question bank), forgotten with the structure."""
        course = await self._course(course_id)
        if key not in course.derived:
            course.derived[key] = await load()
        return course.derived[key]

    async def _course(self, course_id: UUID) -> _Course:
        cached = self._courses.get(course_id)
        now = self._clock()
        if cached is not None and now - cached.loaded_at < self._max_age:
            return cached
        loaded = await self._load(course_id, now)
        self._courses[course_id] = loaded
        return loaded

    async def _load(self, course_id: UUID, now: float) -> _Course:
        async with self._pool.acquire() as conn:
            topics = await conn.fetch(
                "SELECT c.updated_at AS version, t.* FROM courses c "
                "LEFT JOIN topics t ON t.course_id = c.id WHERE c.id = $1",
                course_id,
            )
            suggestions = await conn.fetch(
                """
                SELECT t.module_no, t.topic_number, s.* FROM topic_prompt_suggestions s
                LEFT JOIN topics t ON t.id = s.topic_id
                WHERE s.course_id = $1 AND s.is_active AND s.parent_id IS NULL
                ORDER BY s.topic_id IS NULL, s.position
                """,
                course_id,
            )
        course = _Course(topics[0]["version"] if topics else None, now)
        for row in topics:
            if row["id"] is not None:
                course.topics[(row["module_no"], row["topic_number"])] = topic_record(row)
        for row in suggestions:
            where = (row["module_no"], row["topic_number"]) if row["topic_id"] else None
            course.suggestions.append((where, suggestion_record(row)))
        return course


def topic_record(row: asyncpg.Record) -> TopicRecord:
    return TopicRecord(
        id=row["id"],
        module_no=row["module_no"],
        number=row["topic_number"],
        title=row["title"],
        text=row["text_content"],
        variants={
            Persona.SPORTS: row["text_content_sports"],
            Persona.COOKING: row["text_content_cooking"],
            Persona.ADVENTURE: row["text_content_adventure"],
        },
        ppt_url=row["ppt_url"],
        video_url=row["video_url"],
    )


def suggestion_record(row: asyncpg.Record) -> Suggestion:
    return Suggestion(
        row["id"],
        row["course_id"],
        row["topic_id"],
        row["parent_id"],
        row["prompt_text"],
        row["answer"] or row["generated_answer"],
    )
