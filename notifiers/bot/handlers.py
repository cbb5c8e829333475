"""The bot's handlers: binding with /start CODE, task views, button answers, notes and plug-in commands.

Only bound chats are served: a coordinator's private chat, or a grid's group chat (grid-level
counts only). Anyone else gets one polite line and nothing more. Database work runs in a worker
thread, one transaction per update; tasks change only through `models.task_actions` (and
`models.task_actions.reschedule_task`), so an answer from chat shows in the audit trail exactly like one
from the CLI, with the coordinator as actor.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from telegram import ForceReply, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from models.types import id_of
from notifiers.bot.guard import CodeAttempts
from notifiers.bot.plugins import COMMANDS, ChatContext, CommandRefused
from notifiers.bot.texts import say
from notifiers.telegram_render import (
    CODE_OUTCOMES,
    Button,
    ChatText,
    date_rows,
    from_markup,
    mark_task,
    parse_callback,
    render_grid_notice,
    render_view,
    replace_task_rows,
    state_label,
    task_button_label,
    task_line,
    task_rows,
    texts,
    to_markup,
)

log = logging.getLogger(__name__)
NOTE_LIMIT = 1000
VIEWS = ("today", "overdue", "week")


def _default_language() -> str:
    from yinhui.settings import get_settings

    return get_settings().language


def _today() -> dt.date:
    from yinhui import clock

    return clock.today()


def _in_session(work: Callable[[Session], Any]) -> Any:
    from models.db import session_scope

    with session_scope() as session:
        return work(session)


async def in_db(work: Callable[[Session], Any]) -> Any:
    """One transaction in a worker thread (the event loop keeps serving other chats meanwhile)."""
    return await asyncio.to_thread(_in_session, work)


@dataclass(frozen=True)
class Who:
    """Whom a chat belongs to: a coordinator, a grid group, or nobody we serve."""

    kind: str  # coordinator, group, stranger
    language: str
    coordinator_id: int | None = None
    name: str = ""
    grid_id: int | None = None
    grid: str = ""


def who_is(session: Session, chat_id: int, chat_type: str, user_id: int | None) -> Who:
    from models.grids import Grid
    from yinhui.services.chat import coordinator_for_chat, grid_path, group_for_chat

    default = _default_language()
    if chat_type == ChatType.PRIVATE:
        # In a private chat the chat id is the user's id; anything else is not a real private chat.
        coordinator = coordinator_for_chat(session, chat_id) if user_id == chat_id else None
        if coordinator is not None:
            return Who("coordinator", coordinator.language or default, coordinator.id, coordinator.name)
        return Who("stranger", default)
    group = group_for_chat(session, chat_id)
    if group is not None:
        grid = session.get(Grid, group.grid_id)
        return Who("group", group.language or default, grid_id=group.grid_id, grid=grid_path(session, grid) if grid else "")
    return Who("stranger", default)


async def identify(update: Update) -> Who:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return Who("stranger", _default_language())
    return await in_db(lambda s: who_is(s, chat.id, chat.type, user.id if user else None))


async def send_texts(context: ContextTypes.DEFAULT_TYPE, chat_id: int, messages: list[ChatText]) -> None:
    for message in messages:
        await context.bot.send_message(chat_id, message.text, reply_markup=to_markup(message.keyboard))


async def polite_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> None:
    """The one line a stranger gets."""
    if update.callback_query is not None:
        await update.callback_query.answer(say(language, "stranger"), show_alert=True)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, say(language, "stranger"))


# -- /start CODE --------------------------------------------------------------------------------


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
            await context.bot.send_message(chat.id, say(who.language, "welcome_back", name=who.name))
        elif who.kind == "group":
            await context.bot.send_message(chat.id, say(who.language, "group_welcome", grid=who.grid))
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
        await context.bot.send_message(chat.id, say(who.language, "too_many_codes"))
        log.warning("a /start code from a chat with too many wrong codes was not checked")
        return

    def bind(session: Session) -> str:
        from yinhui.services.chat import redeem_invite
        from yinhui.services.errors import ChatError

        try:
            binding = redeem_invite(session, code, chat_id=chat.id, private=private, title=chat.title or "")
        except ChatError as exc:
            reason = str(exc)
            if "invalid" in reason:
                attempts.wrong(chat.id)
                return say(who.language, "bad_code")
            return say(who.language, "refused", reason=reason)
        if binding.coordinator is not None:
            language = binding.coordinator.language or who.language
            return say(language, "bound_coordinator", name=binding.coordinator.name)
        return say(who.language, "bound_group", grid=binding.grid_name or "")

    # A wrong code spends nothing; a right one is spent in the same transaction as the binding.
    reply = await in_db(bind)
    await context.bot.send_message(chat.id, reply)
    log.info("a /start code was tried in a %s chat", "private" if private else "group")


# -- /help ---------------------------------------------------------------------------------------


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    who = await identify(update)
    if chat is None:
        return
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    if who.kind == "group":
        await context.bot.send_message(chat.id, say(who.language, "group_help"))
        return
    from yinhui.playbook_loader import current_playbook

    plugins = "\n".join(command.describe(who.language) for command in COMMANDS.values())
    days = current_playbook().digest.horizon_days
    await context.bot.send_message(chat.id, say(who.language, "help", plugins=plugins, days=days))


# -- /today /overdue /week ------------------------------------------------------------------------


def task_view(session: Session, coordinator_id: int, view: str, *, today: dt.date, language: str) -> list[ChatText]:
    """A coordinator's open tasks (all, overdue, or due within the digest horizon), with buttons."""
    from notifiers.templates import digest_payload
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.chat import issue_callback_tokens
    from yinhui.services.digests import collect_digests

    playbook = current_playbook()
    horizon = playbook.digest.horizon_days
    digests = collect_digests(session, day=today, horizon_days=horizon, max_items=500, coordinator_ids={coordinator_id})
    items: list[dict[str, Any]] = []
    if digests:
        payload = digest_payload(digests[0], language=language, horizon_days=horizon)
        items = payload["items"] + payload["escalated_items"]
    if view == "overdue":
        items = [i for i in items if i["status"] == "overdue"]
    elif view == "week":
        last = today + dt.timedelta(days=horizon)
        items = [i for i in items if dt.date.fromisoformat(i["due"]) <= last]
    shown = items[: playbook.digest.max_items]
    tokens = issue_callback_tokens(session, [(int(i["task_id"]), coordinator_id) for i in shown])
    t = texts(language)
    title = {"today": t["today"], "overdue": t["overdue_view"], "week": t["week"].format(days=horizon)}[view]
    return render_view(
        shown, title=title, language=language, playbook=playbook,
        tokens={task: token for (task, _), token in tokens.items()}, more=len(items) - len(shown),
    )


