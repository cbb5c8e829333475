"""The digest renderer: a coordinator's daily list (每日工作提醒), and the lists asked for in chat.

Both read the digest payload (`yinhui.services.digests.digest_payload`): the tasks as stored in
the outbox row, so a message queued in the morning is drawn from what was true then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from yinhui import i18n
from yinhui.i18n import N_
from yinhui.messages.content import Message, Section, TaskLine
from yinhui.messages.texts import kind_label, language_of, text
from yinhui.rules.playbook import Playbook
from yinhui.rules.retry import FOLLOW_UPS

# Must-visits first, then festival visits, follow-ups and routine visits, services, calls, then
# the bureau's own work (meetings, lectures, the writing group, event steps), the rest.
KIND_ORDER = {
    "must_visit": 0, "festival_visit": 1, "follow_up": 2, "visit": 3, "absence_visit": 4, "service": 5, "call": 6,
    "meeting": 7, "lecture": 8, "writing_group": 9, "event_step": 10,
}
BUTTON_OUTCOMES = ("reached", "unreachable", "visited")  # the one-tap answers (the CLI has more)
RELATIVE_ANSWER = "relative"  # reached, through a relative (the CLI's --outcome reached --via relative)
RELATIVE_CALLS = frozenset(rule for rule, kind in FOLLOW_UPS.values() if kind == "call")  # the call to the next of kin
DIGEST_ICON = "📋"
VIEW_ICONS = {"today": "📋", "overdue": "⏰", "week": "🗓"}
# The digest's closing line where it carries no buttons (robots, e-mail): the task page's address,
# never a personal token (a robot posts into a group chat).
WEB_PAGE = N_("Handle them on the task page: {url}/tasks")


def kind_rank(kind: str) -> int:
    return KIND_ORDER.get(kind, len(KIND_ORDER))


def task_answers(playbook: Playbook | None, rule: str | None) -> tuple[str, ...]:
    """The one-tap outcomes a task of this rule accepts (the playbook's list, in button order); a call
    also takes "relative" (亲属接听: a relative answered for the cadre, which counts as the contact)."""
    if playbook is None or rule is None:
        return BUTTON_OUTCOMES
    try:
        cadence = playbook.rule(rule)
    except KeyError:
        return (*BUTTON_OUTCOMES, RELATIVE_ANSWER) if rule in RELATIVE_CALLS else BUTTON_OUTCOMES
    answers = tuple(o for o in BUTTON_OUTCOMES if o in cadence.outcomes)
    return (*answers, RELATIVE_ANSWER) if cadence.kind == "call" and "reached" in answers else answers


def _who(item: Mapping[str, Any], language: str) -> str:
    """The cadre, then what the task is; a task without a cadre is known by what it is."""
    cadre, label = item.get("cadre"), item.get("label")
    if cadre and label:
        return f"{cadre} · {label}"
    return str(cadre or label or text(language, "task.nobody"))


def task_line(item: Mapping[str, Any], language: str, playbook: Playbook | None = None) -> TaskLine:
    """One payload item as a task line (flags in the reader's language)."""
    flags = []
    if item.get("status") == "overdue":
        flags.append(text(language, "task.overdue"))
    if item.get("new"):
        flags.append(text(language, "task.new"))
    if item.get("escalation_level"):
        flags.append(text(language, "task.level", level=item["escalation_level"]))
    due = item["due"]
    return TaskLine(
        task_id=int(item["task_id"]),
        who=_who(item, language),
        due=due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due)),
        grid=str(item["grid"]) if item.get("grid") else None,
        phones=tuple(str(p) for p in item.get("phones") or ()),
        flags=tuple(flags),
        answers=task_answers(playbook, item.get("rule")),
        kin=_kin(item.get("kin")),
    )


def _kin(value: object) -> tuple[str, str, tuple[str, ...]] | None:
    """A payload item's next of kin (name, relation, phones), if it has one."""
    if not isinstance(value, Mapping) or not value.get("name"):
        return None
    return str(value["name"]), str(value.get("relation") or ""), tuple(str(p) for p in value.get("phones") or ())


def _by_kind(items: Iterable[Mapping[str, Any]], language: str, playbook: Playbook | None) -> list[Section]:
    chunks: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        chunks.setdefault(str(item["kind"]), []).append(item)
    sections = []
    for kind in sorted(chunks, key=kind_rank):
        label = kind_label(kind, language)
        sections.append(Section(
            text(language, "list.section", label=label, count=len(chunks[kind])),
            text(language, "list.continued", label=label),
            tuple(task_line(i, language, playbook) for i in chunks[kind]),
        ))
    return sections


def render_digest(payload: Mapping[str, Any], *, playbook: Playbook | None = None) -> Message:
    """A coordinator's daily digest: greeting with counts, tasks by kind (must-visits first), escalations last."""
    language = language_of(payload.get("language"))
    counts = payload.get("counts") or {}
    day = str(payload.get("day", ""))
    name = str(payload.get("coordinator", ""))
    intro = text(
        language, "digest.greeting", name=name, day=day, total=counts.get("total", 0), new=counts.get("new", 0),
        overdue=counts.get("overdue", 0), due_soon=counts.get("due_soon", 0), horizon=payload.get("horizon_days", 7),
    )
    sections = _by_kind(payload.get("items") or [], language, playbook)
    escalated = payload.get("escalated_items") or []
    if escalated:
        heading = text(language, "digest.escalated", count=counts.get("escalated", len(escalated)))
        sections.append(Section(heading, heading, tuple(task_line(i, language, playbook) for i in escalated)))
    more = int(counts.get("more") or 0)
    web_url = str(payload.get("web_url") or "").rstrip("/")
    return Message(
        kind="digest", language=language, title=text(language, "digest.title", day=day), icon=DIGEST_ICON,
        intro=(intro,), sections=tuple(sections),
        outro=(text(language, "list.more", more=more),) if more else (),
        answer_hint=text(language, "digest.answer_buttons"),
        command_hint=((text(language, "digest.more_command", name=name),) if more else ())
        + (text(language, "digest.answer_command"),)
        + ((i18n.text(language, WEB_PAGE, url=web_url),) if web_url else ()),
    )


def render_task_list(
    items: Sequence[Mapping[str, Any]],
    *,
    view: str,
    language: str,
    horizon_days: int,
    more: int = 0,
    playbook: Playbook | None = None,
) -> Message:
    """A list a coordinator asked for in chat: /today (all open), /overdue, /week (due within the horizon)."""
    language = language_of(language)
    title = text(language, f"view.{view}", days=horizon_days)
    return Message(
        kind="task_list", language=language, title=title, icon=VIEW_ICONS.get(view, ""),
        sections=tuple(_by_kind(items, language, playbook)),
        outro=(text(language, "list.more", more=more),) if more else (),
        empty=text(language, "list.empty"),
    )
