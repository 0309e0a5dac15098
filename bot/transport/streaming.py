"""An answer that grows in the chat while the model writes it.

Telegram lets a bot edit a message about once a second per chat before it starts
answering 429, so the text so far is shown at most every `interval` seconds; the final
text always replaces it at the end. A failed intermediate edit is not worth failing the
answer for: it is logged and the next one tries again.
"""

from __future__ import annotations

import logging
import time

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.views import tutor as views

log = logging.getLogger(__name__)

EDIT_INTERVAL = 1.5


class StreamingMessage:
    def __init__(
        self, bot: Bot, chat_id: int, message_id: int, *, interval: float = EDIT_INTERVAL
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._message_id = message_id
        self._interval = interval
        self._last = time.monotonic()
        self.edits = 0

    async def update(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        try:
            await self._bot.edit_message_text(
                views.streaming(text),
                chat_id=self._chat_id,
                message_id=self._message_id,
                parse_mode=ParseMode.HTML,
            )
            self.edits += 1
        except TelegramError as exc:
            log.info("streaming edit skipped: %s", exc)
