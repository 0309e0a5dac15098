"""Telegram's flood limits, counted on every message the bot sends or edits.

Telegram allows about one message a second in a private chat (bursts of three), 20 a
minute in a group and 30 a second over all chats; beyond that it answers 429 with
``retry_after``. By default the emulator only records each excess (``rate_warnings``), so
a test can see that the bot would have been throttled without being slowed by it;
``enforce_rate_limits`` answers 429 as Telegram does. ``throttle_chat`` makes one chat
answer 429 on demand, the way a busy chat does in production.
"""

from __future__ import annotations

import math
from collections import deque

from bot.emulator.core import EmulatorCore, clock
from bot.emulator.state import ApiError, EmulatedChat, RateScope, RateWarning


class RateLimits(EmulatorCore):
    """Per-chat, per-group and overall send windows."""

    def _setup_rates(self, enforce: bool) -> None:
        self.enforce_rate_limits = enforce
        self.rate_warnings: list[RateWarning] = []
        self._chat_sends: dict[int, deque[float]] = {}
        self._global_sends: deque[float] = deque()
        self._throttled: dict[int, tuple[int, int]] = {}  # chat -> (calls left, retry_after)

    def throttle_chat(self, chat_id: int, retry_after: int, calls: int = 1) -> None:
        """The next `calls` messages or edits in this chat answer 429 with `retry_after`,
        as Telegram does when one chat gets more than it allows (other chats go on). Tests
        accept them with ``expect(429, chat_id=...)``."""
        self._throttled[chat_id] = (calls, retry_after)

    def _account_rate(self, chat: EmulatedChat, method: str) -> None:
        """Telegram's flood limits: ~1 msg/s per chat, 20/min per group, 30/s overall."""
        calls, retry_after = self._throttled.get(chat.id, (0, 0))
        if calls:
            self._throttled[chat.id] = (calls - 1, retry_after)
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        now = clock()
        per_chat = self._chat_sends.setdefault(chat.id, deque())
        rules: list[tuple[RateScope, deque[float], float, int]] = [
            ("chat", per_chat, 3.0, 3) if chat.type == "private" else ("group", per_chat, 60.0, 20),
            ("global", self._global_sends, 1.0, 30),
        ]
        for scope, sent, window, limit in rules:
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) + 1 > limit:
                self.rate_warnings.append(
                    RateWarning(
                        scope=scope,
                        chat_id=None if scope == "global" else chat.id,
                        count=len(sent) + 1,
                        window=window,
                        limit=limit,
                        method=method,
                    )
                )
                if self.enforce_rate_limits:
                    retry_after = max(1, math.ceil(sent[0] + window - now))
                    raise ApiError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
        per_chat.append(now)
        self._global_sends.append(now)
