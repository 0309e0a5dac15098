"""Registering the webhook with Telegram: one call shared by `tutorbot set-webhook` and
`tutorbot run` in webhook mode, so both always send the same URL, secret and limits."""

from __future__ import annotations

from telegram import Bot

from bot.app import ALLOWED_UPDATES
from bot.settings import ConfigError, Settings


def require_webhook_url(settings: Settings) -> str:
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is not set: it is the public https URL Telegram posts to")
    return settings.webhook_url


async def register_webhook(
    bot: Bot,
    settings: Settings,
    *,
    drop_pending: bool = False,
    max_connections: int | None = None,
) -> None:
    """setWebhook with WEBHOOK_URL, WEBHOOK_SECRET as the secret token and ALLOWED_UPDATES.

    ``max_connections`` (1-100) overrides WEBHOOK_MAX_CONNECTIONS; ``drop_pending`` discards
    the updates Telegram has queued. Raises ConfigError (before calling Telegram) when
    WEBHOOK_URL or WEBHOOK_SECRET is missing, and ValueError for an out-of-range limit.
    """
    url = require_webhook_url(settings)
    secret = settings.require_webhook_secret()
    limit = settings.webhook_max_connections if max_connections is None else max_connections
    if not 1 <= limit <= 100:
        raise ValueError(f"max_connections must be between 1 and 100, not {limit}")
    await bot.set_webhook(
        url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=limit,
        drop_pending_updates=drop_pending,
    )
