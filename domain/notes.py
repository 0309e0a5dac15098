"""A learner's notes and bookmarks on topics: what they want to keep and find again.

A note is about the topic open in the chat when it is written (the learner's place, as the
tutor also reads it), so `/note …` needs no topic number. Only a topic the learner may open
takes notes or bookmarks: enrolled, not suspended, its module unlocked. Notes are plain
text, shown escaped; searching matches every word given, case-insensitively, in any
language (no stemming: a learner looks for the words they wrote).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.clock import Clock
from domain.errors import NoteRefused, NotFound, Reason

NOTE_LIMIT = 2000  # characters: a thought, not a document (a message holds 4,096)
NOTES_PER_LEARNER = 1000
SEARCH_WORDS = 8  # a query's first words; the rest add nothing but cost
LIST_LIMIT = 20  # notes on one screen


@dataclass(frozen=True)
class TopicRef:
    """A topic as a note names it: where it was and what it was called."""

    course_id: UUID
    course_name: str
    module_no: int
    topic_number: int
    title: str
    topic_id: UUID | None = None  # None: the author has since removed the topic


@dataclass(frozen=True)
class Note:
    id: int
    topic: TopicRef
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Found:
    """One screen of notes: those shown and how many match in all."""

    notes: list[Note]
    total: int


def clean_note(text: str) -> str:
    body = text.strip()
    if not body:
        raise NoteRefused(Reason.NOTE_EMPTY)
    if len(body) > NOTE_LIMIT:
        raise NoteRefused(Reason.NOTE_TOO_LONG, limit=NOTE_LIMIT, length=len(body))
    return body


def search_words(query: str) -> list[str]:
    """The words to look for, each at most 64 characters, lower-cased as the database
    lower-cases the notes (`lower`, not `casefold`: ß stays ß on both sides)."""
    return [word.lower()[:64] for word in query.split()[:SEARCH_WORDS]]


class NoteStore(Protocol):
    async def chat_topic(self, user_id: int, chat_id: int) -> TopicRef | None:
        """The topic open in the chat, if the learner may still open it."""

    async def open_topic(
        self, user_id: int, course_id: UUID, module_no: int, topic_number: int
    ) -> TopicRef | None:
        """The topic, if the learner may open it."""

    async def add(
        self, user_id: int, topic: TopicRef, body: str, source: tuple[int, int], at: datetime
    ) -> Note | None:
        """Keep the note once per `source` (chat, message): a second delivery returns the
        note kept the first time. None when the learner already has `NOTES_PER_LEARNER`."""

    async def find(
        self, user_id: int, words: list[str], topic_id: UUID | None, limit: int
    ) -> Found:
        """Newest first; every word must appear; `topic_id` narrows to one topic."""

    async def delete(self, user_id: int, note_id: int) -> TopicRef | None:
        """The deleted note's topic; None when the learner has no such note."""

    async def toggle_bookmark(self, user_id: int, topic_id: UUID, at: datetime) -> bool:
        """Whether the topic is bookmarked after the toggle."""

    async def bookmarks(self, user_id: int) -> list[TopicRef]:
        """By course, then in the course's order."""


class NotesService:
    def __init__(self, store: NoteStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def add_note(self, user_id: int, chat_id: int, message_id: int, text: str) -> Note:
        body = clean_note(text)
        topic = await self._store.chat_topic(user_id, chat_id)
        if topic is None:
            raise NotFound(Reason.NO_TOPIC_OPEN)
        note = await self._store.add(user_id, topic, body, (chat_id, message_id), self._clock())
        if note is None:
            raise NoteRefused(Reason.TOO_MANY_NOTES, limit=NOTES_PER_LEARNER)
        return note

    async def chat_notes(self, user_id: int, chat_id: int) -> tuple[TopicRef, Found]:
        """The notes on the topic open in the chat."""
        topic = await self._store.chat_topic(user_id, chat_id)
        if topic is None:
            raise NotFound(Reason.NO_TOPIC_OPEN)
        return topic, await self._store.find(user_id, [], topic.topic_id, LIST_LIMIT)

    async def topic_notes(
        self, user_id: int, course_id: UUID, module_no: int, topic_number: int
    ) -> tuple[TopicRef, Found]:
        topic = await self._topic(user_id, course_id, module_no, topic_number)
        return topic, await self._store.find(user_id, [], topic.topic_id, LIST_LIMIT)

    async def find(self, user_id: int, query: str = "") -> Found:
        return await self._store.find(user_id, search_words(query), None, LIST_LIMIT)

    async def delete(self, user_id: int, note_id: int) -> TopicRef:
        """The topic the note was about, to show what is left there."""
        topic = await self._store.delete(user_id, note_id)
        if topic is None:
            raise NotFound(Reason.NOTE_GONE)
        return topic

    async def toggle_bookmark(
        self, user_id: int, course_id: UUID, module_no: int, topic_number: int
    ) -> tuple[TopicRef, bool]:
        topic = await self._topic(user_id, course_id, module_no, topic_number)
        assert topic.topic_id is not None  # an open topic exists
        return topic, await self._store.toggle_bookmark(user_id, topic.topic_id, self._clock())

    async def bookmarks(self, user_id: int) -> list[TopicRef]:
        return await self._store.bookmarks(user_id)

    async def _topic(
        self, user_id: int, course_id: UUID, module_no: int, topic_number: int
    ) -> TopicRef:
        topic = await self._store.open_topic(user_id, course_id, module_no, topic_number)
        if topic is None:
            raise NotFound(Reason.TOPIC_GONE)
        return topic
