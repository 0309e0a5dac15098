"""Configuration errors name the variable in one line."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "DATABASE_URL",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "ADMIN_TELEGRAM_IDS",
        "WEBHOOK_PORT",
        "LOG_LEVEL",
        "TELEGRAM_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.database_url is None
    assert settings.webhook_path == "/telegram/updates"


def test_missing_token_is_one_clear_line() -> None:
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN is not set") as error:
        load_settings().require_token()
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://x"),
        ("WEBHOOK_URL", "http://insecure.example/telegram/x"),
        ("WEBHOOK_SECRET", "has spaces"),
        ("WEBHOOK_PORT", "70000"),
        ("ADMIN_TELEGRAM_IDS", "12,abc"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"^{variable} is invalid: ") as error:
        load_settings()
    assert "\n" not in str(error.value)


def test_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "1, 2 3")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/telegram/s3cret")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.admin_telegram_ids == frozenset({1, 2, 3})
    assert settings.webhook_path == "/telegram/s3cret"
    assert settings.telegram_api_url == "http://127.0.0.1:8081"


def test_dotenv_file_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("ADMIN_TELEGRAM_IDS=99\n")
    assert load_settings().admin_telegram_ids == frozenset({99})


def test_the_certificate_page_address_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PUBLIC_URL", "VERIFY_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().verify_base_url == "http://localhost:8080"
    assert load_settings(verify_port=8081).verify_base_url == "http://localhost:8081"
    hooked = load_settings(webhook_url="https://bot.example.com/telegram/updates")
    assert hooked.verify_base_url == "https://bot.example.com"
    chosen = load_settings(public_url="https://certs.example.org/", webhook_url=hooked.webhook_url)
    assert chosen.verify_base_url == "https://certs.example.org"
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_settings(public_url="certs.example.org")
