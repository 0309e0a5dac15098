"""Texts shared by several screens. All dynamic text is HTML-escaped here, never in handlers."""

from __future__ import annotations

from html import escape

from domain.users import User

SORRY = "Sorry, something went wrong on our side. Please try again in a moment."


def greeting(user: User) -> str:
    return (
        f"👋 Hi <b>{escape(user.profile.display_name)}</b>!\n\n"
        "I'm <b>Tutorbot</b>, your tutor in Telegram. Enroll in a course, pick a study "
        "persona you like, walk through the topics, take the module quizzes and ask me "
        "anything about the material.\n\n"
        "Type /help to see what I can do."
    )


def help_text(commands: list[tuple[str, str]]) -> str:
    lines = ["<b>What I can do</b>", ""]
    lines += [f"/{name} — {escape(description)}" for name, description in commands]
    return "\n".join(lines)
