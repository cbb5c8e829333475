"""Digest payload → Telegram messages: grouped by kind, split under 4,096 characters, with task buttons.

Plain text (no parse mode), so nothing in a name can break the markup and the bot can edit a
message line by line after an answer. Phones appear only in the coordinator's private chat;
group chats get no buttons and no phones. Chinese by default, English by the language setting.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from notifiers.templates import kind_label
from yinhui.rules.playbook import Playbook
from yinhui.services.digests import KIND_ORDER

MAX_TEXT = 4096  # Telegram's limit, counted in UTF-16 code units
TASKS_PER_MESSAGE = 8  # 8 tasks × (1 + 5) buttons stays well under Telegram's ~100 buttons a message
STATE_RESERVE = 24  # room kept on each task line for the state an answer appends
BUTTON_OUTCOMES = ("reached", "unreachable", "visited")  # the one-tap answers (the CLI has more)

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "📋 {day} 工作提醒",
        "part": "（{i}/{n}）",
        "greeting": "{name}，您好！共有 {total} 项待办：新增 {new} 项，逾期 {overdue} 项，{horizon} 天内到期 {due_soon} 项。",
        "section": "【{label}】{count} 项",
        "continued": "【{label}·续】",
        "escalated": "【上报给您的逾期任务】{count} 项",
        "due": "截止 {due}",
        "overdue": "逾期",
        "new": "新",
        "level": "升级{level}级",
        "phone": "☎ {phones}",
        "more": "……另有 {more} 项未列出。",
        "footer": "点按任务下方按钮记录结果；/help 查看全部命令。",
        "nobody": "—",
        "empty": "暂无待办任务。👍",
        "today": "📋 今日待办",
        "overdue_view": "⏰ 逾期任务",
        "week": "🗓 {days} 天内到期",
        "btn_reached": "✅接通", "btn_unreachable": "📵未接通", "btn_visited": "🏠已走访",
        "btn_reschedule": "📅改期", "btn_note": "📝备注", "btn_back": "« 返回",
        "state_reached": "✅ 已接通", "state_unreachable": "📵 未接通", "state_visited": "🏠 已走访",
        "state_declined": "🙅 婉拒", "state_covered": "✔ 已覆盖", "state_closed": "（已关闭）",
        "state_rescheduled": "📅 改至 {date}", "state_noted": "📝 已备注",
        "weekday": "一二三四五六日",
        "grid_title": "📣 {day} 网格通报 · {grid}",
        "grid_body": "在办任务 {live} 项，其中逾期 {overdue} 项；本月已完成 {done} 项。",
        "grid_late": "请相关网格员尽快处理逾期任务。",
        "grid_fine": "无逾期任务，感谢大家！",
    },
    "en": {
        "title": "📋 Tasks for {day}",
        "part": " ({i}/{n})",
        "greeting": "Hello {name}. You have {total} open tasks: {new} new, {overdue} overdue, {due_soon} due within {horizon} days.",
        "section": "[{label}] {count}",
        "continued": "[{label}, continued]",
        "escalated": "[Late tasks escalated to you] {count}",
        "due": "due {due}",
        "overdue": "OVERDUE",
        "new": "new",
        "level": "escalated L{level}",
        "phone": "☎ {phones}",
        "more": "... and {more} more not listed.",
        "footer": "Tap a button under a task to record the result; /help lists the commands.",
        "nobody": "—",
        "empty": "Nothing to do. 👍",
        "today": "📋 Open tasks",
        "overdue_view": "⏰ Overdue tasks",
        "week": "🗓 Due within {days} days",
        "btn_reached": "✅ Reached", "btn_unreachable": "📵 No answer", "btn_visited": "🏠 Visited",
        "btn_reschedule": "📅 Later", "btn_note": "📝 Note", "btn_back": "« Back",
        "state_reached": "✅ reached", "state_unreachable": "📵 no answer", "state_visited": "🏠 visited",
        "state_declined": "🙅 declined", "state_covered": "✔ covered", "state_closed": "(closed)",
        "state_rescheduled": "📅 moved to {date}", "state_noted": "📝 noted",
        "weekday": "MTWTFSS",
        "grid_title": "📣 Grid notice {day} · {grid}",
        "grid_body": "{live} open tasks, {overdue} of them overdue; {done} done this month.",
        "grid_late": "Grid coordinators, please see to the overdue tasks.",
        "grid_fine": "Nothing overdue. Thank you all!",
    },
}

OUTCOME_CODES = {"reached": "r", "unreachable": "u", "visited": "v", "declined": "d"}
CODE_OUTCOMES = {code: outcome for outcome, code in OUTCOME_CODES.items()}


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def texts(language: str) -> dict[str, str]:
    return TEXT.get(language, TEXT["zh"])


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass
class ChatText:
    """One Telegram message: plain text, an inline keyboard, and the tasks it lists."""

    text: str
    keyboard: list[list[Button]] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)


# -- callback data ------------------------------------------------------------------------------
# TOKEN:ACTION[:ARG] — the token stands for (task, coordinator) on the server; nothing else is
# trusted from the client. Actions: o outcome (r/u/v/d), s show dates, d date (YYYYMMDD),
# b back, n note, i info.

_CALLBACK = re.compile(r"^(?P<token>[A-Za-z0-9_-]{16}):(?P<action>o|s|d|b|n|i)(?::(?P<arg>[a-z]|\d{8}))?$")


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


# -- task lines and buttons ---------------------------------------------------------------------


def _short_date(value: str | dt.date) -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return day.strftime("%m-%d")


def _who(item: Mapping[str, Any], t: Mapping[str, str]) -> str:
    """The cadre's name, else what the task is about (a branch meeting, an event step ...)."""
    return str(item.get("cadre") or item.get("label") or t["nobody"])