async def view_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not message.text:
        return
    who = await identify(update)
    view = message.text.split()[0].lstrip("/").split("@")[0].lower()
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    today = _today()
    if who.kind == "group":
        from yinhui.services.grid_notices import grid_counts

        grid_id = who.grid_id
        assert grid_id is not None  # who_is() names the grid of every group it recognises
        notice = await in_db(lambda s: render_grid_notice(grid_counts(s, grid_id, today), today, who.language))
        await context.bot.send_message(chat.id, notice)
        return
    coordinator_id = who.coordinator_id
    assert coordinator_id is not None  # neither stranger nor group: a bound coordinator
    messages = await in_db(lambda s: task_view(s, coordinator_id, view, today=today, language=who.language))
    await send_texts(context, chat.id, messages)


# -- plug-in commands (/report, /attend, ...) ---------------------------------------------------


def plugin_handler(name: str) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        who = await identify(update)
        if who.kind != "coordinator":
            # Plug-in commands touch cadres: private chats of bound coordinators only.
            if who.kind == "group":
                await context.bot.send_message(chat.id, say(who.language, "group_help"))
            else:
                await polite_refusal(update, context, who.language)
            return
        assert who.coordinator_id is not None  # kind "coordinator" always carries the id
        ctx = ChatContext(who.coordinator_id, who.name, who.language, _today())
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


# -- buttons --------------------------------------------------------------------------------------


