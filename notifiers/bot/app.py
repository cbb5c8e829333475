"""The bot process (`yinhui bot`): python-telegram-bot's Application with our handlers, polling or webhook.

It runs beside the flows as a process of its own; the flows send the digests, the bot takes the
answers. The Bot API address is a setting (YINHUI_TELEGRAM_API_URL), so the same code talks to
Telegram, a self-hosted Bot API server, or the test suite's stand-in.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from notifiers.bot.handlers import add_handlers
from notifiers.bot.redaction import install_log_redaction
from notifiers.rate_limit import ChatLimits, PacedRateLimiter
from notifiers.telegram.config import webhook_secret
from yinhui.messages.texts import text

log = logging.getLogger(__name__)


def file_url_for(base_url: str) -> str:
    """Telegram serves files beside the API: .../bot → .../file/bot."""
    head, sep, tail = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


async def _publish_commands(app: Application) -> None:
    """The command menu in Chinese, and in English for English-language clients."""
    for language, code in (("zh", None), ("en", "en")):
        commands = [BotCommand(name, text(language, f"bot.cmd.{name}")) for name in ("today", "overdue", "week", "help")]
        try:
            await app.bot.set_my_commands(commands, language_code=code)
        except TelegramError as exc:  # a menu is a convenience; the bot works without it
            log.warning("could not publish the command menu: %s", type(exc).__name__)


def build_application(
    token: str,
    *,
    base_url: str,
    limits: ChatLimits | None = None,
    read_timeout: float = 10.0,
) -> Application:
    """The Application with every handler, paced by our rate limiter; not started."""
    install_log_redaction(token)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(file_url_for(base_url))
        .read_timeout(read_timeout)
        .write_timeout(read_timeout)
        .rate_limiter(PacedRateLimiter(limits))
        .post_init(_publish_commands)
        .build()
    )
    add_handlers(app)
    return app


def run_bot(
    *,
    token: str,
    base_url: str,
    webhook_url: str | None = None,
    listen: str = "0.0.0.0",
    port: int = 8443,
    poll_timeout: int = 30,
) -> None:
    """Serve until SIGINT/SIGTERM: long polling by default, a webhook when a public URL is given."""
    app = build_application(token, base_url=base_url)
    if webhook_url:
        secret = webhook_secret() or secrets.token_urlsafe(32)
        path = urlsplit(webhook_url).path.strip("/")
        log.info("bot: webhook on %s:%d/%s", listen, port, path)
        # Telegram echoes the secret (YINHUI_TELEGRAM_WEBHOOK_SECRET) in a header on every update;
        # PTB drops requests without it.
        app.run_webhook(listen=listen, port=port, url_path=path, webhook_url=webhook_url, secret_token=secret,
                        allowed_updates=Update.ALL_TYPES)
    else:
        log.info("bot: long polling")
        app.run_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
