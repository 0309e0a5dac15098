"""The composition root: the only place that wires storage, domain services and PTB."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot import handlers
from bot.ai.factory import build_embedder, build_language_model
from bot.ai.word_frequency import everyday
from bot.commands import COMMANDS
from bot.context import Services, TutorContext
from bot.jobs import schedule as jobs
from bot.metrics import Metrics
from bot.settings import ConfigError, Settings, bot_id_of
from bot.timezones import tzinfo_of
from bot.transport.flood import FloodGuard, rules_of
from bot.transport.inbox import InboxWorker
from bot.transport.outgoing import OutgoingLimiter
from bot.transport.request import AiohttpRequest
from bot.transport.telegram_bot import TutorBot
from domain.admin import AdminService
from domain.broadcast import BroadcastService
from domain.certificates import CertificateService
from domain.clock import Clock, utc_now
from domain.cohorts import CohortService
from domain.course_admin import CourseAdminService
from domain.course_import import CourseImportService
from domain.flood import FloodControl
from domain.goals import GoalService
from domain.help_requests import HelpService, HelpSettings
from domain.inputs import InputService
from domain.learning.service import LearningService
from domain.notes import NotesService
from domain.paths import PathService
from domain.privacy import PrivacyService
from domain.quiz.model import Draw
from domain.quiz.service import QuizService
from domain.ratings import RatingService
from domain.reminders import ReminderService
from domain.retrieval import Embedder
from domain.review.model import ReviewSettings
from domain.review.service import ReviewService
from domain.stats import StatsService
from domain.tutor import ChunkSearch, TutorService
from domain.users import UserService
from storage.admin import PgAdminStore
from storage.bots import adopt_unowned
from storage.broadcast import PgBroadcastStore
from storage.certificates import PgCertificateStore
from storage.chunks import PgChunkStore
from storage.cohorts import PgCohortStore
from storage.content import PgContentStore
from storage.course_admin import PgCourseAdminStore
from storage.course_import import PgCourseImportStore
from storage.database import PgDatabase, create_pool
from storage.embedded import EmbeddedPostgres, drop_stale_databases
from storage.embedded import scratch_database as embedded_scratch_database
from storage.goals import PgGoalStore
from storage.help_requests import PgHelpStore
from storage.inbox import PgInboxStore
from storage.inputs import PgInputStore
from storage.learning import PgLearningStore
from storage.lexical import upgrade_stale
from storage.migrations import migrate
from storage.notes import PgNoteStore
from storage.paths import PgPathStore
from storage.privacy import PgPrivacyStore
from storage.quiz import PgQuizStore
from storage.quiz_memory import QuizAttemptCache
from storage.ratings import PgRatingStore
from storage.reminders import PgReminderStore
from storage.review import PgReviewStore
from storage.stats import PgStatsStore
from storage.tutor import PgTutorStore
from storage.users import PgUserStore

log = logging.getLogger(__name__)

# poll_answer: a review card answered as a quiz poll (bot/handlers/review.py).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "poll_answer"]


@asynccontextmanager
async def open_services(
    settings: Settings,
    database_url: str,
    *,
    bot_id: int | None = None,
    clock: Clock = utc_now,
    draw: Draw | None = None,
    adopt_unowned_rows: bool = False,
) -> AsyncIterator[Services]:
    """`bot_id` is the bot these services serve (default: TELEGRAM_BOT_TOKEN's): what
    they claim, sweep and record per bot is that bot's, so several bots can share the
    database. `clock` and `draw` are the service's sense of time and chance; tests fix them.
    `adopt_unowned_rows` (`tutorbot run`) makes rows from before bots were told apart
    this bot's.
    """
    bot = bot_id if bot_id is not None else settings.bot_id
    if bot is None:
        raise ConfigError("the services need a bot: set TELEGRAM_BOT_TOKEN")
    metrics = Metrics()
    pool = await create_pool(database_url, on_query=metrics.db_query)
    upgraded = await upgrade_stale(pool)
    if upgraded:
        log.info("rebuilt the lexical index of %s", ", ".join(upgraded))
    if adopt_unowned_rows:
        adopted = await adopt_unowned(pool, bot)
        if adopted:
            rows = ", ".join(f"{n} {table}" for table, n in adopted.items())
            log.info("rows from before bots were told apart are now this bot's: %s", rows)
    admin = AdminService(PgAdminStore(pool, bot_id=bot), clock=clock)
    content = PgContentStore(pool)  # course structure, shared by the stores that read it
    users = UserService(PgUserStore(pool, bot), settings.admin_telegram_ids)
    embedder = build_embedder(settings)  # one per process: a local model is slow to load
    learning = PgLearningStore(pool, content)
    learning_service = LearningService(learning, clock=clock)
    cohorts = PgCohortStore(pool)
    try:
        yield Services(
            settings=settings,
            bot_id=bot,
            database=PgDatabase(pool),
            users=users,
            inbox=PgInboxStore(pool, bot),
            learning=learning_service,
            paths=PathService(PgPathStore(pool)),
            cohorts=CohortService(cohorts, admin, learning_service, clock=clock),
            quizzes=QuizService(
                QuizAttemptCache(PgQuizStore(pool, content, bot_id=bot)), clock=clock, draw=draw
            ),
            tutor=TutorService(
                PgTutorStore(pool, content, bot_id=bot),
                PgChunkStore(pool),
                embedder,
                build_language_model(settings, observe=metrics.llm_call),
                everyday("en"),
            ),
            admin=admin,
            broadcasts=BroadcastService(
                PgBroadcastStore(pool, bot_id=bot), admin, clock=clock, cohorts=cohorts
            ),
            course_admin=CourseAdminService(PgCourseAdminStore(pool), admin, cohorts),
            course_import=CourseImportService(PgCourseImportStore(pool), embedder),
            metrics=metrics,
            stats=StatsService(
                PgAdminStore(pool, bot_id=bot), PgStatsStore(pool), clock=clock, cohorts=cohorts
            ),
            privacy=PrivacyService(PgPrivacyStore(pool, bot_id=bot), users, clock=clock),
            notes=NotesService(PgNoteStore(pool), clock),
            ratings=RatingService(PgRatingStore(pool), admin, clock),
            certificates=CertificateService(PgCertificateStore(pool), admin, clock),
            reviews=ReviewService(
                PgReviewStore(pool),
                clock,
                ReviewSettings(
                    new_per_day=settings.review_new_per_day,
                    reviews_per_day=settings.review_per_day,
                ),
            ),
            reminders=ReminderService(PgReminderStore(pool, bot), clock),
            goals=GoalService(PgGoalStore(pool, learning), clock, tzinfo_of),
            inputs=InputService(PgInputStore(pool), clock=clock),
            help=HelpService(
                PgHelpStore(pool, bot_id=bot),
                admin,
                settings=HelpSettings(
                    open_per_learner=settings.help_open_per_learner,
                    per_course_per_day=settings.help_per_course_per_day,
                    escalate_after=timedelta(hours=settings.help_escalate_hours),
                ),
                clock=clock,
            ),
        )
    finally:
        await pool.close()


@asynccontextmanager
async def open_course_import(
    settings: Settings, database_url: str
) -> AsyncIterator[CourseImportService]:
    """`tutorbot import`'s composition: the import alone, on a small pool (no bot needed)."""
    pool = await create_pool(database_url, max_size=2)
    try:
        yield CourseImportService(PgCourseImportStore(pool), build_embedder(settings))
    finally:
        await pool.close()


@asynccontextmanager
async def open_path_import(settings: Settings, database_url: str) -> AsyncIterator[PathService]:
    """`tutorbot import-path`'s composition: learning paths alone, on a small pool."""
    pool = await create_pool(database_url, max_size=2)
    try:
        yield PathService(PgPathStore(pool))
    finally:
        await pool.close()


@asynccontextmanager
async def open_search(
    settings: Settings, database_url: str
) -> AsyncIterator[tuple[Embedder, ChunkSearch]]:
    """`tutorbot search`'s composition: the tutor's retrieval, with its embedder."""
    pool = await create_pool(database_url, max_size=2)
    try:
        yield build_embedder(settings), PgChunkStore(pool)
    finally:
        await pool.close()


@asynccontextmanager
async def database(settings: Settings, *, apply_migrations: bool = True) -> AsyncIterator[str]:
    """Yield a database URL: DATABASE_URL as given, or a private embedded server."""
    embedded: EmbeddedPostgres | None = None
    if settings.database_url:
        url = settings.database_url
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        url = await embedded.start()
    try:
        if apply_migrations:
            applied = await migrate(url)
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
        yield url
    finally:
        if embedded is not None:
            await embedded.stop()


SCRATCH_PREFIX = "tutorbot_scratch_"


@asynccontextmanager
async def scratch_database(settings: Settings) -> AsyncIterator[str]:
    """A migrated throwaway database on the usual server (the embedded one under DATA_DIR,
    or DATABASE_URL's), dropped on exit: what `demo --script` plays in, so that a
    scripted learner never lands in anyone's statistics, exports, broadcast audiences or
    audit log, and every run starts from the same empty state."""
    async with database(settings, apply_migrations=False) as url:
        await drop_stale_databases(url, SCRATCH_PREFIX, older_than=24 * 3600)
        name = f"{SCRATCH_PREFIX}{int(time.time())}_{secrets.token_hex(4)}"
        try:
            async with embedded_scratch_database(name, url) as scratch:
                await migrate(scratch)
                yield scratch
        except asyncpg.InsufficientPrivilegeError:
            raise ConfigError(
                "demo --script plays in a scratch database it creates next to DATABASE_URL's "
                "and drops after, but this database user may not create databases "
                "(ALTER ROLE … CREATEDB, or run the demo on the embedded database)"
            ) from None


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
    """Outgoing pacing (`bot/transport/outgoing.py`): each chat at Telegram's per-chat pace, at most
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
