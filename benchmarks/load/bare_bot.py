"""The baseline bot: a bare PTB Application that answers every update with one sendMessage.

No database, no inbox, PTB's default settings (`concurrent_updates` 1: one update handled at
a time) and PTB's own webhook server (`run_webhook`, tornado: the `webhooks` extra). With
`--transport httpx` the Bot API calls go through PTB's default `HTTPXRequest`; with
`--transport aiohttp` through ours, `bot.transport.request.AiohttpRequest`. Nothing else differs.

Run by benchmarks/webhook_load.py as a child process:

    python -m benchmarks.load.bare_bot --transport httpx --api-url http://127.0.0.1:PORT \\
        --token 123456:LOAD-token_abcdefghijk --port 8081 --path telegram/load --secret S
"""

from __future__ import annotations

import argparse
import logging

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, "Noted, thanks!")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--transport", choices=["httpx", "aiohttp"], required=True)
    parser.add_argument("--api-url", required=True, help="the Bot API server (no /bot suffix)")
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="webhook path, e.g. telegram/load")
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    api = args.api_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(args.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
    )
    if args.transport == "aiohttp":
        from bot.transport.request import AiohttpRequest

        builder = builder.request(AiohttpRequest())
    application = builder.build()
    application.add_handler(TypeHandler(Update, answer))
    application.run_webhook(
        listen="127.0.0.1",
        port=args.port,
        url_path=args.path,
        secret_token=args.secret,
        webhook_url=f"http://127.0.0.1:{args.port}/{args.path}",
    )


if __name__ == "__main__":
    main()
