"""What tests read: the chats as users see them, the calls the bot made, and what went wrong.

The read side of the emulator, apart from the machinery that fills it in. Besides plain
views of the state (``chat``, ``bot_messages``, ``events``, ``calls_to``, the webhook
figures) it keeps the guard every test relies on: ``rejections`` are the calls Telegram
would have refused, and ``assert_no_rejections`` fails on any that a test did not
``expect``. ``wait_for`` lets a test that runs the bot by polling wait for a state
without sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.emulator.core import EmulatorCore, EventListener
from bot.emulator.delivery import WebhookConfig
from bot.emulator.state import (
    ApiCall,
    CallbackQuery,
    ChatEvent,
    ChatMessage,
    EmulatedChat,
    EmulatorError,
    Json,
)


class Inspection(EmulatorCore):
    """Read-only views, plus ``expect`` to accept refusals a test provoked."""

    @property
    def rejections(self) -> list[ApiCall]:
        """Every call Telegram refused (non-2xx) while the bot was still listening."""
        return [
            call
            for call in self.calls
            if not call.ok and not call.abandoned and id(call) not in self._expected
        ]

    def expect(self, error_code: int, chat_id: int | None = None) -> list[ApiCall]:
        """Accept refusals a test provoked on purpose (e.g. 403 from a user who blocked the
        bot), so that ``assert_no_rejections`` keeps guarding everything else."""
        matched = [
            call
            for call in self.rejections
            if call.error_code == error_code
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]
        self._expected.update(id(call) for call in matched)
        return matched

    @property
    def warnings(self) -> list[str]:
        """Things Telegram accepted but a user would see as a bug (e.g. a literal ``&nbsp;``)."""
        return [f"{call.method}: {warning}" for call in self.calls for warning in call.warnings]

    def calls_to(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def assert_no_rejections(self) -> None:
        """Fail with a readable list if the bot made any call Telegram would refuse."""
        if self.rejections:
            lines = "\n".join(f"  {call}" for call in self.rejections)
            count = len(self.rejections)
            raise AssertionError(f"Telegram would have rejected {count} call(s):\n{lines}")

    def chat(self, chat_id: int) -> list[ChatMessage]:
        """All messages in the chat, oldest first, both sides, deleted ones included."""
        return list(self._known_chat(chat_id).messages)

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        return [
            message
            for message in self._known_chat(chat_id).messages
            if message.from_bot and (include_deleted or not message.deleted)
        ]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        found = self._known_chat(chat_id).find(message_id)
        if found is None:
            raise EmulatorError(f"chat {chat_id} has no message {message_id}")
        return found

    def events(self, chat_id: int | None = None) -> list[ChatEvent]:
        """What happened, in order (messages, edits, deletions, presses, answers)."""
        return [e for e in self._events if chat_id is None or e.chat_id == chat_id]

    def unanswered_callback_queries(self) -> list[CallbackQuery]:
        return [q for q in self.callback_queries.values() if not q.answered]

    def answered_callback_queries(self) -> list[CallbackQuery]:
        return [q for q in self.callback_queries.values() if q.answered]

    @property
    def pending_updates(self) -> list[Json]:
        """Updates queued for getUpdates or the webhook and not yet confirmed."""
        return list(self.queue.pending)

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.queue.webhook

    @property
    def webhook_deliveries(self) -> int:
        return self.queue.deliveries

    @property
    def webhook_failures(self) -> int:
        """Failed push attempts (each retry counts)."""
        return self.queue.failures

    @property
    def undelivered_updates(self) -> list[Json]:
        """Updates given up on after all webhook retries failed."""
        return list(self.queue.undelivered)

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener`` for every chat event (e.g. to print the chat in a terminal)."""
        self._listeners.append(listener)

    async def wait_for(self, predicate: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds, re-checking whenever the emulator's state changes.

        For tests that run the bot by polling: ``await emu.wait_for(lambda:
        len(emu.bot_messages(42)) == 1)``. Raises ``TimeoutError`` otherwise.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {within}s")
            await self._signal.wait(remaining)

    def _known_chat(self, chat_id: int) -> EmulatedChat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise EmulatorError(f"the emulator knows no chat {chat_id}")
        return chat
