"""Broadcast screens for staff: the draft to confirm and the progress as it goes."""

from __future__ import annotations

from html import escape

from bot.views.screen import Screen, bar, button
from domain.broadcast import Draft, Progress
from domain.wording import count

PREVIEW_CHARS = 1_500


def draft(d: Draft) -> Screen:
    preview = d.text if len(d.text) <= PREVIEW_CHARS else d.text[:PREVIEW_CHARS] + "…"
    who = count(d.recipients, "learner")
    head = (
        f"📣 <b>Broadcast to {who}</b> of {escape(d.course_name)}"
        if d.course_name is not None
        else f"📣 <b>Broadcast to everyone: {who}</b>"
    )
    if d.cohort_name is not None:
        head += f" in cohort «{escape(d.cohort_name)}»"
    lines = [
        head,
        "",
        escape(preview),
        "",
        "<i>Sent as plain text at Telegram's pace; blocked learners are skipped.</i>",
    ]
    rows = [
        [button(f"✅ Send to {d.recipients}", "broadcast_send", broadcast=d.id)],
        [button("✖ Cancel", "broadcast_cancel", broadcast=d.id)],
    ]
    return Screen("\n".join(lines), rows)


def progress(p: Progress) -> str:
    handled = p.sent + p.blocked + p.failed
    percent = round(100 * handled / p.total) if p.total else 100
    head = "✅ <b>Broadcast sent</b>" if p.status == "done" else "📣 <b>Sending the broadcast…</b>"
    return "\n".join(
        [
            head,
            bar(percent),
            f"{p.sent} delivered · {p.blocked} blocked the bot · {p.failed} failed · "
            f"{p.pending} to go (of {p.total})",
        ]
    )


def cancelled() -> Screen:
    return Screen("✖ Broadcast cancelled; nobody was messaged.")