def task_line(item: Mapping[str, Any], language: str, *, private: bool) -> str:
    """`#12 王老 · 城关镇/东街村 · 截止 10-31 [逾期]` (+ phones in a private chat). Starts with #id."""
    t = texts(language)
    flags = []
    if item.get("status") == "overdue":
        flags.append(t["overdue"])
    if item.get("new"):
        flags.append(t["new"])
    if item.get("escalation_level"):
        flags.append(t["level"].format(level=item["escalation_level"]))
    parts = [f"#{item['task_id']} {_who(item, t)}"]
    if item.get("grid"):
        parts.append(str(item["grid"]))
    parts.append(t["due"].format(due=_short_date(item["due"])))
    if private and item.get("phones"):
        parts.append(t["phone"].format(phones=" / ".join(item["phones"])))
    line = " · ".join(parts)
    return line + (f" [{', '.join(flags)}]" if flags else "")


def allowed_buttons(playbook: Playbook | None, rule: str | None) -> tuple[str, ...]:
    """The one-tap outcomes a task of this rule accepts (the playbook's list, in button order)."""
    if playbook is None or rule is None:
        return BUTTON_OUTCOMES
    try:
        outcomes = playbook.rule(rule).outcomes
    except KeyError:
        return BUTTON_OUTCOMES
    return tuple(o for o in BUTTON_OUTCOMES if o in outcomes)


def task_rows(token: str, item: Mapping[str, Any], language: str, playbook: Playbook | None) -> list[list[Button]]:
    """Two rows per task: its label (tap for details), then the answers."""
    t = texts(language)
    label = f"#{item['task_id']} {_who(item, t)}"
    answers = [
        Button(t[f"btn_{o}"], CallbackData(token, "o", OUTCOME_CODES[o]).encode())
        for o in allowed_buttons(playbook, item.get("rule"))
    ]
    answers.append(Button(t["btn_reschedule"], CallbackData(token, "s").encode()))
    answers.append(Button(t["btn_note"], CallbackData(token, "n").encode()))
    return [[Button(label[:60], CallbackData(token, "i").encode())], answers]


