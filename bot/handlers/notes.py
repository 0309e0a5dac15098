"""/note, /notes, /bookmarks and the notes and bookmark buttons of a topic."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import notes as views
from domain.users import User

BUTTONS = Buttons()


@command
async def note(context: TutorContext, user: User, update: Update) -> Reply:
    """`/note text` keeps a note on the topic open in this chat; a bare `/note` shows that
    topic's notes and how to add one."""
    notes, message = context.services.notes, update.effective_message
    assert message is not None and message.text is not None  # a command is a text message
    _, *text = message.text.split(maxsplit=1)
    if not text:
        topic, found = await notes.chat_notes(user.id, message.chat_id)
        return Reply(views.topic_notes(topic, found, user.timezone))
    kept = await notes.add_note(user.id, message.chat_id, message.message_id, text[0])
    return Reply(views.saved(kept))


@command
async def notes_command(context: TutorContext, user: User, _u: Update) -> Reply:
    query = " ".join(context.args or ())
    found = await context.services.notes.find(user.id, query)
    return Reply(views.notes_list(found, query, user.timezone))


@command
async def bookmarks_command(context: TutorContext, user: User, _u: Update) -> Reply:
    return Reply(views.bookmarks(await context.services.notes.bookmarks(user.id)))


@BUTTONS.on(press.TopicNotes)
async def _topic_notes(context: TutorContext, user: User, _u: Update, p: press.TopicNotes) -> Reply:
    topic, found = await context.services.notes.topic_notes(user.id, p.course, p.module, p.topic)
    return Reply(views.topic_notes(topic, found, user.timezone))


@BUTTONS.on(press.Bookmark)
async def _bookmark(context: TutorContext, user: User, _u: Update, p: press.Bookmark) -> Reply:
    topic, marked = await context.services.notes.toggle_bookmark(
        user.id, p.course, p.module, p.topic
    )
    return Reply(toast=views.bookmark_toast(topic, marked))


@BUTTONS.on(press.DeleteNote)
async def _delete(context: TutorContext, user: User, _u: Update, p: press.DeleteNote) -> Reply:
    notes = context.services.notes
    topic = await notes.delete(user.id, p.note)
    if topic.topic_id is None:  # the topic itself is gone: what is left is in the list
        return Reply(views.notes_list(await notes.find(user.id), "", user.timezone), "🗑 Deleted")
    _, found = await notes.topic_notes(
        user.id, topic.course_id, topic.module_no, topic.topic_number
    )
    return Reply(views.topic_notes(topic, found, user.timezone), "🗑 Deleted")


@BUTTONS.on(press.Notes)
async def _notes(context: TutorContext, user: User, _u: Update, _p: press.Notes) -> Reply:
    found = await context.services.notes.find(user.id)
    return Reply(views.notes_list(found, "", user.timezone))


@BUTTONS.on(press.Bookmarks)
async def _bookmarks(context: TutorContext, user: User, _u: Update, _p: press.Bookmarks) -> Reply:
    return Reply(views.bookmarks(await context.services.notes.bookmarks(user.id)))
