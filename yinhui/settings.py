"""Settings in one place: environment variables (YINHUI_*) and an optional .env file."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["zh", "en"]
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """What an operator may set. Every field has a working default for the embedded setup."""

    model_config = SettingsConfigDict(
        env_prefix="YINHUI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path("data"), description="where the SQLite file and outputs live")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite under data_dir"
    )
    timezone: str = Field(default="Asia/Shanghai", description="the bureau's day")
    language: Language = Field(default="zh", description="en for English digests and messages")
    cli_language: Language | None = Field(
        default=None, description="the operator's command line; default the bureau's language above"
    )
    playbook: Path | None = Field(default=None, description="the bureau's playbook; default ships")
    telegram_token: SecretStr | None = Field(
        default=None, description="the bot token BotFather gave; else the Prefect Secret block below"
    )
    telegram_token_block: str = Field(
        default="yinhui-telegram-token", description="Prefect Secret block holding the bot token"
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot",
        description="the Bot API address (a local Bot API server, a test stand-in)",
    )
    telegram_webhook_secret: str | None = Field(
        default=None, description="secret Telegram sends with each webhook call; default a random one per start"
    )
    web_url: str | None = Field(
        default=None, description="the task page's public address (https://... behind a proxy); digests link to it"
    )
    web_secret: SecretStr | None = Field(
        default=None, description="key signing the task page's cookies; default a random one kept in data_dir"
    )
    web_threads: int | None = Field(
        default=None, ge=1, le=64,
        description="requests the task page works on at once; default 2 (more only for a database across a network)",
    )

    @property
    def operator_language(self) -> str:
        """The language of the command line's own words (headers, refusals, summaries)."""
        return self.cli_language or self.language

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        import pendulum

        try:
            pendulum.timezone(value)
        except Exception as exc:  # pendulum raises several types for unknown zones
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_token")
    @classmethod
    def _no_placeholder_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in {
            "", "changeme", "change-me", "your-token", "xxx",
        }:
            raise ValueError("YINHUI_TELEGRAM_TOKEN is a placeholder; set the token BotFather gave you")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: str | None) -> str | None:
        # Telegram refuses a webhook whose secret is not 1-256 of these characters.
        if not value:
            return None  # set but empty: a random secret per start, as when unset
        if not _WEBHOOK_SECRET.fullmatch(value):
            raise ValueError("YINHUI_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("web_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("YINHUI_WEB_URL must be an http:// or https:// address, e.g. https://yinhui.example.cn")
        return value.rstrip("/")

    @field_validator("web_secret")
    @classmethod
    def _strong_web_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError("YINHUI_WEB_SECRET must be at least 32 characters (or unset: a random one is kept)")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'yinhui.sqlite3').resolve()}"


# Settings put in force in this process by `use_settings` (innermost last); they win over the
# environment until their block ends.
_in_force: list[Settings] = []


def get_settings() -> Settings:
    if _in_force:
        return _in_force[-1]
    return _from_environment()


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI's --data-dir change the environment)."""
    _from_environment.cache_clear()


@contextlib.contextmanager
def use_settings(chosen: Settings) -> Iterator[Settings]:
    """Within the block, `get_settings()` returns `chosen` in this process; the environment is untouched."""
    _in_force.append(chosen)
    try:
        yield chosen
    finally:
        # By identity: two Settings with equal fields compare equal.
        del _in_force[max(i for i, s in enumerate(_in_force) if s is chosen)]
