"""The command menu Telegram shows next to the input field (registered with setMyCommands)."""

from __future__ import annotations

COMMANDS: list[tuple[str, str]] = [
    ("start", "Start or restart: your courses and the catalog"),
    ("courses", "The course catalog"),
    ("progress", "Your progress in every course"),
    ("quiz", "Back to the quiz you're taking"),
    ("review", "Today's review cards: what you got wrong, asked again"),
    ("timezone", "Your timezone, for quiz reopening times"),
    ("remind", "Study reminders: /remind 19:00, usual, quiet 22:00-07:00, off"),
    ("newchat", "Start a fresh conversation with the tutor"),
    ("rate", "Rate a course you completed; /rate words adds a review"),
    ("certificates", "Your certificates; /certificate_name sets the name on them"),
    ("verify", "Check a certificate: /verify CODE"),
    ("note", "Keep a note on the topic you're reading"),
    ("notes", "Your notes; /notes words finds them"),
    ("bookmarks", "The topics you bookmarked"),
    ("goal", "Your daily goal, streak and course target dates"),
    ("cohort", "Your cohorts, and leaving one"),
    ("mydata", "A copy of everything I store about you"),
    ("deleteme", "Erase everything I store about you"),
    ("help", "What I can do"),
]
