"""Background jobs on PTB's job queue (APScheduler 3). The database is the source of truth,
so every job is safe to run on several replicas at once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram.ext import Application

from bot.context import TutorContext
from bot.jobs.broadcast import start_sending
from bot.jobs.cooldowns import CooldownAnnouncer
from bot.jobs.help_requests import escalate_unanswered
from bot.jobs.reminders import ReminderSender

log = logging.getLogger(__name__)

RELEASE_JOB = "cooldown-release"
REMINDER_JOB = "reminders"


async def prune_inbox(context: TutorContext) -> None:
    """Telegram re-delivers an update for at most 24 hours; older processed ids can go."""
    services = context.services
    removed = await services.inbox.prune(services.settings.inbox_retention_hours)
    if removed:
        log.info("forgot %d processed updates", removed)


async def release_cooldowns(context: TutorContext) -> None:
    """Announce the cooldowns that fell due, then aim a one-off job at the next one, so a
    cooldown set by another replica (or before a restart) is announced on time too."""
    services = context.services
    await CooldownAnnouncer(services, context.bot).sweep()
    upcoming = await services.quizzes.next_cooldown_due()
    sweep = timedelta(seconds=services.settings.cooldown_sweep_seconds)
    now = services.quizzes.now()
    if upcoming is not None and upcoming < now + sweep:
        schedule_cooldown_release(context.application, upcoming, now)


async def send_reminders(context: TutorContext) -> None:
    """Study reminders that fell due, in each learner's time (bot/jobs/reminders.py)."""
    await ReminderSender(context.services, context.bot).sweep()


async def resume_broadcasts(context: TutorContext) -> None:
    """Broadcasts that were being sent when this process (or another) stopped go on."""
    for broadcast_id in await context.services.broadcasts.unfinished():
        log.info("resuming broadcast %s", broadcast_id)
        start_sending(context.application, broadcast_id)


def schedule_cooldown_release(application: Application, when: datetime, now: datetime) -> None:
    """A one-off sweep at `when` (a cooldown's end); the repeating sweep is the safety net.

    The delay is measured on the services' clock (`now`), the one that set the cooldown.
    """
    queue = application.job_queue
    if queue is None:
        return
    name = f"{RELEASE_JOB}@{when.isoformat(timespec='seconds')}"
    if not queue.get_jobs_by_name(name):
        delay = max(when - now, timedelta(0)) + timedelta(milliseconds=50)
        queue.run_once(release_cooldowns, when=delay, name=name)


def schedule(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(
        prune_inbox,
        interval=timedelta(hours=1),
        first=timedelta(minutes=1),
        name="prune-inbox",
    )
    queue.run_once(resume_broadcasts, when=timedelta(seconds=2), name="resume-broadcasts")
    services = application.bot_data["services"]
    # The first sweep runs right after start: a bot that was down catches up at once.
    queue.run_repeating(
        release_cooldowns,
        interval=timedelta(seconds=services.settings.cooldown_sweep_seconds),
        first=timedelta(seconds=1),
        name=RELEASE_JOB,
    )
    queue.run_repeating(
        send_reminders,
        interval=timedelta(seconds=services.settings.reminder_sweep_seconds),
        first=timedelta(seconds=3),
        name=REMINDER_JOB,
    )
    queue.run_repeating(
        escalate_unanswered,
        interval=timedelta(seconds=services.settings.help_sweep_seconds),
        first=timedelta(seconds=5),
        name="help-escalation",
    )
