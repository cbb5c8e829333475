"""Commands that show things: /help, /today /overdue /week (a grid group gets its counts), plug-in commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from models.chat import RELATIVES_AUDIENCE
from notifiers.bot.common import identify, in_db, polite_refusal, send_texts, today
from notifiers.bot.plugins import COMMANDS, ChatContext, CommandRefused
from notifiers.telegram.chat_format import ChatText, to_chat
from yinhui.messages.digest import render_task_list
from yinhui.messages.texts import text
from yinhui.playbook_loader import current_playbook
from yinhui.services.bot_queries import VIEWS, task_list
from yinhui.services.grid_notices import grid_counts, grid_notice

__all__ = ["VIEWS", "help_command", "plugin_handler", "unknown_command", "view_command"]


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    who = await identify(update)
    if chat is None:
        return
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    if who.kind == "group":
        await context.bot.send_message(chat.id, text(who.language, "bot.group_help"))
        return
    plugins = "\n".join(command.describe(who.language) for command in COMMANDS.values())
    days = current_playbook().digest.horizon_days
    await context.bot.send_message(chat.id, text(who.language, "bot.help", plugins=plugins, days=days))


def coordinator_view(session: Session, coordinator_id: int, view: str, *, day: dt.date, language: str) -> list[ChatText]:
    """A coordinator's open tasks (all, overdue, or due within the digest horizon), with buttons."""
    playbook = current_playbook()
    listed = task_list(session, coordinator_id=coordinator_id, view=view, today=day, language=language,
                       playbook=playbook)
    message = render_task_list(listed.items, view=view, language=language, horizon_days=listed.horizon_days,
                               more=listed.more, playbook=playbook)
    return to_chat(message, private=True, tokens=listed.tokens)


async def view_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not message.text:
        return
    who = await identify(update)
    view = message.text.split()[0].lstrip("/").split("@")[0].lower()
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    day = today()
    if who.kind == "group" and who.audience == RELATIVES_AUDIENCE:  # families get notices, never work counts
        await context.bot.send_message(chat.id, text(who.language, "bot.relatives_welcome", grid=who.grid))
        return
    if who.kind == "group":
        grid_id = who.grid_id
        assert grid_id is not None  # identify() names the grid of every group it recognises
        notice, _ = await in_db(lambda s: grid_notice(grid_counts(s, grid_id, day), day, who.language))
        await send_texts(context, chat.id, to_chat(notice, private=False))
        return
    coordinator_id = who.coordinator_id
    assert coordinator_id is not None  # neither stranger nor group: a bound coordinator
    messages = await in_db(lambda s: coordinator_view(s, coordinator_id, view, day=day, language=who.language))
    await send_texts(context, chat.id, messages)


def plugin_handler(name: str) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        who = await identify(update)
        if who.kind != "coordinator":
            # Plug-in commands touch cadres: private chats of bound coordinators only.
            if who.kind == "group":
                await context.bot.send_message(chat.id, text(who.language, "bot.group_help"))
            else:
                await polite_refusal(update, context, who.language)
            return
        assert who.coordinator_id is not None  # kind "coordinator" always carries the id
        ctx = ChatContext(who.coordinator_id, who.name, who.language, today())
        command = COMMANDS[name]
        args = list(context.args or [])

        def run(session: Session) -> str:
            try:
                return command.run(session, ctx, args)
            except CommandRefused as exc:
                session.rollback()
                return str(exc)

        await context.bot.send_message(chat.id, await in_db(run))

    return handle


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    who = await identify(update)
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    await context.bot.send_message(chat.id, text(who.language, "bot.unknown_command"))
