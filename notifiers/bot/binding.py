"""`/start CODE`: a one-time code binds a coordinator's private chat, a grid's group chat or its relatives' group."""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from models.chat import RELATIVES_AUDIENCE
from notifiers.bot.common import identify, in_db, polite_refusal, refusal_reason
from notifiers.bot.guard import CodeAttempts
from yinhui.messages.texts import text
from yinhui.services.chat import redeem_invite
from yinhui.services.errors import ChatError

log = logging.getLogger(__name__)


def code_attempts(context: ContextTypes.DEFAULT_TYPE) -> CodeAttempts:
    """The application's one book of wrong codes (kept in bot_data, created on first use)."""
    book = context.application.bot_data.get("code_attempts")
    if not isinstance(book, CodeAttempts):
        book = context.application.bot_data["code_attempts"] = CodeAttempts()
    return book


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    who = await identify(update)
    code = context.args[0] if context.args else None
    if code is None:
        if who.kind == "coordinator":
            await context.bot.send_message(chat.id, text(who.language, "bot.welcome_back", name=who.name))
        elif who.kind == "group":
            key = "bot.relatives_welcome" if who.audience == RELATIVES_AUDIENCE else "bot.group_welcome"
            await context.bot.send_message(chat.id, text(who.language, key, grid=who.grid))
        else:
            await polite_refusal(update, context, who.language)
        return
    private = chat.type == ChatType.PRIVATE
    user_id = update.effective_user.id if update.effective_user else None
    if private and user_id != chat.id:
        await polite_refusal(update, context, who.language)
        return

    attempts = code_attempts(context)
    if attempts.locked(chat.id):
        await context.bot.send_message(chat.id, text(who.language, "bot.too_many_codes"))
        log.warning("a /start code from a chat with too many wrong codes was not checked")
        return

    def bind(session: Session) -> str:
        try:
            binding = redeem_invite(session, code, chat_id=chat.id, private=private, title=chat.title or "")
        except ChatError as exc:
            reason = str(exc)
            if "invalid" in reason:
                attempts.wrong(chat.id)
                return text(who.language, "bot.bad_code")
            worded = refusal_reason(who.language, exc)
            return text(who.language, "bot.refused", reason=worded) if worded else text(who.language, "bot.failed_generic")
        if binding.coordinator is not None:
            language = binding.coordinator.language or who.language
            return text(language, "bot.bound_coordinator", name=binding.coordinator.name)
        key = "bot.bound_relatives" if binding.relatives else "bot.bound_group"
        return text(who.language, key, grid=binding.grid_name or "")

    # A wrong code spends nothing; a right one is spent in the same transaction as the binding.
    reply = await in_db(bind)
    await context.bot.send_message(chat.id, reply)
    log.info("a /start code was tried in a %s chat", "private" if private else "group")
