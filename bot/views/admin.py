"""What staff see: the command menu, usage lines and learner reports."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.views.modules import MARKS, state_words
from bot.views.screen import Screen
from domain.admin import LearnerReport
from domain.users import Role

USAGE = {
    "promote": "/promote @user|id tutor|admin",
    "demote": "/demote @user|id",
    "grant_prompts": "/grant_prompts @user|id course-slug module n",
    "grant_attempts": "/grant_attempts @user|id course-slug module n",
    "reset_cooldown": "/reset_cooldown @user|id course-slug module",
    "suspend": "/suspend @user|id course-slug",
    "unsuspend": "/unsuspend @user|id course-slug",
    "learner": "/learner @user|id",
    "stats": "/stats [course-slug [cohort]]",
    "broadcast": "/broadcast course-slug|all text",
    "broadcast_cohort": "/broadcast course-slug:cohort text",
    "courses_admin": "/courses_admin",
    "export": "/export course-slug [cohort]",
    "cohort_new": "/cohort_new course-slug name",
    "cohorts": "/cohorts course-slug",
    "cohort_tutor": "/cohort_tutor course-slug cohort @user|id",
    "cohort_close": "/cohort_close course-slug cohort",
    "import": "send a course-pack .zip with the caption /import, "
    "or a .pdf/.md/.txt with /import course-slug",
    "reindex": "/reindex course-slug",
    "hide_review": "/hide_review @user|id course-slug reason",
    "certificate": "/certificate revoke|reissue CODE reason",
}
ADMIN_ONLY = ("promote", "demote", "courses_admin", "import", "reindex", "hide_review")
ADMIN_ONLY = (*ADMIN_ONLY, "certificate")


def menu(role: Role) -> Screen:
    lines = ["<b>🛠 Staff commands</b>", ""]
    for name, usage in USAGE.items():
        if role is Role.ADMIN or name not in ADMIN_ONLY:
            lines.append(f"<code>{escape(usage)}</code>")
    lines += ["", "<i>A cohort is named by its name or its invite code.</i>"]
    if role is Role.TUTOR:
        lines += ["", "<i>As a tutor you act on learners of the courses you're assigned to.</i>"]
    lines += ["", "<i>Every command is recorded in the audit log.</i>"]
    return Screen("\n".join(lines))


def usage(name: str) -> Screen:
    return Screen(f"Usage: <code>{escape(USAGE[name])}</code>")


def done(message: str, *, changed: bool = True) -> Screen:
    """A success tick only for what changed something; a no-op reads as plain text."""
    return Screen(f"✅ {escape(message)}" if changed else escape(message))


def report(report: LearnerReport, timezone: str | None, now: datetime) -> Screen:
    person = report.person
    lines = [f"<b>👤 {escape(person.label)}</b> — {person.role.value}"]
    if not report.enrollments:
        lines.append("No enrollments (in the courses you can see).")
    for line in report.enrollments:
        lines += [
            "",
            f"<b>{escape(line.course.name)}</b> (<code>{escape(line.course.slug)}</code>) — "
            f"{escape(line.status)}, persona {escape(line.persona or 'not chosen')}",
        ]
        for m in line.modules:
            status = m.status(line.attempts_limit, now)
            words = state_words(
                status.state,
                has_quiz=status.has_quiz,
                reopens_at=status.cooldown_until,
                timezone=timezone,
                now=now,
            )
            state = f"{MARKS[status.state]} {escape(words)}"
            parts = [f"M{m.module_no} {state}", f"topics {m.topics_done}/{m.topics}"]
            limit = line.attempts_limit + m.extra_attempts if line.attempts_limit else None
            attempts = f"{m.attempts_used}/{limit}" if limit else f"{m.attempts_used}"
            parts.append(f"attempts {attempts}")
            if m.best_score is not None:
                parts.append(f"best {round(m.best_score)}%")
            parts.append(f"typed {m.typed_used}/{line.typed_quota + m.typed_granted}")
            lines.append("  " + " · ".join(parts))
    if report.open_quiz is not None:
        slug, module = report.open_quiz
        lines += ["", f"Quiz in progress: {escape(slug)} module {module}"]
    return Screen("\n".join(lines))