@dataclass
class PressResult:
    """What answering a button press does in chat."""

    answer: str
    alert: bool = False
    text: str | None = None  # new message text, when it changes
    keyboard: list[list[Button]] | None = None  # new keyboard, when it changes
    prompt: str | None = None  # a question to send (the note)
    note_for: dict[str, Any] | None = None


def handle_press(
    session: Session,
    *,
    presser: int,
    data: str | None,
    text: str | None,
    keyboard: list[list[Button]],
    today: dt.date,
) -> PressResult:
    """Check a button press on the server and carry it out.

    The presser must be a bound coordinator; the token must exist, be theirs, and its task must
    still be on their list and open. Nothing in the callback data is trusted beyond the token.
    """
    from models.people import Cadre
    from models.tasks import LIVE_STATUSES, Task
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.chat import coordinator_for_chat, resolve_callback_token, task_belongs_to
    from yinhui.services.errors import TaskError
    from yinhui.services.tasks import complete_task, latest_reschedule_day, reschedule_task

    coordinator = coordinator_for_chat(session, presser)
    if coordinator is None:
        return PressResult(say(_default_language(), "stranger"), alert=True)
    language = coordinator.language or _default_language()
    parsed = parse_callback(data)
    token = resolve_callback_token(session, parsed.token) if parsed else None
    if parsed is None or token is None:
        return PressResult(say(language, "invalid"), alert=True)
    if token.coordinator_id != coordinator.id:
        return PressResult(say(language, "not_yours"), alert=True)
    task = session.get(Task, token.task_id)
    if task is None:
        return PressResult(say(language, "invalid"), alert=True)
    if not task_belongs_to(task, coordinator.id):
        return PressResult(say(language, "not_yours"), alert=True)
    if task.status not in LIVE_STATUSES:
        # A replayed or stale button: refuse, and tidy the message so it cannot be pressed again.
        status = say(language, f"status_{task.status}") if task.status in ("done", "cancelled", "missed") else task.status
        shown = state_label(language, task.outcome) if task.status == "done" and task.outcome else state_label(language, "closed")
        return PressResult(
            say(language, "closed", status=status), alert=True,
            text=mark_task(text, id_of(task), shown) if text else None,
            keyboard=replace_task_rows(keyboard, parsed.token, []),
        )
    actor = f"coordinator:{coordinator.id}"
    cadre = session.get(Cadre, task.cadre_id) if task.cadre_id else None
    item = {"task_id": task.id, "cadre": cadre.name if cadre else None, "rule": task.rule, "kind": task.kind,
            "due": task.due.isoformat(), "status": task.status, "grid": None,
            "phones": cadre.phone_list if cadre else []}
    playbook = current_playbook()
    try:
        if parsed.action == "o":
            outcome = CODE_OUTCOMES[parsed.arg]  # type: ignore[index]
            complete_task(session, id_of(task), outcome=outcome, actor=actor, on=today, playbook=playbook)
            state = state_label(language, outcome)
            return PressResult(
                say(language, "recorded", state=state),
                text=mark_task(text, id_of(task), state) if text else None,
                keyboard=replace_task_rows(keyboard, parsed.token, []),
            )
        if parsed.action == "s":
            latest = latest_reschedule_day(task)
            if latest <= today:
                return PressResult(say(language, "no_dates"), alert=True)
            label = task_button_label(keyboard, parsed.token)
            rows = task_rows(parsed.token, item, language, playbook)[:1]
            if label:
                rows = [[Button(label, rows[0][0].data)]]
            rows += date_rows(parsed.token, today=today, latest=latest, language=language)
            return PressResult(say(language, "pick_date"), keyboard=replace_task_rows(keyboard, parsed.token, rows))
        if parsed.action == "d":
            to = dt.datetime.strptime(parsed.arg or "", "%Y%m%d").date()
            reschedule_task(session, id_of(task), to=to, actor=actor, today=today)
            shown = to.strftime("%m-%d")
            return PressResult(
                say(language, "rescheduled", date=shown),
                text=mark_task(text, id_of(task), state_label(language, "rescheduled", date=shown)) if text else None,
                keyboard=replace_task_rows(keyboard, parsed.token, task_rows(parsed.token, item, language, playbook)),
            )
        if parsed.action == "b":
            return PressResult(
                say(language, "back"),
                keyboard=replace_task_rows(keyboard, parsed.token, task_rows(parsed.token, item, language, playbook)),
            )
        if parsed.action == "n":
            return PressResult(
                "📝", prompt=say(language, "note_prompt", task_id=task.id, name=item["cadre"] or "—"),
                note_for={"token": parsed.token, "task_id": task.id},
            )
        # "i": the task's details, phones included: this is the coordinator's own private chat.
        return PressResult(task_line(item, language, private=True)[:190], alert=True)
    except (TaskError, ValueError) as exc:
        session.rollback()
        return PressResult(say(language, "failed", reason=str(exc).splitlines()[0])[:190], alert=True)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    message = query.message
    text = getattr(message, "text", None)
    keyboard = from_markup(getattr(message, "reply_markup", None))
    today = _today()
    result: PressResult = await in_db(
        lambda s: handle_press(s, presser=query.from_user.id, data=query.data, text=text, keyboard=keyboard, today=today)
    )
    # Every query is answered, or the client keeps spinning.
    await query.answer(result.answer, show_alert=result.alert)
    if message is not None and (result.text is not None or result.keyboard is not None):
        try:
            if result.text is not None and result.text != text:
                await query.edit_message_text(result.text, reply_markup=to_markup(result.keyboard or keyboard))
            elif result.keyboard is not None and result.keyboard != keyboard:
                await query.edit_message_reply_markup(reply_markup=to_markup(result.keyboard))
        except BadRequest as exc:  # "message is not modified" after a double tap, or too old to edit
            log.info("message not edited: %s", exc.message)
    if result.prompt and context.chat_data is not None and message is not None:
        context.chat_data["note_for"] = result.note_for
        await context.bot.send_message(message.chat.id, result.prompt, reply_markup=ForceReply(selective=True))


