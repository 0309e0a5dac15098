"""Telegram user → domain profile."""

from __future__ import annotations

from telegram import User as TelegramUser

from domain.users import Profile


def profile_of(user: TelegramUser) -> Profile:
    return Profile(
        telegram_id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
