"""Settings from the environment or a ``.env`` file, prefix ``MATANG_``; invalid values stop the start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN_SHAPE = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,}$")


class Settings(BaseSettings):
    """Every ``MATANG_`` variable, its default and meaning (the table in docs/operators.md is made from this)."""

    model_config = SettingsConfigDict(env_prefix="MATANG_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = Field(
        default=None, description="bot token from BotFather; required by `matang run` only"
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot", description="Bot API base URL (a local Bot API server or a test server)"
    )
    db: Path = Field(default=Path("matang.db"), description="SQLite database file")
    researchers: str = Field(
        default="", description="comma-separated Telegram user ids allowed to use researcher commands"
    )
    lang: Literal["id", "en"] = Field(default="id", description="default language (id or en)")
    flow: str = Field(default="ogmm-social-media", description="flow used for self-assessments")
    reminder_hours: float = Field(
        default=24.0,
        ge=0,
        description="hours after the last answer before one reminder is sent (0 turns reminders off)",
    )
    bot_username: str = Field(
        default="",
        description="the bot's @username, for invite links printed by `matang study create` (found with getMe when unset and a token is given)",
    )
    dashboard_secret: SecretStr | None = Field(
        default=None,
        description="password (user `researcher`) or bearer token that `matang dashboard` requires; at least 12 characters",
    )
    http_client: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp",
        description="HTTP client for Bot API calls: aiohttp (fast), or httpx (the library's default, for HTTP/2 or a SOCKS proxy)",
    )
    proxy_url: str | None = Field(
        default=None,
        description="HTTP(S) proxy for every Bot API call, e.g. http://proxy.example:3128 (socks5:// needs MATANG_HTTP_CLIENT=httpx)",
    )
    log_format: Literal["text", "json"] = Field(default="text", description="log lines as text or JSON")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="the lowest log level written"
    )

    @field_validator("lang", mode="before")
    @classmethod
    def _lang_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("http_client", mode="before")
    @classmethod
    def _client_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("proxy_url", mode="before")
    @classmethod
    def _proxy_shape(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and not value.lower().startswith(("http://", "https://", "socks5://", "socks5h://")):
                raise ValueError("give a proxy URL such as http://proxy.example:3128")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("researchers")
    @classmethod
    def _researcher_ids(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not part.isdecimal():  # not isdigit: "²" is a digit int() refuses
                raise ValueError(f"{part!r} is not a Telegram user id (digits only)")
        return value

    @property
    def researcher_ids(self) -> frozenset[int]:
        """Telegram user ids allowed to use researcher commands everywhere."""
        return frozenset(int(p) for p in self.researchers.split(",") if p.strip())

    def token(self) -> str:
        """The bot token, checked for its shape; ValueError with a clear reason otherwise."""
        if self.telegram_token is None or not self.telegram_token.get_secret_value().strip():
            raise ValueError(
                "MATANG_TELEGRAM_TOKEN is not set: put the token from @BotFather in the environment or .env"
            )
        token = self.telegram_token.get_secret_value().strip()
        if not TOKEN_SHAPE.match(token):
            raise ValueError(
                "MATANG_TELEGRAM_TOKEN does not look like a bot token (digits, a colon, then at least 20 letters, digits, - or _)"
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``.env``, with command-line ``overrides`` (None ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]


def describe_settings_error(exc: Exception) -> str:
    """One line naming the bad variable(s), for the start-up error message."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for e in errors():
            name = "MATANG_" + str(e["loc"][0]).upper() if e["loc"] else "settings"
            parts.append(f"{name}: {e['msg']}")
        return "invalid configuration: " + "; ".join(parts)
    return f"invalid configuration: {exc}"
