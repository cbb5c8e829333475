"""What a message says, before any channel decides how it looks: a title, paragraphs, lists of tasks.

A renderer (one per message kind) builds a `Message` once; a format lays it out: `as_text` for
the console, e-mail and the group robots, the Telegram format (notifiers.telegram.chat_format)
for chats, with buttons and split under Telegram's limit. Formats choose only the layout: how a
date is written, whether phones may show (only in a coordinator's own private chat), whether
the answer hint speaks of buttons or of the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yinhui.messages.texts import text


@dataclass(frozen=True)
class TaskLine:
    """One task on a list: `#12 张老 · 城关镇/东街村 · 截止 10-30 [逾期, 新]`."""

    task_id: int
    who: str  # the cadre (and what the task is), else what it is about
    due: dt.date
    grid: str | None = None
    phones: tuple[str, ...] = ()  # personal data: a format shows them only in a private chat
    flags: tuple[str, ...] = ()  # overdue, new, escalated: already in the reader's language
    answers: tuple[str, ...] = ()  # the one-tap outcomes this task accepts, in button order
    kin: tuple[str, str, tuple[str, ...]] | None = None  # next of kin (name, relation, phones): private chat only


@dataclass(frozen=True)
class Section:
    """A heading and its tasks; `continued` heads the rest when a format splits the section."""

    heading: str
    continued: str
    lines: tuple[TaskLine, ...]


@dataclass(frozen=True)
class Message:
    """One message's content in one language."""

    kind: str
    language: str
    title: str  # an e-mail's subject; the first line of a chat message
    icon: str = ""  # shown before the title where a format has a title line
    headline: bool = True  # False: the paragraphs already say everything (a text stored as such)
    intro: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    outro: tuple[str, ...] = ()
    answer_hint: str = ""  # where the tasks carry answer buttons
    command_hint: tuple[str, ...] = ()  # where they do not: how to answer from the command line
    empty: str = ""  # what to say when there is nothing else

    @property
    def task_ids(self) -> list[int]:
        return [line.task_id for section in self.sections for line in section.lines]


def task_text(line: TaskLine, language: str, *, short_date: bool, phones: bool) -> str:
    """A task as one line of text, starting with `#id` (the bot finds a task's line by it)."""
    due = line.due.strftime("%m-%d") if short_date else line.due.isoformat()
    parts = [f"#{line.task_id} {line.who}"]
    if line.grid:
        parts.append(line.grid)
    parts.append(text(language, "task.due", due=due))
    if phones and line.phones:
        parts.append(text(language, "task.phones", phones=" / ".join(line.phones)))
    if phones and line.kin:  # the fallback when the cadre cannot be reached (紧急联系人)
        name, relation, numbers = line.kin
        parts.append(text(language, "task.kin", name=name, relation=relation, phones=" / ".join(numbers) or "—"))
    flags = f" [{', '.join(line.flags)}]" if line.flags else ""
    return " · ".join(parts) + flags


def as_text(message: Message) -> tuple[str, str]:
    """(subject, body) in plain text: the console, e-mail, WeCom and DingTalk robots, the outbox row.

    A robot posts into a group chat, so no phone is ever written here; dates are written in full.
    """
    lines = list(message.intro)
    for section in message.sections:
        lines.append(section.heading)
        lines.extend(
            "  " + task_text(line, message.language, short_date=False, phones=False) for line in section.lines
        )
    lines.extend(message.outro)
    lines.extend(message.command_hint)
    if not lines and message.empty:
        lines.append(message.empty)
    return message.title, "\n".join(lines)
