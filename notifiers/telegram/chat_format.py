"""The Telegram format: a `Message` as chat messages under 4,096 characters, with answer buttons.

Plain text (no parse mode), so nothing in a name can break the markup and the bot can edit a
message line by line after an answer. Phones and buttons appear only in a coordinator's private
chat; a group chat gets neither. A long list is packed into as few messages as the limits allow,
each opening with the title (and "(2/3)"), a section running over repeating its heading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from notifiers.telegram.keyboard import Button, task_rows
from yinhui.messages.content import Message, task_text
from yinhui.messages.texts import text

MAX_TEXT = 4096  # Telegram's limit, counted in UTF-16 code units
TASKS_PER_MESSAGE = 8  # 8 tasks × (1 + 5) buttons stays well under Telegram's ~100 buttons a message
STATE_RESERVE = 24  # room kept on each task line for the state an answer appends


def tg_len(value: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(value.encode("utf-16-le")) // 2


@dataclass
class ChatText:
    """One Telegram message: plain text, an inline keyboard, and the tasks it lists."""

    text: str
    keyboard: list[list[Button]] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)


@dataclass
class _Packer:
    """Greedy packing of lines into messages under the length and buttons limits."""

    limit: int
    reserve_head: int
    messages: list[ChatText] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    keyboard: list[list[Button]] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)
    length: int = 0

    def fits(self, extra: Sequence[str], tasks: int = 0) -> bool:
        if tasks and len(self.task_ids) + tasks > TASKS_PER_MESSAGE:
            return False
        added = sum(tg_len(x) + 1 for x in extra) + STATE_RESERVE * tasks
        return self.length + added + self.reserve_head <= self.limit

    def add(self, line: str, *, task_id: int | None = None, rows: Sequence[Sequence[Button]] = ()) -> None:
        self.lines.append(line)
        self.length += tg_len(line) + 1 + (STATE_RESERVE if task_id is not None else 0)
        if task_id is not None:
            self.task_ids.append(task_id)
            self.keyboard.extend(list(r) for r in rows)

    def add_paragraph(self, line: str) -> None:
        for piece in _split_long(line, self.limit - self.reserve_head - 1):
            if not self.fits([piece]):
                self.flush()
            self.add(piece)

    def flush(self) -> None:
        if self.lines:
            self.messages.append(ChatText("\n".join(self.lines), self.keyboard, self.task_ids))
        self.lines, self.keyboard, self.task_ids, self.length = [], [], [], 0


def _split_long(line: str, limit: int) -> list[str]:
    pieces, current = [], ""
    for char in line:
        if tg_len(current + char) > limit:
            pieces.append(current)
            current = ""
        current += char
    return pieces + ([current] if current else [])


def to_chat(
    message: Message, *, private: bool, tokens: Mapping[int, str] | None = None, limit: int = MAX_TEXT
) -> list[ChatText]:
    """The message as Telegram messages. `tokens` (task id → callback token) draws answer buttons,
    in a private chat only; phones show only there too."""
    if not message.headline:
        return split_text("\n".join((*message.intro, *message.outro)), limit=limit)
    language = message.language
    title = f"{message.icon} {message.title}" if message.icon else message.title
    buttons = tokens if private and tokens else None
    if not message.sections and message.empty:
        return [ChatText(f"{title}\n{message.empty}")]
    marker_room = tg_len(text(language, "list.part", i=99, n=99))
    packer = _Packer(limit=limit, reserve_head=tg_len(title) + marker_room + 1)
    for paragraph in message.intro:
        packer.add_paragraph(paragraph)
    for section in message.sections:
        first = True
        for line in section.lines:
            shown = task_text(line, language, short_date=True, phones=private)
            token = buttons.get(line.task_id) if buttons is not None else None
            rows = task_rows(token, line, language) if token else []
            needed = [section.heading, shown] if first else [shown]
            if not packer.fits(needed, tasks=1):
                packer.flush()
                needed = [section.heading if first else section.continued, shown]
            if len(needed) == 2:
                packer.add(needed[0])
            packer.add(shown, task_id=line.task_id, rows=rows)
            first = False
    outro = [*message.outro, *([message.answer_hint] if buttons and message.answer_hint else [])]
    for paragraph in outro:
        packer.add_paragraph(paragraph)
    packer.flush()
    total = len(packer.messages)
    for i, part in enumerate(packer.messages, 1):
        head = title + (text(language, "list.part", i=i, n=total) if total > 1 else "")
        part.text = f"{head}\n{part.text}"
    return packer.messages


def split_text(value: str, *, limit: int = MAX_TEXT) -> list[ChatText]:
    """A finished text split at line breaks under the limit (nothing, if it is blank)."""
    messages: list[ChatText] = []
    current: list[str] = []
    length = 0
    for line in value.splitlines() or [""]:
        for piece in _split_long(line, limit) or [""]:
            if current and length + tg_len(piece) + 1 > limit:
                messages.append(ChatText("\n".join(current)))
                current, length = [], 0
            current.append(piece)
            length += tg_len(piece) + 1
    if current and "".join(current).strip():
        messages.append(ChatText("\n".join(current)))
    return messages
