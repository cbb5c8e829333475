"""The bot's handlers, wired into python-telegram-bot's Application.

Only bound chats are served: a coordinator's private chat, or a grid's group chat (grid-level
counts only); anyone else gets one polite line. Handlers call services (yinhui.services.chat,
bot_queries, tasks, grid_notices) in a worker thread, one transaction per update, and draw what
they send with the renderers in yinhui.messages in the Telegram format.

- binding.py — /start CODE;
- views.py — /help, /today /overdue /week, plug-in commands (plugins.py: /report, /attend, /pause, /resume);
- buttons.py — presses on the buttons under a task, and the note typed after one.
"""

from __future__ import annotations

import logging

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from notifiers.bot.binding import start
from notifiers.bot.buttons import on_button, on_text
from notifiers.bot.plugins import COMMANDS
from notifiers.bot.views import VIEWS, help_command, plugin_handler, unknown_command, view_command

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The type only: an update or traceback could carry a coordinator's text or a phone.
    log.error("bot handler failed: %s", type(context.error).__name__)


def add_handlers(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler(list(VIEWS), view_command))
    for name in COMMANDS:
        app.add_handler(CommandHandler(name, plugin_handler(name)))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_error_handler(on_error)
