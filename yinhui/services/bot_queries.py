"""What the chat bot reads (selectors): who a chat is, a coordinator's task lists, a button press checked, a cadre by name.

The bot's handlers call these and the task service, never the database directly. Every check that
decides whether a press or a note may change a task happens here, on the server: nothing from the
client is trusted beyond the opaque token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from models.grids import Grid
from models.people import ACTIVE, Cadre, CoordinatorGrid
from models.tasks import LIVE_STATUSES, Task
from yinhui.rules.playbook import Playbook
from yinhui.services.chat import (
    coordinator_for_chat,
    grid_path,
    group_for_chat,
    issue_callback_tokens,
    resolve_callback_token,
    task_belongs_to,
)
from yinhui.services.digests import collect_digests, digest_payload
from yinhui.services.relatives import kin_of_tasks

VIEWS = ("today", "overdue", "week")
MAX_LISTED = 500  # tasks gathered for a chat list before the playbook's display limit cuts it


@dataclass(frozen=True)
class ChatIdentity:
    """Whom a chat belongs to: a bound coordinator, a grid's group, or nobody we serve."""

    kind: str  # coordinator, group, stranger
    language: str
    coordinator_id: int | None = None
    name: str = ""
    grid_id: int | None = None
    grid: str = ""
    audience: str = "grid"  # of a group: the grid's group chat, or its relatives' group (亲人群)


def identify_chat(session: Session, *, chat_id: int, private: bool, user_id: int | None,
                  default_language: str) -> ChatIdentity:
    if private:
        # In a private chat the chat id is the user's id; anything else is not a real private chat.
        coordinator = coordinator_for_chat(session, chat_id) if user_id == chat_id else None
        if coordinator is not None:
            return ChatIdentity("coordinator", coordinator.language or default_language, coordinator.id, coordinator.name)
        return ChatIdentity("stranger", default_language)
    group = group_for_chat(session, chat_id)
    if group is not None:
        grid = session.get(Grid, group.grid_id)
        return ChatIdentity("group", group.language or default_language, grid_id=group.grid_id,
                            grid=grid_path(session, grid) if grid else "", audience=group.audience)
    return ChatIdentity("stranger", default_language)


@dataclass(frozen=True)
class TaskList:
    """A coordinator's open tasks for one view, the tokens of their buttons, and how many are not shown."""

    items: list[dict[str, Any]]
    tokens: dict[int, str]
    more: int
    horizon_days: int


def task_list(session: Session, *, coordinator_id: int, view: str, today: dt.date, language: str,
              playbook: Playbook) -> TaskList:
    """All open tasks (today), the overdue ones, or those due within the digest's horizon (week)."""
    horizon = playbook.digest.horizon_days
    digests = collect_digests(session, day=today, horizon_days=horizon, max_items=MAX_LISTED,
                              coordinator_ids={coordinator_id}, playbook=playbook)
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
    return TaskList(shown, {task: token for (task, _), token in tokens.items()}, len(items) - len(shown), horizon)


@dataclass(frozen=True)
class PressCheck:
    """A button press (or a note) checked: `status` is ok, stranger, invalid, not_yours or closed."""

    status: str
    language: str
    coordinator_id: int | None = None
    task: Task | None = None
    item: dict[str, Any] = field(default_factory=dict)  # the task as a list item (for its line and buttons)

    @property
    def actor(self) -> str:
        return f"coordinator:{self.coordinator_id}"


def check_press(session: Session, *, chat_id: int, token: str | None, default_language: str) -> PressCheck:
    """May this chat act on the task behind this token? Bound coordinator, their token, their live task."""
    coordinator = coordinator_for_chat(session, chat_id)
    if coordinator is None:
        return PressCheck("stranger", default_language)
    language = coordinator.language or default_language
    found = resolve_callback_token(session, token) if token else None
    if found is None:
        return PressCheck("invalid", language, coordinator.id)
    if found.coordinator_id != coordinator.id:
        return PressCheck("not_yours", language, coordinator.id)
    task = session.get(Task, found.task_id)
    if task is None:
        return PressCheck("invalid", language, coordinator.id)
    if not task_belongs_to(task, found.coordinator_id):
        return PressCheck("not_yours", language, coordinator.id, task)
    cadre = session.get(Cadre, task.cadre_id) if task.cadre_id else None
    item: dict[str, Any] = {"task_id": task.id, "cadre": cadre.name if cadre else None, "rule": task.rule, "kind": task.kind,
            "due": task.due.isoformat(), "status": task.status, "grid": None,
            "phones": cadre.phone_list if cadre else []}
    kin = kin_of_tasks(session, [task.id or 0]).get(task.id or 0)
    if kin:
        item["kin"] = kin
    status = "ok" if task.status in LIVE_STATUSES else "closed"
    return PressCheck(status, language, coordinator.id, task, item)


def cadre_scope(coordinator_id: int) -> ColumnElement[bool]:
    """SQL condition: cadres this coordinator answers for (named, in their grids, or on their list)."""
    held = select(col(CoordinatorGrid.grid_id)).where(col(CoordinatorGrid.coordinator_id) == coordinator_id)
    under_held = select(col(Grid.id)).where(col(Grid.parent_id).in_(held))
    on_list = select(col(Task.cadre_id)).where(
        col(Task.status).in_(LIVE_STATUSES),
        or_(col(Task.assignee_id) == coordinator_id, col(Task.escalated_to_id) == coordinator_id),
    )
    return or_(
        col(Cadre.coordinator_id) == coordinator_id,
        col(Cadre.grid_id).in_(held),
        col(Cadre.grid_id).in_(under_held),
        col(Cadre.id).in_(on_list),
    )


def find_my_cadres(session: Session, *, coordinator_id: int, ref: str, limit: int = 6) -> list[Cadre]:
    """Active cadres this coordinator answers for, by name or `#id` (up to `limit`, for ambiguity)."""
    text = ref.strip()
    query = select(Cadre).where(cadre_scope(coordinator_id), col(Cadre.status) == ACTIVE)
    number = text.lstrip("#")
    if number.isdigit() and len(number) < 10:
        query = query.where(col(Cadre.id) == int(number))
    else:
        query = query.where(col(Cadre.name) == text)
    return list(session.execute(query.order_by(col(Cadre.id)).limit(limit)).scalars())
