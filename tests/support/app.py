"""Feeding emulator-built updates into the real Application the way production does:
stored in the durable inbox first, then processed by the inbox worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import Application

from bot.app import inbox_worker


def deliver_to(application: Application) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """`await deliver(update)` returns once the update has been handled (or was a repeat)."""
    return inbox_worker(application).deliver
