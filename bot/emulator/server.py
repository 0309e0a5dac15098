"""A local, single-bot imitation of the Telegram Bot API over real HTTP.

Why a server rather than a mocked ``Bot``: the real python-telegram-bot ``Bot`` and
``Application`` talk to it unchanged (only ``base_url`` differs), so requests go through
PTB's real serialisation, and the answers go through PTB's real, strict parsing. Every
call is checked against the published Bot API description and against Telegram's
content rules, and refused with Telegram's own error text — a test fails here for the same
reason production would.

The emulator also plays the users: ``send_text``/``press_button``/… create Updates shaped
exactly like Telegram's and deliver them by long polling (getUpdates) or webhook push, or
just return them for a test that feeds ``Application.process_update`` itself.

This module only puts the emulator together; each facet is a module of its own, over the
shared state in ``core.py``:

- ``http.py``: the HTTP server: routes, request parsing, checks against the spec, error
  answers, the record of calls;
- ``account.py`` and ``methods.py``: the Bot API methods (the bot's own settings; chats);
- ``users.py``: the simulated users, groups and channels;
- ``polls.py``: polls and quizzes (sendPoll, stopPoll, users voting);
- ``forums.py``: group membership (the bot's rights, its removal) and forum topics;
- ``inspection.py``: what tests read and assert;
- ``rates.py`` and ``faults.py``: Telegram's flood limits, and the trouble tests inject.

Everything runs on the event loop that called :meth:`BotApiEmulator.start`; the
user-simulation methods are synchronous and must be called from that loop's thread.
"""

from __future__ import annotations

from bot.emulator.account import AccountMethods
from bot.emulator.core import Handler
from bot.emulator.faults import Faults
from bot.emulator.forums import Forums
from bot.emulator.http import HttpServer
from bot.emulator.inspection import Inspection
from bot.emulator.methods import ChatMethods
from bot.emulator.polls import Polls
from bot.emulator.rates import RateLimits
from bot.emulator.spec import BotApiSpec
from bot.emulator.users import SimulatedUsers


class BotApiEmulator(
    Inspection,
    Forums,
    Polls,
    SimulatedUsers,
    ChatMethods,
    AccountMethods,
    RateLimits,
    Faults,
    HttpServer,
):
    """Telegram's Bot API for one bot, served on 127.0.0.1.

    >>> emu = BotApiEmulator(token="123456:TEST", spec=BotApiSpec.load(path))
    >>> base_url = await emu.start()   # "http://127.0.0.1:PORT"
    >>> bot = telegram.Bot(token, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot")

    Constructor flags:

    ``deliver``             False: updates made by the simulated users are only returned,
                            never queued for getUpdates/webhook (for ``process_update``).
    ``enforce_rate_limits`` True: answer 429 with ``retry_after`` instead of only recording
                            ``rate_warnings``.
    ``privacy_mode``        Telegram's group privacy: plain group messages that are not
                            commands, mentions or replies to the bot aren't delivered.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        spec: BotApiSpec | None = None,
        bot_username: str = "tutorbot_test_bot",
        bot_first_name: str = "Tutorbot",
        deliver: bool = True,
        enforce_rate_limits: bool = False,
        privacy_mode: bool = True,
        webhook_retries: int = 3,
        webhook_retry_delay: float = 0.05,
        host: str = "127.0.0.1",
        port: int = 0,
        first_update_id: int = 1,
    ) -> None:
        super().__init__(
            token,
            spec=spec,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            deliver=deliver,
            privacy_mode=privacy_mode,
            webhook_retries=webhook_retries,
            webhook_retry_delay=webhook_retry_delay,
            first_update_id=first_update_id,
        )
        self._setup_rates(enforce_rate_limits)
        self._setup_faults()
        self._setup_polls()
        self._setup_http(host, port, self._methods())

    def _methods(self) -> dict[str, Handler]:
        """The Bot API methods the emulator performs (others are refused as unsupported).
        Looked up on the instance, so a test's subclass can override one."""
        return {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "sendPoll": self._send_poll,
            "stopPoll": self._stop_poll,
            "copyMessage": self._copy_message,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
            "deleteForumTopic": self._delete_forum_topic,
        }
