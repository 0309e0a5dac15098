"""The composition root: the only place that wires storage, domain services and PTB."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot import handlers, jobs
from bot.ai.factory import build_embedder, build_language_model
from bot.ai.word_frequency import everyday
from bot.commands import COMMANDS
from bot.context import Services, TutorContext
from bot.flood import FloodGuard, rules_of
from bot.inbox import InboxWorker
from bot.metrics import Metrics
from bot.outgoing import OutgoingLimiter
from bot.request import AiohttpRequest
from bot.settings import ConfigError, Settings, bot_id_of
from bot.telegram_bot import TutorBot
from domain.admin import AdminService
from domain.broadcast import BroadcastService
from domain.clock import Clock, utc_now
from domain.course_admin import CourseAdminService
from domain.flood import FloodControl
from domain.learning.service import LearningService
from domain.privacy import PrivacyService
from domain.quiz.model import Draw
from domain.quiz.service import QuizService
from domain.stats import StatsService
from domain.tutor import TutorService
from domain.users import UserService
from storage.admin import PgAdminStore
from storage.broadcasts import PgBroadcastStore
from storage.chunks import PgChunkSearch
from storage.content import CourseContent
from storage.course_admin import PgCourseAdminStore
from storage.database import create_pool
from storage.inbox import PgInbox
from storage.learning import PgLearningStore
from storage.lexical import upgrade_stale
from storage.privacy import PgPrivacyStore
from storage.quiz_memory import QuizAttemptCache
from storage.quizzes import PgQuizStore
from storage.stats import PgStatsStore
from storage.tutor import PgTutorStore
from storage.users import PgUserRepository

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


@asynccontextmanager
async def open_services(
    settings: Settings,
    database_url: str,
    *,
    bot_id: int | None = None,
    clock: Clock = utc_now,
    draw: Draw | None = None,
) -> AsyncIterator[Services]:
    """`bot_id` is the bot these services serve (default: TELEGRAM_BOT_TOKEN's): what
    they claim, sweep and record per bot is that bot's, so several bots can share the
    database. `clock` and `draw` are the service's sense of time and chance; tests fix them.
    """
    bot = bot_id if bot_id is not None else settings.bot_id
    if bot is None:
        raise ConfigError("the services need a bot: set TELEGRAM_BOT_TOKEN")
    metrics = Metrics()
    pool = await create_pool(database_url, on_query=metrics.db_query)
    upgraded = await upgrade_stale(pool)
    if upgraded:
        log.info("rebuilt the lexical index of %s", ", ".join(upgraded))
    admin = AdminService(PgAdminStore(pool, bot_id=bot), clock=clock)
    content = CourseContent(pool)  # course structure, shared by the stores that read it
    users = UserService(PgUserRepository(pool, bot), settings.admin_telegram_ids)
    try:
        yield Services(
            settings=settings,
            bot_id=bot,
            pool=pool,
            users=users,
            inbox=PgInbox(pool, bot),
            learning=LearningService(PgLearningStore(pool, content), clock=clock),
            quizzes=QuizService(
                QuizAttemptCache(PgQuizStore(pool, content, bot_id=bot)), clock=clock, draw=draw
            ),
            tutor=TutorService(
                PgTutorStore(pool, content, bot_id=bot),
                PgChunkSearch(pool),
                build_embedder(settings),
                build_language_model(settings, observe=metrics.llm_call),
                everyday("en"),
            ),
            admin=admin,
            broadcasts=BroadcastService(PgBroadcastStore(pool, bot_id=bot), admin, clock=clock),
            course_admin=CourseAdminService(PgCourseAdminStore(pool), admin),
            metrics=metrics,
            stats=StatsService(PgAdminStore(pool, bot_id=bot), PgStatsStore(pool), clock=clock),
            privacy=PrivacyService(PgPrivacyStore(pool, bot_id=bot), users, clock=clock),
        )
    finally:
        await pool.close()


def build_application(
    services: Services,
    token: str,
    *,
    polling: bool,
    api_url: str | None = None,
    flood_clock: Callable[[], float] = time.monotonic,
) -> Application:
    """The same Application serves polling, the webhook, the demo and the tests.
    `flood_clock` is incoming flood control's sense of time (monotonic seconds).
    The token must be the bot the services were opened for (`open_services`)."""
    if bot_id_of(token) != services.bot_id:
        raise ValueError(
            f"the services serve bot {services.bot_id}, the token is bot {bot_id_of(token)}'s"
        )
    api = (api_url or services.settings.telegram_api_url).rstrip("/")
    observe = services.metrics.bot_api_call
    bot = TutorBot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=AiohttpRequest(observe=observe),
        get_updates_request=(
            AiohttpRequest(connection_pool_size=2, read_timeout=35.0, observe=observe)
            if polling
            else None
        ),
        rate_limiter=flood_limiter(services.settings),
    )
    application = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=TutorContext))
        .updater(None)
        .build()
    )
    application.bot_data["services"] = services
    settings = services.settings
    application.bot_data["flood"] = FloodGuard(FloodControl(rules_of(settings)), flood_clock)
    application.bot_data["inbox"] = InboxWorker(
        application,
        services.inbox,
        services.metrics,
        lease_seconds=settings.inbox_lease_seconds,
        max_in_flight=settings.inbox_max_in_flight,
    )
    handlers.register(application)
    jobs.schedule(application)
    return application


def inbox_worker(application: Application) -> InboxWorker:
    """Every update, from the webhook, long polling, the demo or a test, goes through it."""
    return application.bot_data["inbox"]


def flood_limiter(settings: Settings) -> OutgoingLimiter:
    """Outgoing pacing (`bot/outgoing.py`): each chat at Telegram's per-chat pace, at most
    `TELEGRAM_RATE_LIMIT` a second overall with bulk sends yielding to replies, and a 429
    pausing only the chat (or the bulk sends) it was for. `TELEGRAM_RATE_LIMIT=0` turns
    all pacing off (benchmarks, a local Bot API); the limiter stays installed because bulk
    senders mark their calls for it, and 429s are still honoured."""
    rate = settings.telegram_rate_limit
    return OutgoingLimiter(
        overall_rate=rate, chat_burst=settings.telegram_chat_burst if rate else 0
    )


async def register_commands(application: Application) -> None:
    """Publish the command menu; done on every start so the menu follows the code."""
    await application.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])
