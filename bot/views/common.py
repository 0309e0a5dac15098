"""Texts shared by several screens. All dynamic text is HTML-escaped here, never in handlers."""

from __future__ import annotations

from html import escape

SORRY = "Sorry, something went wrong on our side. Please try again in a moment."

INTRO = (
    "I'm <b>Tutorbot</b>, your tutor in Telegram. Enroll in a course, pick a study persona "
    "you like, walk through the topics, take the module quizzes and ask me anything about "
    "the material."
)


def help_text(commands: list[tuple[str, str]]) -> str:
    lines = ["<b>What I can do</b>", ""]
    lines += [f"/{name} — {escape(description)}" for name, description in commands]
    lines += ["", "Tip: open a course, then use the buttons to move between topics."]
    return "\n".join(lines)


def course_completed(course_name: str) -> str:
    """The line that tells a learner they just completed a course, on whichever screen
    the completion happened (the quiz result, the topic screen)."""
    return f"🎓 <b>You completed {escape(course_name)}!</b> Congratulations."
