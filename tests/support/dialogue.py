"""A chat with the bot that a test can read like a conversation.

    chat = Dialogue(emu, deliver=feed, user_id=42, first_name="Ada")
    await chat.send("/start")
    await chat.press("Enroll")
    assert chat.last.text == "You're enrolled"

The emulator builds each Update exactly as Telegram would; ``deliver`` hands it to the
bot (typically ``application.process_update(Update.de_json(update, application.bot))``)
and the helper then reads what the bot sent or edited through the emulator. Keeping
``deliver`` injected means the helper knows nothing about how the application is built.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator import BotApiEmulator, CallbackQuery, ChatMessage, render_transcript

Update = dict[str, Any]
Deliver = Callable[[Update], Awaitable[Any] | Any]


class Dialogue:
    """One user talking to the bot in one chat (their private chat unless ``chat`` is given).

    ``require_callback_answer``: a press the bot never answers leaves a spinner on the
    user's button in real Telegram, so by default :meth:`press` fails when that happens.
    """

    def __init__(
        self,
        emu: BotApiEmulator,
        deliver: Deliver,
        *,
        user_id: int = 42,
        first_name: str = "Ada",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        chat: int | None = None,
        require_callback_answer: bool = True,
    ) -> None:
        self.emu = emu
        self._deliver = deliver
        self.user = emu.user(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.chat_id = chat if chat is not None else user_id
        self._group = chat
        self.require_callback_answer = require_callback_answer
        self.replies: list[ChatMessage] = []
        self.last_callback: CallbackQuery | None = None

    # -- acting as the user ----------------------------------------------------------------

    async def send(self, text: str, *, reply_to: int | None = None) -> list[ChatMessage]:
        """Type ``text`` and send it; returns the bot messages sent or edited in reply."""
        return await self._act(
            lambda: self.emu.send_text(
                self.user.id, text, chat=self._group, reply_to=reply_to, deliver=False
            )
        )

    async def send_photo(
        self, data: bytes | None = None, *, caption: str | None = None
    ) -> list[ChatMessage]:
        return await self._act(
            lambda: self.emu.send_photo(
                self.user.id, data, caption=caption, chat=self._group, deliver=False
            )
        )

    async def send_document(
        self,
        data: bytes,
        *,
        file_name: str = "file.bin",
        caption: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
    ) -> list[ChatMessage]:
        return await self._act(
            lambda: self.emu.send_document(
                self.user.id,
                data,
                file_name=file_name,
                mime_type=mime_type,
                caption=caption,
                file_size=file_size,
                chat=self._group,
                deliver=False,
            )
        )

    async def send_sticker(self, emoji: str = "👍") -> list[ChatMessage]:
        return await self._act(
            lambda: self.emu.send_sticker(self.user.id, emoji, chat=self._group, deliver=False)
        )

    async def answer_poll(
        self, option: int | None = None, *, options: list[int] | None = None
    ) -> list[ChatMessage]:
        """Vote in the newest poll the bot sent in this chat: ``option=1`` for one answer,
        ``options=[0, 2]`` for several, ``options=[]`` to retract. Returns what the bot
        sent or edited in reply to the ``poll_answer`` (nothing reaches it from an
        anonymous poll)."""
        chosen = options if options is not None else ([] if option is None else [option])
        polls = self.emu.polls(self.chat_id)
        if not polls:
            raise AssertionError("the bot has not sent a poll in this chat\n" + self.transcript())
        return await self._act(
            lambda: self.emu.answer_poll(self.user.id, polls[-1], chosen, deliver=False)
        )

    async def press(self, label: str) -> list[ChatMessage]:
        """Press the inline button labelled ``label`` on the newest bot message that has it.

        An exact label wins; otherwise a button whose label contains ``label`` (case
        -insensitively) is pressed if it is the only one on that message. Fails with the
        visible buttons listed when there is no such button or the choice is ambiguous.
        """
        message, data = self._find_button(label)
        return await self._press(message.message_id, data, label)

    async def press_forged(self, data: str, message_id: int | None = None) -> list[ChatMessage]:
        """Send callback data no button carries, as a modified client could."""
        target = message_id if message_id is not None else self.last.message_id
        return await self._press(target, data, f"forged {data!r}", forged=True)

    async def _press(
        self, message_id: int, data: str, label: str, *, forged: bool = False
    ) -> list[ChatMessage]:
        pressed: list[Update] = []

        def make_update() -> Update:
            update = self.emu.press_button(
                self.user.id, message_id, data, chat=self._group, deliver=False, forged=forged
            )
            pressed.append(update)
            return update

        replies = await self._act(make_update)
        # This press's own query (other dialogues may be pressing at the same moment).
        self.last_callback = self.emu.callback_queries[pressed[0]["callback_query"]["id"]]
        if self.require_callback_answer and not self.last_callback.answered:
            raise AssertionError(
                f"the bot never answered the callback query of [{label}] "
                "(answerCallbackQuery); Telegram would leave the button spinning.\n"
                + self.transcript()
            )
        return replies

    # -- reading the chat ------------------------------------------------------------------

    @property
    def messages(self) -> list[ChatMessage]:
        """The bot's messages in this chat that still exist, oldest first."""
        return self.emu.bot_messages(self.chat_id)

    @property
    def last(self) -> ChatMessage:
        """The bot's newest message (as currently shown, i.e. after edits)."""
        messages = self.messages
        if not messages:
            raise AssertionError("the bot has not sent anything in this chat")
        return messages[-1]

    @property
    def answer_text(self) -> str | None:
        """The toast/alert text the bot showed for the last press (None: silent answer)."""
        return self.last_callback.answer_text if self.last_callback else None

    def transcript(self, *, include_actions: bool = False) -> str:
        return render_transcript(self.emu.events(self.chat_id), include_actions=include_actions)

    # -- internals -------------------------------------------------------------------------

    async def _act(self, make_update: Callable[[], Update | None]) -> list[ChatMessage]:
        before = {m.message_id: m.edit_count for m in self.emu.bot_messages(self.chat_id)}
        update = make_update()
        if update is not None:  # None: Telegram wouldn't show it to the bot (group privacy)
            result = self._deliver(update)
            if inspect.isawaitable(result):
                await result
        self.replies = [
            message
            for message in self.emu.bot_messages(self.chat_id)
            if message.message_id not in before or message.edit_count > before[message.message_id]
        ]
        return self.replies

    def _find_button(self, label: str) -> tuple[ChatMessage, str]:
        wanted = label.casefold()
        for message in reversed(self.messages):
            buttons = [button for row in message.inline_keyboard for button in row]
            exact = [b for b in buttons if b.get("text") == label]
            matches = exact or [b for b in buttons if wanted in str(b.get("text", "")).casefold()]
            if len(matches) > 1:
                raise AssertionError(
                    f"{label!r} matches several buttons on message #{message.message_id}: "
                    f"{[b.get('text') for b in matches]}\n{self._visible_buttons()}"
                )
            if matches:
                button = matches[0]
                data = button.get("callback_data")
                if not isinstance(data, str):
                    kind = next((k for k in button if k != "text"), "no action")
                    raise AssertionError(
                        f"button [{button.get('text')}] is a {kind} button, not a callback "
                        "button; pressing it would not reach the bot"
                    )
                return message, data
        raise AssertionError(f"no button {label!r} in the chat.\n{self._visible_buttons()}")

    def _visible_buttons(self) -> str:
        lines = [
            f"  #{m.message_id} {m.content[:40]!r}: "
            + " ".join(f"[{text}]" for row in m.buttons for text in row)
            for m in self.messages
            if m.buttons
        ]
        return "Visible buttons:\n" + ("\n".join(lines) if lines else "  (none)")
