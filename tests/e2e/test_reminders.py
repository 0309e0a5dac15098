"""A learner sets study reminders in their own time and gets them there: through the real
Application, the Bot API emulator and the real database, a fake clock driven across days
with the sweep running every few minutes as the job queue would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from telegram.ext import Application

from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.jobs.reminders import ReminderSender
from tests.support import Dialogue
from tests.support.clock import FakeClock
from tests.support.courses import DEMO_PACK, import_pack

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")
REMINDER_BUTTONS = ["▶ Continue", "⏰ Snooze 2 h", "🔕 Stop"]


@pytest.fixture(autouse=True)
async def demo_course(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)


class Days:
    """The fake clock moved on in steps, a sweep after each, as every replica's job does;
    records the clock's time whenever a new message reached one of the learners."""

    def __init__(
        self, clock: FakeClock, services: Services, app: Application, emu: BotApiEmulator
    ) -> None:
        self.clock, self.services, self.app, self.emu = clock, services, app, emu

    async def run(
        self, until: datetime, *learners: int, every: timedelta = timedelta(minutes=5)
    ) -> dict[int, list[tuple[datetime, str]]]:
        arrived: dict[int, list[tuple[datetime, str]]] = {i: [] for i in learners}
        seen = {i: len(self.emu.bot_messages(i)) for i in learners}
        while self.clock.now < until:
            self.clock.now = min(self.clock.now + every, until)
            await ReminderSender(self.services, self.app.bot).sweep()
            for i in learners:
                messages = self.emu.bot_messages(i)
                arrived[i] += [(self.clock.now, m.text or "") for m in messages[seen[i] :]]
                seen[i] = len(messages)
        return arrived


@pytest.fixture
def days(clock, services, application, emulator) -> Days:
    return Days(clock, services, application, emulator)


def buttons(message) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def enrolled(learner: Dialogue, zone: str) -> None:
    await learner.send(f"/timezone {zone}")
    await learner.send("/start ml-foundations")


async def test_a_learner_in_tokyo_gets_theirs_at_their_19_00_and_never_in_quiet_hours(
    talk, clock: FakeClock, days: Days
) -> None:
    clock.now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    aiko: Dialogue = talk(81, "Aiko")
    await enrolled(aiko, "Asia/Tokyo")

    await aiko.send("/remind 19:00")
    assert "Every day at <b>19:00</b>, your time (Asia/Tokyo)" in aiko.last.html
    assert "Next: at 19:00 JST." in aiko.last.text
    await aiko.send("/remind quiet 22:00-07:00")
    assert "Quiet hours: 22:00–07:00." in aiko.last.text

    arrived = (await days.run(clock.now + timedelta(days=4), 81))[81]
    local = [at.astimezone(TOKYO) for at, _ in arrived]
    assert [(t.day, t.hour, t.minute) for t in local] == [(d, 19, 0) for d in (2, 3, 4, 5)]
    assert "topics left in Module 1" in arrived[0][1]
    assert buttons(days.emu.bot_messages(81)[-1]) == REMINDER_BUTTONS
    assert len({text for _, text in arrived}) == 4, "four days, four wordings"


async def test_a_snooze_into_the_night_waits_for_the_end_of_quiet_hours(
    talk, clock: FakeClock, days: Days
) -> None:
    clock.now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    aiko: Dialogue = talk(81, "Aiko")
    await enrolled(aiko, "Asia/Tokyo")
    await aiko.send("/remind 21:00")
    await aiko.send("/remind quiet 22:00-07:00")
    # Someone who asks for 03:00 in their quiet night gets it when the night ends.
    kenji: Dialogue = talk(82, "Kenji")
    await enrolled(kenji, "Asia/Tokyo")
    await kenji.send("/remind quiet 22:00-07:00")
    assert "Reminders are off." in kenji.last.text
    await kenji.send("/remind 03:00")

    [(at, _)] = (await days.run(datetime(2026, 3, 2, 12, 5, tzinfo=UTC), 81))[81]
    assert at.astimezone(TOKYO).hour == 21  # 21:05 JST
    await aiko.press("⏰ Snooze 2 h")
    assert "tomorrow at 07:00 JST" in (aiko.last_callback.answer_text or ""), (
        "23:00 is quiet: 07:00 instead"
    )

    arrived = await days.run(datetime(2026, 3, 4, 0, 0, tzinfo=UTC), 81, 82)
    aiko_hours = [at.astimezone(TOKYO).hour for at, _ in arrived[81]]
    assert aiko_hours == [7], "the snoozed one at 07:00 is that day's one: at most one a day"
    kenji_times = [at.astimezone(TOKYO) for at, _ in arrived[82]]
    assert [(t.hour, t.minute) for t in kenji_times] == [(7, 0), (7, 0)]