# -- free text: notes, or a hint ------------------------------------------------------------------


def save_note(session: Session, *, presser: int, pending: dict[str, Any], note: str) -> str:
    """Add the note the coordinator typed, after checking the task is still theirs and open."""
    from models.tasks import LIVE_STATUSES, Task
    from yinhui.services.chat import coordinator_for_chat, resolve_callback_token, task_belongs_to
    from yinhui.services.tasks import add_note

    coordinator = coordinator_for_chat(session, presser)
    if coordinator is None:
        return say(_default_language(), "stranger")
    language = coordinator.language or _default_language()
    token = resolve_callback_token(session, str(pending.get("token", "")))
    task = session.get(Task, token.task_id) if token is not None else None
    if token is None or task is None or token.coordinator_id != coordinator.id or not task_belongs_to(task, coordinator.id):
        return say(language, "invalid")
    if task.status not in LIVE_STATUSES:
        return say(language, "closed", status=say(language, f"status_{task.status}") if task.status in ("done", "cancelled", "missed") else task.status)
    if len(note) > NOTE_LIMIT:
        return say(language, "note_too_long", limit=NOTE_LIMIT)
    add_note(session, id_of(task), note=note, actor=f"coordinator:{coordinator.id}")
    return say(language, "note_saved", task_id=task.id)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    who = await identify(update)
    if who.kind == "group" or (who.kind == "stranger" and chat.type != ChatType.PRIVATE):
        return  # group chatter is not for the bot; a group hears from it only on a command
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    pending = context.chat_data.pop("note_for", None) if context.chat_data is not None else None
    if pending and message.text:
        note = message.text.strip()
        reply = await in_db(lambda s: save_note(s, presser=chat.id, pending=pending, note=note))
        await context.bot.send_message(chat.id, reply)
        return
    await context.bot.send_message(chat.id, say(who.language, "plain_text"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    who = await identify(update)
    if who.kind == "stranger":
        await polite_refusal(update, context, who.language)
        return
    await context.bot.send_message(chat.id, say(who.language, "unknown_command"))


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