def date_rows(token: str, *, today: dt.date, latest: dt.date, language: str, days: int = 8) -> list[list[Button]]:
    """The date picker for one task: the next days up to the latest allowed, then « back."""
    t = texts(language)
    choices = [today + dt.timedelta(days=i) for i in range(1, days + 1) if today + dt.timedelta(days=i) <= latest]
    buttons = [
        Button(f"{d.strftime('%m-%d')} {t['weekday'][d.weekday()]}", CallbackData(token, "d", d.strftime("%Y%m%d")).encode())
        for d in choices
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([Button(t["btn_back"], CallbackData(token, "b").encode())])
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


def mark_task(text: str, task_id: int, state: str) -> str:
    """The message text with the task's line ending in `→ state` (replacing an earlier state)."""
    pattern = re.compile(rf"^(#{task_id} [^\n]*?)(?: → [^\n]*)?$", re.MULTILINE)
    return pattern.sub(lambda m: f"{m.group(1)} → {state}", text, count=1)


def state_label(language: str, state: str, **values: str) -> str:
    t = texts(language)
    return t.get(f"state_{state}", state).format(**values)


# -- whole messages -----------------------------------------------------------------------------


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.get(kind, len(KIND_ORDER))


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


@dataclass(frozen=True)
class Section:
    heading: str
    continued: str  # the heading again when the section runs over into the next message
    items: Sequence[Mapping[str, Any]]


def render_tasks(
    sections: Sequence[Section],
    *,
    title: str,
    intro: Sequence[str] = (),
    outro: Sequence[str] = (),
    language: str,
    private: bool,
    tokens: Mapping[int, str] | None,
    playbook: Playbook | None,
    limit: int = MAX_TEXT,
) -> list[ChatText]:
    """Headed sections of task lines, packed into as few messages as the limits allow.

    Each message starts with the title (and "(2/3)" when there are several); a section that
    runs over into the next message repeats its heading marked as continued.
    """
    t = texts(language)
    marker_room = tg_len(t["part"].format(i=99, n=99))
    packer = _Packer(limit=limit, reserve_head=tg_len(title) + marker_room + 1)
    for line in intro:
        for piece in _split_long(line, limit - packer.reserve_head - 1):
            if not packer.fits([piece]):
                packer.flush()
            packer.add(piece)
    for section in sections:
        heading, first = section.heading, True
        for item in section.items:
            line = task_line(item, language, private=private)
            token = tokens.get(int(item["task_id"])) if tokens is not None and private else None
            rows = task_rows(token, item, language, playbook) if token else []
            needed = [heading, line] if first else [line]
            if not packer.fits(needed, tasks=1):
                packer.flush()
                needed = [heading if first else section.continued, line]
            if len(needed) == 2:
                packer.add(needed[0])
            packer.add(line, task_id=int(item["task_id"]), rows=rows)
            first = False
    for line in outro:
        if not packer.fits([line]):
            packer.flush()
        packer.add(line)
    packer.flush()
    total = len(packer.messages)
    for i, message in enumerate(packer.messages, 1):
        head = title + (t["part"].format(i=i, n=total) if total > 1 else "")
        message.text = f"{head}\n{message.text}"
    return packer.messages


def _by_kind(items: Sequence[Mapping[str, Any]], language: str) -> list[Section]:
    t = texts(language)
    lang = language if language in TEXT else "zh"
    sections = []
    for kind in sorted({str(i["kind"]) for i in items}, key=_kind_rank):
        chunk = [i for i in items if i["kind"] == kind]
        label = kind_label(kind, lang)
        sections.append(Section(t["section"].format(label=label, count=len(chunk)),
                                t["continued"].format(label=label), chunk))
    return sections


def render_digest(
    payload: Mapping[str, Any],
    *,
    private: bool,
    tokens: Mapping[int, str] | None,
    playbook: Playbook | None = None,
    limit: int = MAX_TEXT,
) -> list[ChatText]:
    """A coordinator's daily digest (from `notifiers.templates.digest_payload`) as Telegram messages.

    Must-visits first, then festival visits, visits, services, calls and event steps; escalated
    tasks last. Phones and buttons only when `private`.
    """
    language = str(payload.get("language")) if payload.get("language") in TEXT else "zh"
    t = texts(language)
    counts = payload.get("counts", {})
    intro = [
        t["greeting"].format(
            name=payload.get("coordinator", ""), total=counts.get("total", 0), new=counts.get("new", 0),
            overdue=counts.get("overdue", 0), due_soon=counts.get("due_soon", 0),
            horizon=payload.get("horizon_days", 7),
        )
    ]
    sections = _by_kind(payload.get("items", []), language)
    escalated = payload.get("escalated_items", [])
    if escalated:
        heading = t["escalated"].format(count=counts.get("escalated", len(escalated)))
        sections.append(Section(heading, heading, escalated))
    outro = []
    if counts.get("more"):
        outro.append(t["more"].format(more=counts["more"]))
    if private and tokens:
        outro.append(t["footer"])
    return render_tasks(
        sections, title=t["title"].format(day=payload.get("day", "")), intro=intro, outro=outro,
        language=language, private=private, tokens=tokens, playbook=playbook, limit=limit,
    )


def render_view(
    items: Sequence[Mapping[str, Any]],
    *,
    title: str,
    language: str,
    tokens: Mapping[int, str] | None,
    playbook: Playbook | None,
    more: int = 0,
    limit: int = MAX_TEXT,
) -> list[ChatText]:
    """A task list asked for with /today, /overdue or /week (always in the coordinator's private chat)."""
    t = texts(language)
    if not items:
        return [ChatText(f"{title}\n{t['empty']}")]
    outro = [t["more"].format(more=more)] if more else []
    return render_tasks(
        _by_kind(items, language), title=title, outro=outro, language=language, private=True,
        tokens=tokens, playbook=playbook, limit=limit,
    )


def render_plain(text: str, *, limit: int = MAX_TEXT) -> list[ChatText]:
    """Any other message (alerts, notices) split at line breaks under the limit."""
    messages: list[ChatText] = []
    current: list[str] = []
    length = 0
    for line in text.splitlines() or [""]:
        for piece in _split_long(line, limit) or [""]:
            if current and length + tg_len(piece) + 1 > limit:
                messages.append(ChatText("\n".join(current)))
                current, length = [], 0
            current.append(piece)
            length += tg_len(piece) + 1
    if current and "".join(current).strip():
        messages.append(ChatText("\n".join(current)))
    return messages


def render_grid_notice(counts: Any, day: dt.date, language: str) -> str:
    """A grid group's daily notice: counts only, no name, phone or address (网格群不发个人信息)."""
    t = texts(language)
    lines = [
        t["grid_title"].format(day=day.isoformat(), grid=counts.grid),
        t["grid_body"].format(live=counts.live, overdue=counts.overdue, done=counts.done_this_month),
        t["grid_late"] if counts.overdue else t["grid_fine"],
    ]
    return "\n".join(lines)


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
