"""The Bot API methods about the bot itself: who it is, how it gets updates, its commands.

getMe, logOut and close; getUpdates and the webhook methods, which hand over to the update
queue (``delivery.py``); the command lists per scope and language, and the menu button.
None of them touches a chat's messages, which is why they live apart from ``methods.py``.
"""

from __future__ import annotations

import json
import re

from bot.emulator import checks
from bot.emulator.core import EmulatorCore
from bot.emulator.delivery import WebhookConfig
from bot.emulator.state import ApiError, Json


class AccountMethods(EmulatorCore):
    """The bot's own settings, as Telegram keeps them."""

    async def _ok(self, params: Json) -> bool:
        return True

    async def _get_me(self, params: Json) -> Json:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Json) -> list[Json]:
        return await self.queue.get_updates(
            offset=params.get("offset"),
            limit=min(max(int(params.get("limit") or 100), 1), 100),
            poll_seconds=max(float(params.get("timeout") or 0), 0.0),
            allowed_updates=params.get("allowed_updates"),
        )

    async def _set_webhook(self, params: Json) -> bool:
        drop = bool(params.get("drop_pending_updates"))
        url = params.get("url", "")
        if not url:
            self.queue.set_webhook(None, drop_pending=drop)
            return True
        checks.check_webhook_url(url)
        checks.check_secret_token(params.get("secret_token"))
        max_connections = params.get("max_connections", 40)
        if not 1 <= max_connections <= 100:
            raise ApiError.bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        config = WebhookConfig(
            url=url,
            secret_token=params.get("secret_token"),
            max_connections=max_connections,
            allowed_updates=list(allowed) if allowed else None,
            ip_address=params.get("ip_address"),
        )
        self.queue.set_webhook(config, drop_pending=drop)
        return True

    async def _delete_webhook(self, params: Json) -> bool:
        self.queue.set_webhook(None, drop_pending=bool(params.get("drop_pending_updates")))
        return True

    async def _get_webhook_info(self, params: Json) -> Json:
        return self.queue.webhook_info()

    async def _set_my_commands(self, params: Json) -> bool:
        commands = checks.normalize_commands(params["commands"])
        key = self._commands_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Json) -> list[dict[str, str]]:
        return [dict(c) for c in self.commands.get(self._commands_key(params), [])]

    async def _delete_my_commands(self, params: Json) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _commands_key(self, params: Json) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError.bad_request("invalid language code specified")
        if scope.get("type") in ("chat", "chat_administrators", "chat_member"):
            # "@name", "42" and 42 are the same chat, so they must be the same scope
            scope = {**scope, "chat_id": self._resolve_chat(scope.get("chat_id")).id}
        return json.dumps(scope, sort_keys=True), language

    async def _set_chat_menu_button(self, params: Json) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat = self._resolve_chat(chat_id)
            if chat.type != "private":
                raise ApiError.bad_request("menu button can be set only in private chats")
            chat_id = chat.id
        self.menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: Json) -> Json:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(chat_id).id
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        if button is None or button.get("type") == "default":
            return {"type": "commands"}
        return dict(button)
