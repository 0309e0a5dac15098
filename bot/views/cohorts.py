"""Cohorts as staff and learners see them: invite links, the course's cohorts, a learner's
own cohorts with a "Leave" button. Every name is escaped here (staff type them)."""

from __future__ import annotations

from html import escape

from bot.views.screen import Screen, button
from domain.admin import CourseRef, Person
from domain.cohorts import JOIN_PREFIX, Cohort, Joined, Membership
from domain.wording import count


def invite_link(bot_username: str, cohort: Cohort) -> str:
    return f"https://t.me/{bot_username}?start={JOIN_PREFIX}{cohort.code}"


def created(cohort: Cohort, bot_username: str) -> Screen:
    link = invite_link(bot_username, cohort)
    return Screen(
        "\n".join(
            [
                f"✅ Cohort «{escape(cohort.name)}» of {escape(cohort.course_name)} created.",
                "",
                f"Invite link: {escape(link)}",
                f"Code: <code>{escape(cohort.code)}</code>",
                "",
                "<i>Whoever opens the link is enrolled in the course (if need be) and joins "
                "the cohort; a learner in another cohort of the course moves to this one. "
                f"/cohort_close {escape(cohort.course_slug)} {escape(cohort.code)} stops new "
                "joins.</i>",
            ]
        )
    )


def listing(course: CourseRef, cohorts: list[Cohort], bot_username: str) -> Screen:
    lines = [f"<b>👥 Cohorts of {escape(course.name)}</b>", ""]
    if not cohorts:
        lines.append(f"None yet: /cohort_new {escape(course.slug)} name creates one.")
    for c in cohorts:
        state = " — closed" if c.closed else ""
        lines.append(f"<b>{escape(c.name)}</b>{state}: {count(c.members, 'member')}")
        if c.tutors:
            lines.append("  Tutors: " + escape(", ".join(c.tutors)))
        if not c.closed:
            lines.append("  " + escape(invite_link(bot_username, c)))
        lines.append(f"  Code: <code>{escape(c.code)}</code>")
    return Screen("\n".join(lines))


def closed(cohort: Cohort, changed: bool) -> Screen:
    if not changed:
        return Screen(f"Nothing to change: cohort «{escape(cohort.name)}» is already closed.")
    return Screen(
        f"✅ Cohort «{escape(cohort.name)}» is closed: its invite link takes no new members. "
        f"Its {count(cohort.members, 'member')} stay."
    )


def tutor_added(cohort: Cohort, person: Person, added: bool) -> Screen:
    who = escape(person.label)
    if not added:
        return Screen(f"Nothing to change: {who} is already a tutor of «{escape(cohort.name)}».")
    return Screen(f"✅ {who} is now a tutor of cohort «{escape(cohort.name)}».")


def joined_line(joined: Joined) -> str:
    cohort = joined.cohort
    line = f"👥 You're in cohort «{escape(cohort.name)}» of {escape(cohort.course_name)}."
    if joined.moved_from is not None:
        line += f" (You left «{escape(joined.moved_from)}»: one cohort per course.)"
    return line


def with_line(screen: Screen, line: str) -> Screen:
    """`screen` with `line` above its text."""
    return Screen(f"{line}\n\n{screen.text}", screen.rows, screen.unchanged)


def mine(memberships: list[Membership]) -> Screen:
    lines = ["<b>👥 Your cohorts</b>", ""]
    rows = []
    if not memberships:
        lines.append("You're not in any cohort. Your tutor can send you an invite link.")
    for m in memberships:
        lines.append(f"<b>{escape(m.name)}</b> — {escape(m.course_name)}")
        if m.tutors:
            lines.append("  Tutors: " + escape(", ".join(m.tutors)))
        rows.append([button(f"🚪 Leave «{m.name[:40]}»", "cohort_leave", cohort=m.cohort_id)])
    rows.append([button("🏠 Home", "home")])
    return Screen("\n".join(lines), rows)


def confirm_leave(membership: Membership) -> Screen:
    return Screen(
        f"Leave cohort «{escape(membership.name)}» of {escape(membership.course_name)}?\n\n"
        "Your progress in the course stays; only the membership ends. You can join again "
        "with the invite link while the cohort is open.",
        [
            [button("🚪 Yes, leave", "cohort_leave_confirm", cohort=membership.cohort_id)],
            [button("⬅ Back", "my_cohorts")],
        ],
    )


def left(memberships: list[Membership]) -> Screen:
    screen = mine(memberships)
    return with_line(screen, "✅ You left the cohort; your progress is kept.")
