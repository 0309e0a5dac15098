"""Handler registration: the one place that maps Telegram updates to our handlers."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, TypeHandler

from bot.handlers import start, system


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, system.drop_repeats), group=-1)
    application.add_handler(CommandHandler("start", start.start))
    application.add_handler(CommandHandler("help", start.help_command))
    application.add_error_handler(system.on_error)
