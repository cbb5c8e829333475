"""Telegram: the outbound channel, its chat format and buttons, and where the token comes from."""

from notifiers.telegram.channel import TelegramNotifier
from notifiers.telegram.config import api_base_url, resolve_token

__all__ = ["TelegramNotifier", "api_base_url", "resolve_token"]
