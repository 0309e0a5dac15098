"""What handlers get: PTB's context plus our services, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from telegram.ext import CallbackContext, ExtBot

from bot.metrics import Metrics
from bot.settings import Settings
from domain.admin import AdminService
from domain.broadcast import BroadcastService
from domain.course_admin import CourseAdminService
from domain.learning.service import LearningService
from domain.privacy import PrivacyService
from domain.quiz.service import QuizService
from domain.stats import StatsService
from domain.tutor import TutorService
from domain.users import UserService
from storage.inbox import PgInbox


@dataclass(frozen=True)
class Services:
    settings: Settings
    bot_id: int  # the bot served: per-bot rows claimed, swept and written are its own
    pool: asyncpg.Pool
    users: UserService
    inbox: PgInbox
    learning: LearningService
    quizzes: QuizService
    tutor: TutorService
    admin: AdminService
    broadcasts: BroadcastService
    course_admin: CourseAdminService
    metrics: Metrics
    stats: StatsService
    privacy: PrivacyService


class TutorContext(CallbackContext[ExtBot[None], dict, dict, dict]):
    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]
