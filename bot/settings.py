"""Runtime configuration, read once from the environment (and `.env`) at start-up.

Every value is validated here so that a typo stops the process with one line naming
the variable, instead of surfacing later as a confusing failure inside a handler.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is meant to be printed as is."""


def bot_id_of(token: str) -> int:
    """The bot a token belongs to: Telegram's tokens are `<bot id>:<secret>`. Rows a bot
    claims in a shared database carry this id, so two bots never take each other's."""
    head, _, _ = token.partition(":")
    if not head.isdigit():
        raise ValueError("a bot token starts with the bot's numeric id and a colon")
    return int(head)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # Messages per second this process sends at most (Telegram: ~30/s for a bot; 0 = no cap).
    telegram_rate_limit: int = Field(default=30, ge=0, le=1000)
    # Messages (sends and edits) one chat gets at once; sustained, 1 a second (Telegram's
    # per-chat limit). 0 = no per-chat pacing (a 429 still pauses only that chat).
    telegram_chat_burst: int = Field(default=3, ge=0, le=100)
    # Incoming flood control, per learner and per process (0 = off): messages and button
    # presses per minute with a burst allowance, and typed questions (model calls) likewise.
    flood_messages_per_minute: int = Field(default=60, ge=0, le=6000)
    flood_burst: int = Field(default=30, ge=1, le=1000)
    flood_questions_per_minute: int = Field(default=10, ge=0, le=600)
    flood_question_burst: int = Field(default=5, ge=1, le=100)
    database_url: str | None = None
    data_dir: Path = Path("data")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # Telegram's max_connections: simultaneous HTTPS connections it opens to deliver updates.
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # Certificates: the public address their verification page is reached at (the QR code
    # and links carry <PUBLIC_URL>/verify/<code>); unset: the WEBHOOK_URL's origin, else
    # http://localhost:<VERIFY_PORT>. In polling mode the page is served only when
    # VERIFY_PORT is set (webhook mode serves it on WEBHOOK_PORT).
    public_url: str | None = None
    verify_port: int | None = Field(default=None, ge=1, le=65535)
    # Verification page requests per minute from one address (0 = no limit).
    verify_per_minute: int = Field(default=30, ge=0, le=100000)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    # The chat model that answers learners' questions (any OpenAI-compatible endpoint).
    openai_chat_model: str = "gpt-4o-mini"
    # Longest a learner waits for an answer before being told the model is not answering.
    llm_timeout_seconds: float = Field(default=45.0, ge=1, le=600)
    # How often a streamed answer's message is edited (Telegram: about one edit/s per chat).
    stream_edit_seconds: float = Field(default=1.5, ge=0.01, le=60)
    embedding_backend: Literal["auto", "local", "minilm", "openai"] = "auto"
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int = Field(default=512, ge=1, le=2000)
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # How often the scheduler looks for quiz cooldowns that fell due (a safety net: each new
    # cooldown also gets a one-off job at its exact end).
    cooldown_sweep_seconds: int = Field(default=60, ge=1, le=3600)
    # Spaced review's daily caps per learner, across courses, reset at their midnight: new
    # cards (never reviewed) and reviews. A backlog then waits rather than swamps.
    review_new_per_day: int = Field(default=10, ge=0, le=1000)
    review_per_day: int = Field(default=50, ge=1, le=1000)
    # How often the scheduler looks for study reminders that fell due (bot/jobs/reminders.py).
    reminder_sweep_seconds: int = Field(default=60, ge=1, le=3600)
    # Asking a human tutor: open requests a learner may have at once, requests a course
    # takes a day, and the hours a request may wait for its first answer before the learner
    # is told and the admins get it (swept every `help_sweep_seconds`).
    help_open_per_learner: int = Field(default=2, ge=1, le=50)
    help_per_course_per_day: int = Field(default=30, ge=1, le=10000)
    help_escalate_hours: int = Field(default=24, ge=1, le=24 * 14)
    help_sweep_seconds: int = Field(default=300, ge=1, le=3600)
    # The durable inbox: how long a replica's claim on an update lasts without a heartbeat
    # (a dead replica's updates are re-processed after this), how many updates one process
    # works on at once, and how long processed update ids are remembered (Telegram
    # re-delivers for at most 24 hours).
    inbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    inbox_max_in_flight: int = Field(default=256, ge=1, le=10000)
    inbox_retention_hours: int = Field(default=48, ge=25, le=24 * 30)
    # On SIGTERM, how long running updates may take to finish before they are handed back.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # "json": one JSON object per line (ts, level, logger, event, update_id, user_id).
    log_format: Literal["text", "json"] = "text"
    # "auto": uvloop where it is installed (Linux, macOS), else asyncio's own loop.
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("expected the token BotFather gave you, like 123456:ABC-DEF…")
        return value

    @field_validator("telegram_api_url", "openai_base_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        # Telegram requires https; plain http is accepted on loopback for a local Bot API
        # server (telegram-bot-api --local) and for tests.
        secure = re.match(r"^https://[^\s/]+/telegram/[A-Za-z0-9_-]+$", value)
        local = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/telegram/[A-Za-z0-9_-]+$", value)
        if not (secure or local):
            raise ValueError(
                "expected the public https URL Telegram posts to, ending in /telegram/<path>, "
                "e.g. https://bot.example.com/telegram/updates"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^postgres(ql)?://", value):
            raise ValueError("expected a postgresql:// URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - only.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            if not all(re.fullmatch(r"-?\d+", p) for p in parts):
                raise ValueError("expected Telegram user ids separated by commas")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @property
    def webhook_path(self) -> str:
        """The path our server listens on, taken from WEBHOOK_URL so operators set one value."""
        if not self.webhook_url:
            return "/telegram/updates"
        return "/" + self.webhook_url.split("://", 1)[1].partition("/")[2]

    @property
    def verify_base_url(self) -> str:
        """Where the certificate verification page is reached (no trailing slash)."""
        if self.public_url:
            return self.public_url
        if self.webhook_url:
            scheme, rest = self.webhook_url.split("://", 1)
            return f"{scheme}://{rest.partition('/')[0]}"
        return f"http://localhost:{self.verify_port or self.webhook_port}"

    def secrets(self) -> list[str]:
        """Values that must never reach a log line (they are replaced by ***)."""
        held = (self.telegram_bot_token, self.webhook_secret, self.openai_api_key)
        return [value.get_secret_value() for value in held if value is not None]

    def require_token(self) -> str:
        if self.telegram_bot_token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
                "environment or .env (or run `tutorbot demo` to try the bot without one)"
            )
        return self.telegram_bot_token.get_secret_value()

    @property
    def bot_id(self) -> int | None:
        """The bot TELEGRAM_BOT_TOKEN belongs to (None without a token)."""
        token = self.telegram_bot_token
        return bot_id_of(token.get_secret_value()) if token is not None else None

    def require_webhook_secret(self) -> str:
        if self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET is not set: webhook mode needs it so that only Telegram can post "
                "updates (1-256 characters of A-Z, a-z, 0-9, _ and -)"
            )
        return self.webhook_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise ConfigError with one readable line per the first bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {message}") from None
