"""What handlers get: PTB's context plus our services, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from telegram.ext import CallbackContext, ExtBot

from bot.metrics import Metrics
from bot.settings import Settings
from bot.transport.inbox import Inbox
from domain.admin import AdminService
from domain.broadcast import BroadcastService
from domain.certificates import CertificateService
from domain.cohorts import CohortService
from domain.course_admin import CourseAdminService
from domain.course_import import CourseImportService
from domain.goals import GoalService
from domain.help_requests import HelpService
from domain.inputs import InputService
from domain.learning.service import LearningService
from domain.notes import NotesService
from domain.paths import PathService
from domain.privacy import PrivacyService
from domain.quiz.service import QuizService
from domain.ratings import RatingService
from domain.reminders import ReminderService
from domain.review.service import ReviewService
from domain.stats import StatsService
from domain.tutor import TutorService
from domain.users import UserService


class Database(Protocol):
    async def ping(self) -> bool:
        """Whether the database answers (/readyz)."""

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Services:
    """Domain services and the few ports the transport needs; no storage class or pool
    (bot/app.py wires them)."""

    settings: Settings
    bot_id: int  # the bot served: per-bot rows claimed, swept and written are its own
    database: Database
    users: UserService
    inbox: Inbox
    learning: LearningService
    paths: PathService
    cohorts: CohortService
    quizzes: QuizService
    tutor: TutorService
    admin: AdminService
    broadcasts: BroadcastService
    course_admin: CourseAdminService
    course_import: CourseImportService
    metrics: Metrics
    stats: StatsService
    privacy: PrivacyService
    notes: NotesService
    reviews: ReviewService
    reminders: ReminderService
    ratings: RatingService
    goals: GoalService
    certificates: CertificateService
    inputs: InputService
    help: HelpService


class TutorContext(CallbackContext[ExtBot[None], dict, dict, dict]):
    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]
