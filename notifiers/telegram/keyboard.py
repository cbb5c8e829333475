"""Buttons under a task in Telegram: opaque callback data, the date picker, and editing a message after an answer.

Callback data is `TOKEN:ACTION[:ARG]`: the token stands for (task, coordinator) on the server and
nothing else is trusted from the client. Actions: o outcome (r/u/v/d, k: a relative answered), s show dates, d date
(YYYYMMDD), b back, n note, i info.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from yinhui.messages.content import TaskLine
from yinhui.messages.texts import has_text, text

# "relative": reached, through a relative (亲属接听), on call tasks.
OUTCOME_CODES = {"reached": "r", "unreachable": "u", "visited": "v", "declined": "d", "relative": "k"}
CODE_OUTCOMES = {code: outcome for outcome, code in OUTCOME_CODES.items()}
_CALLBACK = re.compile(r"^(?P<token>[A-Za-z0-9_-]{16}):(?P<action>o|s|d|b|n|i)(?::(?P<arg>[a-z]|\d{8}))?$")


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class CallbackData:
    token: str
    action: str
    arg: str | None = None

    def encode(self) -> str:
        return f"{self.token}:{self.action}" + (f":{self.arg}" if self.arg else "")


def parse_callback(data: str | None) -> CallbackData | None:
    """The parts of a button's data, or None for anything not shaped like ours."""
    match = _CALLBACK.match(data or "")
    if not match:
        return None
    action, arg = match["action"], match["arg"]
    if action == "o":
        valid = arg in CODE_OUTCOMES
    elif action == "d":
        valid = arg is not None and arg.isdigit()
    else:
        valid = arg is None
    return CallbackData(match["token"], action, arg) if valid else None


def task_rows(token: str, line: TaskLine, language: str) -> list[list[Button]]:
    """Two rows per task: its label (tap for details), then the answers it accepts."""
    answers = [
        Button(text(language, f"button.{o}"), CallbackData(token, "o", OUTCOME_CODES[o]).encode())
        for o in line.answers
    ]
    answers.append(Button(text(language, "button.reschedule"), CallbackData(token, "s").encode()))
    answers.append(Button(text(language, "button.note"), CallbackData(token, "n").encode()))
    label = f"#{line.task_id} {line.who}"
    return [[Button(label[:60], CallbackData(token, "i").encode())], answers]


def date_rows(token: str, *, today: dt.date, latest: dt.date, language: str, days: int = 8) -> list[list[Button]]:
    """The date picker for one task: the next days up to the latest allowed, then « back."""
    weekdays = text(language, "weekdays")
    choices = [today + dt.timedelta(days=i) for i in range(1, days + 1) if today + dt.timedelta(days=i) <= latest]
    buttons = [
        Button(f"{d.strftime('%m-%d')} {weekdays[d.weekday()]}", CallbackData(token, "d", d.strftime("%Y%m%d")).encode())
        for d in choices
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([Button(text(language, "button.back"), CallbackData(token, "b").encode())])
    return rows


def _rows_of(keyboard: Sequence[Sequence[Button]], token: str) -> list[int]:
    return [i for i, row in enumerate(keyboard) if any(b.data.startswith(f"{token}:") for b in row)]


def replace_task_rows(
    keyboard: Sequence[Sequence[Button]], token: str, new_rows: Sequence[Sequence[Button]]
) -> list[list[Button]]:
    """The keyboard with one task's rows swapped for `new_rows` (empty: the task's buttons go)."""
    mine = _rows_of(keyboard, token)
    if not mine:
        return [list(r) for r in keyboard]
    first = mine[0]
    kept = [list(r) for i, r in enumerate(keyboard) if i not in mine]
    before = sum(1 for i in range(first) if i not in mine)
    return kept[:before] + [list(r) for r in new_rows] + kept[before:]


def task_button_label(keyboard: Sequence[Sequence[Button]], token: str) -> str | None:
    for i in _rows_of(keyboard, token):
        for button in keyboard[i]:
            if button.data == CallbackData(token, "i").encode():
                return button.label
    return None


def mark_task(text_: str, task_id: int, state: str) -> str:
    """The message text with the task's line ending in `→ state` (replacing an earlier state)."""
    pattern = re.compile(rf"^(#{task_id} [^\n]*?)(?: → [^\n]*)?$", re.MULTILINE)
    return pattern.sub(lambda m: f"{m.group(1)} → {state}", text_, count=1)


def state_label(language: str, state: str, **values: object) -> str:
    """What an answer leaves on the task's line ("✅ 已接通", "📅 改至 10-08")."""
    key = f"state.{state}"
    return text(language, key, **values) if has_text(key) else state


def to_markup(keyboard: Sequence[Sequence[Button]]) -> Any:
    """The keyboard as python-telegram-bot's InlineKeyboardMarkup (None when there are no buttons)."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    rows = [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard if row]
    return InlineKeyboardMarkup(rows) if rows else None


def from_markup(markup: Any) -> list[list[Button]]:
    """An InlineKeyboardMarkup (as Telegram echoes it back) as our buttons."""
    if markup is None:
        return []
    return [
        [Button(b.text, b.callback_data) for b in row if isinstance(b.callback_data, str)]
        for row in markup.inline_keyboard
    ]
