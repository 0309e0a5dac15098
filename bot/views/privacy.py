"""/mydata's document and /deleteme's screens."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from bot.views.clock import clock_time
from bot.views.screen import Screen, button
from domain.privacy import CONFIRM_WITHIN, ErasureRequest
from domain.users import Role, User

EXPORT_CAPTION = (
    "Everything I store about you, as JSON: one section per table. "
    "/deleteme erases it (anonymous course statistics stay)."
)


def export_file(document: dict[str, Any]) -> tuple[str, bytes]:
    """The file name (`tutorbot-data-<user id>.json`) and its UTF-8 JSON, indented so a
    person can read it in any text editor."""
    data = json.dumps(document, ensure_ascii=False, indent=2, default=_plain)
    return f"tutorbot-data-{document['user_id']}.json", data.encode()


def _plain(value: object) -> object:
    """Values the rows hold that JSON has no type for (storage hands most over as JSON)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not exportable")


def confirm(request: ErasureRequest, user: User) -> Screen:
    minutes = int(CONFIRM_WITHIN.total_seconds() // 60)
    lines = [
        "🗑 <b>Erase your data?</b>",
        "",
        "This deletes your profile, your tutor conversations (with the AI and with human "
        "tutors), your persona choices, your notes and bookmarks, your review cards and "
        "their history, your goals and streak, your course ratings and reviews, your cohort "
        "memberships, and what you sent me. Your progress stays only as anonymous numbers "
        "in the course statistics, linked to nobody. It can't be "
        "undone; /mydata sends you a copy first if you like.",
    ]
    if user.role is not Role.LEARNER:
        lines += [
            "",
            f"<i>You are {user.role.value}: your role, course assignments and what you wrote in "
            "learners' requests go too. Commands "
            "you carried out as staff stay in the audit log. An admin listed in the bot's "
            "configuration is admin again on their next message.</i>",
        ]
    lines += [
        "",
        f"This button works for {minutes} minutes (until "
        f"{clock_time(request.expires_at, user.timezone)}).",
    ]
    rows = [
        [button("🗑 Yes, erase everything", "erase_confirm", request=request.id)],
        [button("✖ Cancel", "erase_cancel", request=request.id)],
    ]
    return Screen("\n".join(lines), rows)


ERASED = Screen(
    "✅ <b>Your data has been erased.</b>\n\nI no longer know who you are. If you write to me "
    "again, I'll start fresh: /start."
)
ERASED_TOAST = "Erased"
EXPIRED = Screen(
    "⌛ This confirmation has expired, so nothing was erased. Send /deleteme to ask again."
)
EXPIRED_TOAST = "Expired: nothing was erased"
NOT_PENDING_TOAST = "Nothing pending: this button has nothing more to do."
CANCELLED = Screen("✖ Cancelled: nothing was erased.")
