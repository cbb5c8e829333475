"""What every bot handler shares: one transaction per update in a worker thread, who a chat is, sending, refusing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from models.db import session_scope
from notifiers.telegram.chat_format import ChatText
from notifiers.telegram.keyboard import to_markup
from yinhui import clock, i18n
from yinhui.messages.texts import text
from yinhui.services.bot_queries import ChatIdentity, identify_chat
from yinhui.services.errors import DomainError
from yinhui.settings import get_settings


def default_language() -> str:
    return get_settings().language


def today() -> dt.date:
    return clock.today()


def _in_session(work: Callable[[Session], Any]) -> Any:
    with session_scope() as session:
        return work(session)


async def in_db(work: Callable[[Session], Any]) -> Any:
    """One transaction in a worker thread (the event loop keeps serving other chats meanwhile)."""
    return await asyncio.to_thread(_in_session, work)


async def identify(update: Update) -> ChatIdentity:
    """Whom this update's chat belongs to: a coordinator, a grid group, or a stranger."""
    chat, user = update.effective_chat, update.effective_user
    language = default_language()
    if chat is None:
        return ChatIdentity("stranger", language)
    private = chat.type == ChatType.PRIVATE
    user_id = user.id if user else None
    return await in_db(lambda s: identify_chat(s, chat_id=chat.id, private=private, user_id=user_id,
                                               default_language=language))


async def send_texts(context: ContextTypes.DEFAULT_TYPE, chat_id: int, messages: list[ChatText]) -> None:
    for message in messages:
        await context.bot.send_message(chat_id, message.text, reply_markup=to_markup(message.keyboard))


async def polite_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> None:
    """The one line a stranger gets."""
    if update.callback_query is not None:
        await update.callback_query.answer(text(language, "bot.stranger"), show_alert=True)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, text(language, "bot.stranger"))


def refusal_reason(language: str, exc: BaseException) -> str | None:
    """Why a service refused, as one line in the chat's language; None when it has no words in that language.

    A domain error is worded from its catalogue text. Anything else (a bare English message, a
    Python error) is not shown: the caller answers with its own general line instead, so a chat
    never reads English inside a Chinese reply.
    """
    if not isinstance(exc, DomainError):
        return None
    if i18n.LOCALES.get(language) != "en" and i18n.translator(language).gettext(exc.message) == exc.message:
        return None
    return (exc.render(language).splitlines() or [""])[0] or None
