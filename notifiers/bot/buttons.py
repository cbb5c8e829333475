"""Answers in chat: a button under a task (outcome, date picker, note, details) and the note typed after it.

Each press is checked on the server (`yinhui.services.bot_queries.check_press`) and carried out by
the task service (complete, reschedule, note), so an answer from chat shows in the audit trail
exactly like one from the CLI, with the coordinator as actor. The message is then edited to
show the new state.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from telegram import ForceReply, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from models.tasks import Task
from models.types import id_of
from notifiers.bot.common import (
    default_language,
    identify,
    in_db,
    polite_refusal,
    refusal_reason,
    today,
)
from notifiers.telegram.keyboard import (
    CODE_OUTCOMES,
    Button,
    date_rows,
    from_markup,
    mark_task,
    parse_callback,
    replace_task_rows,
    state_label,
    task_button_label,
    task_rows,
    to_markup,
)
from yinhui.messages.content import TaskLine, task_text
from yinhui.messages.digest import RELATIVE_ANSWER, task_line
from yinhui.messages.texts import text
from yinhui.playbook_loader import current_playbook
from yinhui.rules.retry import FOLLOW_UP_TITLES, UNREACHABLE
from yinhui.services.bot_queries import PressCheck, check_press
from yinhui.services.errors import TaskClosedError, TaskError
from yinhui.services.retry_views import retry_follow_up
from yinhui.services.tasks import (
    MAX_TASK_NOTE,
    add_note,
    closed_error,
    complete_task,
    latest_reschedule_day,
    reschedule_task,
)

log = logging.getLogger(__name__)
CLOSED_STATUSES = ("done", "cancelled", "missed")


@dataclass
class PressResult:
    """What answering a button press does in chat."""

    answer: str
    alert: bool = False
    text: str | None = None  # new message text, when it changes
    keyboard: list[list[Button]] | None = None  # new keyboard, when it changes
    prompt: str | None = None  # a question to send (the note)
    note_for: dict[str, Any] | None = None


def _closed_status(language: str, status: str) -> str:
    return text(language, f"bot.status.{status}") if status in CLOSED_STATUSES else status


def refusal(language: str, exc: Exception) -> str:
    """Why a change was refused, in the coordinator's language: never the service's English message.

    A task closed meanwhile names who closed it and when; any other refusal is one translated
    line (the known ones, a date outside the window, a note too long, are caught before the
    service is asked).
    """
    if isinstance(exc, TaskClosedError):
        status = _closed_status(language, exc.status)
        if exc.at:
            return text(language, "bot.closed_by_at", status=status, by=exc.by, at=exc.at)
        return text(language, "bot.closed_by", status=status, by=exc.by)
    reason = refusal_reason(language, exc)
    return text(language, "bot.failed", reason=reason) if reason else text(language, "bot.failed_generic")


def handle_press(
    session: Session, *, presser: int, data: str | None, text_: str | None, keyboard: list[list[Button]],
    day: dt.date,
) -> PressResult:
    """Check a button press on the server and carry it out.

    The presser must be a bound coordinator; the token must exist, be theirs, and its task must
    still be on their list and open. Nothing in the callback data is trusted beyond the token.
    """
    parsed = parse_callback(data)
    check = check_press(session, chat_id=presser, token=parsed.token if parsed else None,
                        default_language=default_language())
    language = check.language
    if check.status == "stranger":
        return PressResult(text(language, "bot.stranger"), alert=True)
    if parsed is None or check.status == "invalid":
        return PressResult(text(language, "bot.invalid"), alert=True)
    if check.status == "not_yours":
        return PressResult(text(language, "bot.not_yours"), alert=True)
    task = check.task
    assert task is not None  # ok or closed: the task is known
    task_id = id_of(task)
    if check.status == "closed":
        # A replayed or stale button: refuse, and tidy the message so it cannot be pressed again.
        # Whoever closed it (another chat, the CLI, a sweep) is named with the time, as in a lost race.
        shown = state_label(language, task.outcome) if task.status == "done" and task.outcome else state_label(language, "closed")
        return PressResult(
            refusal(language, closed_error(session, task))[:190], alert=True,
            text=mark_task(text_, task_id, shown) if text_ else None,
            keyboard=replace_task_rows(keyboard, parsed.token, []),
        )
    playbook = current_playbook()
    line = task_line(check.item, language, playbook)
    try:
        return _carry_out(session, check, parsed.action, parsed.arg, parsed.token, line=line, text_=text_,
                          keyboard=keyboard, day=day)
    except TaskClosedError as exc:  # closed between the check and the change (another chat, the CLI)
        session.rollback()
        return PressResult(refusal(language, exc)[:190], alert=True,
                           keyboard=replace_task_rows(keyboard, parsed.token, []))
    except (TaskError, ValueError) as exc:
        session.rollback()
        log.info("press on task #%s refused: %s", task_id, exc)
        return PressResult(refusal(language, exc)[:190], alert=True)


def _carry_out(session: Session, check: PressCheck, action: str, arg: str | None, token: str, *, line: TaskLine,
               text_: str | None, keyboard: list[list[Button]], day: dt.date) -> PressResult:
    language, task = check.language, check.task
    assert task is not None
    task_id = id_of(task)
    if action == "o":
        outcome = CODE_OUTCOMES[arg or ""]
        if task.window_opens > day:
            return PressResult(text(language, "bot.not_open", date=task.window_opens.strftime("%m-%d")), alert=True)
        if outcome == RELATIVE_ANSWER and RELATIVE_ANSWER not in line.answers:
            return PressResult(text(language, "bot.invalid"), alert=True)
        via = {RELATIVE_ANSWER: "relative"}.get(outcome)  # 亲属接听: reached, through a relative
        playbook = current_playbook()
        done = complete_task(session, task_id, outcome="reached" if via else outcome, actor=check.actor, on=day,
                             playbook=playbook, via=via)
        if outcome == UNREACHABLE and done.attempts:
            return _after_unreachable(session, done, language, playbook.retry.attempts, token=token, text_=text_,
                                      keyboard=keyboard)
        state = state_label(language, outcome)
        return PressResult(
            text(language, "bot.recorded", state=state),
            text=mark_task(text_, task_id, state) if text_ else None,
            keyboard=replace_task_rows(keyboard, token, []),
        )
    if action == "s":
        latest = latest_reschedule_day(task)
        if latest <= day:
            return PressResult(text(language, "bot.no_dates"), alert=True)
        label = task_button_label(keyboard, token)
        rows = task_rows(token, line, language)[:1]
        if label:
            rows = [[Button(label, rows[0][0].data)]]
        rows += date_rows(token, today=day, latest=latest, language=language)
        return PressResult(text(language, "bot.pick_date"), keyboard=replace_task_rows(keyboard, token, rows))
    if action == "d":
        to = dt.datetime.strptime(arg or "", "%Y%m%d").date()
        latest = latest_reschedule_day(task)
        if not day <= to <= latest:
            return PressResult(text(language, "bot.date_out_of_range", first=day.strftime("%m-%d"),
                                    last=latest.strftime("%m-%d")), alert=True)
        reschedule_task(session, task_id, to=to, actor=check.actor, today=day)
        shown = to.strftime("%m-%d")
        return PressResult(
            text(language, "bot.rescheduled", date=shown),
            text=mark_task(text_, task_id, state_label(language, "rescheduled", date=shown)) if text_ else None,
            keyboard=replace_task_rows(keyboard, token, task_rows(token, line, language)),
        )
    if action == "b":
        return PressResult(text(language, "bot.back"), keyboard=replace_task_rows(keyboard, token, task_rows(token, line, language)))
    if action == "n":
        return PressResult(
            "📝", prompt=text(language, "bot.note_prompt", task_id=task_id, name=check.item.get("cadre") or "—"),
            note_for={"token": token, "task_id": task_id},
        )
    # "i": the task's details, phones included: this is the coordinator's own private chat.
    return PressResult(task_text(line, language, short_date=True, phones=True)[:190], alert=True)


def _after_unreachable(session: Session, task: Task, language: str, attempts: int, *, token: str, text_: str | None,
                       keyboard: list[list[Button]]) -> PressResult:
    """The reply to "no answer" on a call that is tried again (再次联系): still open, its buttons kept,
    with the attempt and the day of the next; or, after the last attempt, closed and what follows."""
    task_id = id_of(task)
    if task.status not in CLOSED_STATUSES:
        date = task.due.strftime("%m-%d")
        state = state_label(language, "retry", attempt=task.attempts, attempts=attempts, date=date)
        return PressResult(text(language, "bot.retry", attempt=task.attempts, attempts=attempts, date=date),
                           text=mark_task(text_, task_id, state) if text_ else None)
    state = state_label(language, "unreachable_after", attempts=task.attempts)
    follow_up = retry_follow_up(session, task)
    if follow_up is None:
        answer = text(language, "bot.unreachable_closed_alone", attempt=task.attempts, attempts=attempts)
    else:
        answer = text(language, "bot.unreachable_closed", attempt=task.attempts, attempts=attempts,
                      task_id=follow_up.id, follow_up=FOLLOW_UP_TITLES[follow_up.rule].text(language),
                      date=follow_up.due.strftime("%m-%d"))
    return PressResult(answer, text=mark_task(text_, task_id, state) if text_ else None,
                       keyboard=replace_task_rows(keyboard, token, []))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    message = query.message
    shown = getattr(message, "text", None)
    keyboard = from_markup(getattr(message, "reply_markup", None))
    day = today()
    result: PressResult = await in_db(
        lambda s: handle_press(s, presser=query.from_user.id, data=query.data, text_=shown, keyboard=keyboard, day=day)
    )
    # Every query is answered, or the client keeps spinning.
    await query.answer(result.answer, show_alert=result.alert)
    if message is not None and (result.text is not None or result.keyboard is not None):
        try:
            if result.text is not None and result.text != shown:
                await query.edit_message_text(result.text, reply_markup=to_markup(result.keyboard or keyboard))
            elif result.keyboard is not None and result.keyboard != keyboard:
                await query.edit_message_reply_markup(reply_markup=to_markup(result.keyboard))
        except BadRequest as exc:  # "message is not modified" after a double tap, or too old to edit
            log.info("message not edited: %s", exc.message)
    if result.prompt and context.chat_data is not None and message is not None:
        context.chat_data["note_for"] = result.note_for
        await context.bot.send_message(message.chat.id, result.prompt, reply_markup=ForceReply(selective=True))


def save_note(session: Session, *, presser: int, pending: dict[str, Any], note: str) -> str:
    """Add the note the coordinator typed, after checking the task is still theirs and open."""
    check = check_press(session, chat_id=presser, token=str(pending.get("token", "")) or None,
                        default_language=default_language())
    language = check.language
    if check.status == "stranger":
        return text(language, "bot.stranger")
    if check.status in ("invalid", "not_yours") or check.task is None:
        return text(language, "bot.invalid")
    if check.status == "closed":
        return text(language, "bot.closed", status=_closed_status(language, check.task.status))
    if len(note) > MAX_TASK_NOTE:
        return text(language, "bot.note_too_long", limit=MAX_TASK_NOTE)
    try:
        add_note(session, id_of(check.task), note=note, actor=check.actor)
    except TaskError as exc:
        session.rollback()
        log.info("note on task #%s refused: %s", check.task.id, exc)
        return refusal(language, exc)
    return text(language, "bot.note_saved", task_id=check.task.id)


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
    await context.bot.send_message(chat.id, text(who.language, "bot.plain_text"))
