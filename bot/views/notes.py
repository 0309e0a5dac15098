"""Notes and bookmarks as the learner reads them: a note is their own text, shown escaped
(a note full of HTML reads as the characters they typed)."""

from __future__ import annotations

from html import escape

from bot.views.clock import zone
from bot.views.markdown import MESSAGE_LIMIT, plain_length
from bot.views.screen import Screen, button
from domain.notes import NOTE_LIMIT, Found, Note, TopicRef

BOOKMARK_BUTTONS = 40  # the rest are listed; Telegram allows 100 buttons
PREVIEW = 160  # characters of a note in a list; its topic's screen shows it whole
HOW_TO_ADD = (
    f"<i>To add a note, open a topic and send /note followed by your text "
    f"(up to {NOTE_LIMIT:,} characters).</i>"
)


def place(topic: TopicRef) -> str:
    return f"{topic.module_no}.{topic.topic_number} {escape(topic.title)}"


def saved(note: Note) -> Screen:
    topic = note.topic
    text = (
        f"📝 Kept with <b>{place(topic)}</b> ({escape(topic.course_name)}):\n"
        f"<blockquote>{escape(note.body)}</blockquote>"
    )
    rows = [[button("🗂 All my notes", "notes")]]
    if topic.topic_id is not None:
        rows.insert(0, [button("📝 Notes on this topic", "topic_notes", **_ids(topic))])
    return Screen(text, rows)


def topic_notes(topic: TopicRef, found: Found, timezone: str | None) -> Screen:
    head = [f"📝 <b>Notes on {place(topic)}</b>"]
    entries = [
        f"<b>{n}.</b> <i>{_day(note, timezone)}</i>\n{escape(note.body)}"
        for n, note in enumerate(found.notes, 1)
    ] or ["No notes on this topic yet."]
    deletes = [
        button(f"🗑 {n}", "note_delete", note=note.id) for n, note in enumerate(found.notes, 1)
    ]
    rows = [deletes[i : i + 5] for i in range(0, len(deletes), 5)]
    rows.append(
        [
            button("🔖 Bookmark", "bookmark", **_ids(topic)),
            button("🗂 All my notes", "notes"),
        ]
    )
    rows.append([button("⬅ Topic", "topic", **_ids(topic), page=0)])
    text = _fit(head, entries, [HOW_TO_ADD], found.total - len(found.notes))
    return Screen(text, rows, unchanged="Nothing new.")


def notes_list(found: Found, query: str, timezone: str | None) -> Screen:
    if query:
        head = [f"📝 <b>Notes with “{escape(query)}”</b> ({found.total})"]
    else:
        head = [f"📝 <b>Your notes</b> ({found.total})"]
    entries, course = [], None
    for note in found.notes:
        body = note.body if len(note.body) <= PREVIEW else note.body[: PREVIEW - 1] + "…"
        entry = f"• {place(note.topic)} · <i>{_day(note, timezone)}</i>\n  {escape(body)}"
        if note.topic.course_name != course:
            course = note.topic.course_name
            entry = f"\n<b>{escape(course)}</b>\n{entry}"
        entries.append(entry)
    if not entries:
        entries = ["No notes match those words." if query else "You have no notes yet."]
    tail = ["<i>Find notes by their words: /notes gradient loss</i>", HOW_TO_ADD]
    rows = [[button("🔖 Bookmarks", "bookmarks"), button("🏠 Home", "home")]]
    text = _fit(head, entries, tail, found.total - len(found.notes))
    return Screen(text, rows, unchanged="Nothing new.")


def bookmarks(refs: list[TopicRef]) -> Screen:
    if not refs:
        text = "🔖 <b>Bookmarks</b>\n\nNone yet: press 🔖 Bookmark under a topic's notes (📝)."
        return Screen(text, [[button("🏠 Home", "home")]])
    entries, course = [], None
    for ref in refs:
        entry = f"• {place(ref)}"
        if ref.course_name != course:
            course = ref.course_name
            entry = f"\n<b>{escape(course)}</b>\n{entry}"
        entries.append(entry)
    rows = [
        [button(f"{r.module_no}.{r.topic_number} {r.title}"[:60], "topic", **_ids(r), page=0)]
        for r in refs[:BOOKMARK_BUTTONS]
    ]
    rows.append([button("🗂 My notes", "notes"), button("🏠 Home", "home")])
    return Screen(_fit(["🔖 <b>Bookmarks</b>"], entries, [], 0), rows, unchanged="Nothing new.")


def bookmark_toast(topic: TopicRef, bookmarked: bool) -> str:
    if bookmarked:
        return f"🔖 Bookmarked {topic.module_no}.{topic.topic_number} — see /bookmarks"
    return f"Bookmark removed from {topic.module_no}.{topic.topic_number}"


def _ids(topic: TopicRef) -> dict[str, object]:
    return {"course": topic.course_id, "module": topic.module_no, "topic": topic.topic_number}


def _day(note: Note, timezone: str | None) -> str:
    return f"{note.created_at.astimezone(zone(timezone)):%d %b %Y}"


def _fit(head: list[str], entries: list[str], tail: list[str], more: int) -> str:
    """Whole entries only, and a line saying how many did not fit: a message holds 4,096
    characters and a learner's notes can hold more."""
    while True:
        extra = [f"<i>… and {more} more.</i>"] if more else []
        html = "\n".join([*head, "", *entries, *extra, "", *tail]).rstrip()
        if plain_length(html) <= MESSAGE_LIMIT or len(entries) <= 1:
            return html
        entries = entries[:-1]
        more += 1
