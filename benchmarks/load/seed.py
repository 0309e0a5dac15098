"""Returning learners, prepared in the database before the bot starts.

Through the domain services (as the bot's handlers use them, `bot.app.open_services`): the
user registered, enrolled in the demo course, persona chosen, module 1's four topics marked
complete and topic 1.4 opened in their chat (so a typed question has a course context).
Their next /start shows the course under "Your courses", and module 1 offers its quiz.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from benchmarks.load.learners import learner_name
from bot.app import open_services
from bot.settings import load_settings
from domain.personas import Persona
from domain.users import Profile

COURSE = "ml-foundations"
# The bots under load use benchmarks.load.harness.TOKEN; the seeding only needs one that
# parses (its number is the bot the rows belong to), so it runs with nothing configured.
TOKEN = "123456:LOAD-token_abcdefghijk"
MODULE_1_TOPICS = 4


async def returning_learners(url: str, data_dir: Path, first_id: int, count: int) -> float:
    """Seed `count` returning learners with ids from `first_id`; the seconds it took."""
    started = time.perf_counter()
    settings = load_settings(
        _env_file=None,
        embedding_backend="local",
        data_dir=data_dir,
        telegram_bot_token=TOKEN,
    )
    personas = list(Persona)
    async with open_services(settings, url) as services:
        course = await services.learning.course_by_slug(COURSE)
        if course is None:
            raise RuntimeError(f"the demo course {COURSE!r} is not imported")
        gate = asyncio.Semaphore(8)

        async def seed(user_id: int) -> None:
            async with gate:
                await services.users.register(Profile(user_id, learner_name(user_id)))
                await services.learning.enroll(user_id, course.id)
                persona = personas[user_id % len(personas)]
                await services.learning.choose_persona(user_id, course.id, persona)
                for topic in range(1, MODULE_1_TOPICS + 1):
                    await services.learning.complete_topic(user_id, course.id, 1, topic)
                await services.learning.open_topic(
                    user_id, user_id, course.id, 1, MODULE_1_TOPICS, 0
                )

        await asyncio.gather(*(seed(first_id + n) for n in range(count)))
    return time.perf_counter() - started
