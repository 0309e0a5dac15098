"""Feeding emulator-built updates straight into the real Application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application


def deliver_to(application: Application) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def deliver(update: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(update, application.bot))

    return deliver
