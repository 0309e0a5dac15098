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
    await learner.press("⚽ Sports")


async def reading_in(talk, zone: str, *commands: str, user_id: int = 81) -> Dialogue:
    """A learner in `zone`, enrolled in the demo course, who then sent `commands`."""
    learner: Dialogue = talk(user_id, f"Learner{user_id}")
    await enrolled(learner, zone)
    for text in commands:
        await learner.send(text)
    return learner


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
    assert "weekly now" in arrived[3][1], "three went by without study: weekly from here"


async def test_a_snooze_into_the_night_waits_for_the_end_of_quiet_hours(
    talk, clock: FakeClock, days: Days
) -> None:
    clock.now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    aiko = await reading_in(talk, "Asia/Tokyo", "/remind 21:00", "/remind quiet 22:00-07:00")
    # Someone who asks for 03:00 in their quiet night gets it when the night ends.
    kenji = await reading_in(talk, "Asia/Tokyo", "/remind quiet 22:00-07:00", user_id=82)
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


async def test_moving_to_another_zone_moves_the_next_reminder_to_19_00_there(
    talk, clock: FakeClock, days: Days
) -> None:
    clock.now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    aiko = await reading_in(talk, "Asia/Tokyo", "/remind 19:00", "/timezone Berlin")
    [(at, _)] = (await days.run(clock.now + timedelta(days=1), 81))[81]
    assert at.astimezone(BERLIN).hour == 19
    await aiko.send("/remind")
    assert "Every day at 19:00, your time (Europe/Berlin)." in aiko.last.text


@pytest.mark.parametrize(
    ("start", "change"),
    [
        (datetime(2026, 3, 28, 0, 0, tzinfo=UTC), "spring forward, Sunday 29 March"),
        (datetime(2026, 10, 24, 0, 0, tzinfo=UTC), "fall back, Sunday 25 October"),
    ],
)
async def test_a_learner_in_berlin_keeps_their_local_time_across_daylight_saving(
    talk, clock: FakeClock, days: Days, start: datetime, change: str
) -> None:
    clock.now = start
    lena: Dialogue = talk(49, "Lena")
    await enrolled(lena, "Europe/Berlin")
    await lena.send("/remind 19:00")
    await lena.send("/remind quiet 23:00-06:30")

    # Saturday, Sunday (the change, at 02:00 or 03:00) and Monday.
    arrived = (await days.run(start + timedelta(days=3), 49, every=timedelta(minutes=5)))[49]
    local = [at.astimezone(BERLIN) for at, _ in arrived]
    assert [(t.hour, t.minute) for t in local] == [(19, 0)] * 3, change
    assert len({t.date() for t in local}) == 3
    assert len({at.utcoffset() for at in local}) == 2, f"the offset changed: {change}"


async def test_ignored_reminders_back_off_to_weekly_then_stop_and_the_learner_is_told(
    talk, clock: FakeClock, days: Days
) -> None:
    clock.now = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # a Monday
    sam: Dialogue = talk(7, "Sam")
    await enrolled(sam, "UTC")
    await sam.send("/remind 19:00")

    arrived = (await days.run(clock.now + timedelta(days=30), 7, every=timedelta(minutes=30)))[7]
    sent_on = [at.day for at, _ in arrived]
    # Daily 4, 5, 6; the 4th (7 May) says it goes weekly; 14, 21 May; 28 May is the last.
    assert sent_on == [4, 5, 6, 7, 14, 21, 28]
    texts = [text for _, text in arrived]
    assert "I'll remind you weekly now" in texts[3]
    assert not any("weekly" in t for t in texts[:3] + texts[4:])
    assert "I'll stop reminding you; /remind turns it back on." in texts[-1]

    await sam.send("/remind")
    assert "Reminders are off." in sam.last.text
    await sam.press("⏰ Daily at 19:00")
    assert "Every day at 19:00" in sam.last.text
    again = (await days.run(clock.now + timedelta(days=1), 7, every=timedelta(minutes=30)))[7]
    assert len(again) == 1 and "weekly" not in again[0][1]


async def test_studying_after_a_reminder_keeps_it_daily(talk, clock: FakeClock, days: Days) -> None:
    clock.now = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    sam: Dialogue = talk(7, "Sam")
    await enrolled(sam, "UTC")
    await sam.send("/remind 19:00")
    reminders = []
    for _ in range(5):
        [(_at, text)] = (await days.run(clock.now + timedelta(days=1), 7))[7]
        reminders.append(text)
        await sam.press("▶ Continue")  # Home, below the reminder
        await sam.press("▶ Machine Learning Foundations")
        await sam.press("▶ Continue:")
        await sam.press("✅ Complete")
    assert len(reminders) == 5
    assert not any("weekly" in text for text in reminders)


@pytest.mark.parametrize("typed", ["25:99", "tomorrow", "quiet 22:00", "quiet 7-7", "19:00 please"])
async def test_a_time_that_is_not_one_changes_nothing_and_names_the_forms(
    talk, pool: asyncpg.Pool, typed: str
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/remind 19:00")
    before = await pool.fetchrow("SELECT * FROM reminders WHERE user_id = 42")
    await ada.send(f"/remind {typed}")
    assert f"“{typed}” isn't a time I can remind you at. Nothing changed." in ada.last.text
    for form in ("/remind 19:00", "/remind usual", "/remind quiet 22:00-07:00", "/remind off"):
        assert form in ada.last.text
    assert await pool.fetchrow("SELECT * FROM reminders WHERE user_id = 42") == before


async def test_remind_off_and_the_stop_button_stop_them(talk, clock: FakeClock, days: Days) -> None:
    clock.now = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    ada: Dialogue = talk(42, "Ada")
    await enrolled(ada, "UTC")
    await ada.send("/remind 8am")
    assert "Every day at <b>08:00</b>" in ada.last.html
    [_] = (await days.run(clock.now + timedelta(hours=9), 42))[42]
    await ada.press("🔕 Stop")
    assert ada.last_callback.answer_text == "🔕 Reminders stopped; /remind turns them back on."
    assert (await days.run(clock.now + timedelta(days=2), 42))[42] == []
    await ada.send("/remind usual")
    assert "I'll learn when that is" in ada.last.text
    await ada.send("/remind off")
    assert "Reminders are off." in ada.last.text


async def test_a_reminder_names_the_cards_due_and_opens_the_review(
    talk, clock: FakeClock, days: Days, emulator: BotApiEmulator
) -> None:
    clock.now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    ben: Dialogue = talk(81, "Ben")
    await enrolled(ben, "Europe/Berlin")
    await ben.send("/review")  # topic 1.3's card joins the deck; Ben leaves it unanswered
    assert len(emulator.polls(81)) == 1
    await ben.send("/remind 19:00")

    arrived = (await days.run(datetime(2026, 3, 2, 18, 30, tzinfo=UTC), 81))[81]
    assert len(arrived) == 1 and "1 card due" in arrived[0][1]
    assert buttons(emulator.bot_messages(81)[-1]) == ["🔁 Review now", *REMINDER_BUTTONS]
    await ben.press("🔁 Review now")
    assert len(emulator.polls(81)) == 2, "the card is asked again below the reminder"
    assert "🔁 Review now" in buttons(emulator.bot_messages(81)[-3]), "the reminder stays"
