"""Gathers each coordinator's daily digest: their live tasks, most urgent first, in one pass."""


from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    bindparam,
    case,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col

from models.grids import Grid
from models.people import Cadre, Coordinator
from models.tasks import LIVE_STATUSES, OVERDUE, Task
from yinhui.messages.digest import KIND_ORDER
from yinhui.rules.playbook import Playbook
from yinhui.services.relatives import kin_of_tasks
from yinhui.services.task_views import Label, task_labels
from yinhui.settings import get_settings

OTHER_KIND = len(KIND_ORDER)  # KIND_ORDER: the digest's order of kinds (yinhui.messages.digest)


@dataclass(frozen=True)
class DigestItem:
    task_id: int
    kind: str
    rule: str
    status: str
    due: dt.date
    priority: int
    cadre_name: str | None
    phones: tuple[str, ...]
    grid: str | None
    new: bool
    escalation_level: int
    escalated: bool  # on this recipient's list because it was escalated to them
    label: Label | None = None  # what the task is (a must-visit's kind, a meeting's branch ...)
    kin: dict[str, Any] | None = None  # a call's next of kin (name, relation, phones): the fallback number


@dataclass
class Digest:
    coordinator_id: int
    coordinator_name: str
    channel: str
    language: str | None
    day: dt.date
    total: int = 0
    new: int = 0
    overdue: int = 0
    due_soon: int = 0
    escalated: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    items: list[DigestItem] = field(default_factory=list)
    escalated_items: list[DigestItem] = field(default_factory=list)  # other people's late tasks

    @property
    def more(self) -> int:
        """Tasks counted but not listed one by one (each list stops at the playbook's max)."""
        return self.total - len(self.items) - len(self.escalated_items)


def _kind_rank() -> ColumnElement[int]:
    return case(*((col(Task.kind) == k, literal(v, Integer)) for k, v in KIND_ORDER.items()), else_=literal(OTHER_KIND))


def _recipient_column(escalated: bool) -> Mapped[int | None]:
    return col(Task.escalated_to_id) if escalated else col(Task.assignee_id)


def _live(escalated: bool, filtered: bool) -> list[ColumnElement[bool]]:
    """Live tasks open by the bound `day` (of the bound `recipients` when `filtered`: one coordinator's
    page); for the escalated lists, only tasks escalated to someone other than their assignee."""
    column = _recipient_column(escalated)
    where = [col(Task.status).in_(LIVE_STATUSES), col(Task.window_opens) <= bindparam("day", type_=Date)]
    if filtered:
        where.append(column.in_(bindparam("recipients", expanding=True)))
    if escalated:
        where += [col(Task.escalated_to_id).is_not(None), col(Task.escalated_to_id) != col(Task.assignee_id)]
    return where


# The two queries are built once per shape and bound on each call: building a statement this size
# costs SQLAlchemy more than running it (about half of drawing a coordinator's page).
@functools.cache
def _counts_query(escalated: bool, filtered: bool) -> Select[*tuple[Any, ...]]:
    """Per recipient and kind: how many live tasks, new, overdue and due soon (one aggregate query)."""
    column = _recipient_column(escalated)
    overdue = case((col(Task.status) == OVERDUE, 1), else_=0)
    new = case((col(Task.window_opens) == bindparam("day", type_=Date), 1), else_=0)
    soon = case(((col(Task.status) != OVERDUE) & (col(Task.due) <= bindparam("horizon_end", type_=Date)), 1), else_=0)
    return (
        select(column, col(Task.kind), func.count(), func.sum(new), func.sum(overdue), func.sum(soon))
        .where(*_live(escalated, filtered))
        .group_by(column, col(Task.kind))
    )


@functools.cache
def _heads_query(escalated: bool, filtered: bool) -> Select[*tuple[Any, ...]]:
    """The bound `max_items` most urgent live tasks of each recipient, ranked inside the database."""
    column = _recipient_column(escalated)
    rank = func.row_number().over(
        partition_by=column,
        order_by=(_kind_rank(), case((col(Task.status) == OVERDUE, 0), else_=1), col(Task.priority), col(Task.due), col(Task.id)),
    )
    head = select(column.label("recipient"), col(Task.id).label("task_id"), rank.label("rank")).where(
        *_live(escalated, filtered)).subquery()
    township = aliased(Grid)
    return (
        select(
            head.c.recipient, col(Task.id), col(Task.kind), col(Task.rule), col(Task.status), col(Task.due), col(Task.priority),
            col(Task.window_opens), col(Task.escalation_level), col(Cadre.name), col(Cadre.phones), col(Grid.name), col(township.name),
        )
        .join(Task, col(Task.id) == head.c.task_id)
        .outerjoin(Cadre, col(Cadre.id) == col(Task.cadre_id))
        .outerjoin(Grid, col(Grid.id) == col(Cadre.grid_id))
        .outerjoin(township, col(township.id) == col(Grid.parent_id))
        .where(head.c.rank <= bindparam("max_items", type_=Integer))
        .order_by(head.c.recipient, head.c.rank)
    )


def _params(day: dt.date, recipients: set[int] | None, **more: Any) -> dict[str, Any]:
    return {"day": day, **({"recipients": sorted(recipients)} if recipients is not None else {}), **more}


def collect_digests(
    session: Session,
    *,
    day: dt.date,
    horizon_days: int,
    max_items: int,
    coordinator_ids: set[int] | None = None,
    playbook: Playbook | None = None,
) -> list[Digest]:
    """Every active coordinator with live tasks gets one digest; escalations reach their target too.

    Counting and ranking happen in the database, so Python only ever sees each coordinator's
    head of list, however many tasks a county has. Listed tasks carry their label (`task_labels`).
    """
    coordinators = {
        c.id: c for c in session.execute(select(Coordinator).where(col(Coordinator.active) == true())).scalars()
    }
    horizon_end = day + dt.timedelta(days=horizon_days)
    digests: dict[int, Digest] = {}

    def digest_for(recipient: int) -> Digest | None:
        if recipient not in coordinators or (coordinator_ids is not None and recipient not in coordinator_ids):
            return None
        digest = digests.get(recipient)
        if digest is None:
            c = coordinators[recipient]
            digest = digests[recipient] = Digest(recipient, c.name, c.channel, c.language, day)
        return digest

    for escalated in (False, True):
        filtered = coordinator_ids is not None
        for recipient, kind, total, new, overdue, soon in session.execute(
            _counts_query(escalated, filtered), _params(day, coordinator_ids, horizon_end=horizon_end),
        ):
            digest = digest_for(recipient)
            if digest is None:
                continue
            digest.total += total
            digest.by_kind[kind] = digest.by_kind.get(kind, 0) + total
            digest.new += int(new or 0)
            digest.overdue += int(overdue or 0)
            digest.due_soon += int(soon or 0)
            digest.escalated += total if escalated else 0
        for (recipient, task_id, kind, rule, status, due, priority, opens, level,
             cadre_name, phones, grid, town) in session.execute(
                 _heads_query(escalated, filtered), _params(day, coordinator_ids, max_items=max_items)):
            digest = digest_for(recipient)
            if digest is None:
                continue
            (digest.escalated_items if escalated else digest.items).append(
                DigestItem(
                    task_id=task_id, kind=kind, rule=rule, status=status, due=due, priority=priority,
                    cadre_name=cadre_name, phones=tuple(p for p in (phones or "").split(";") if p),
                    grid=f"{town}/{grid}" if town and grid else grid, new=opens == day,
                    escalation_level=level, escalated=escalated,
                )
            )
    listed = [i.task_id for d in digests.values() for i in (*d.items, *d.escalated_items)]
    labels = task_labels(session, listed, playbook=playbook)
    kin = kin_of_tasks(session, listed)
    if labels or kin:
        for d in digests.values():
            d.items = [replace(i, label=labels.get(i.task_id), kin=kin.get(i.task_id)) for i in d.items]
            d.escalated_items = [replace(i, label=labels.get(i.task_id), kin=kin.get(i.task_id))
                                 for i in d.escalated_items]
    return [digests[cid] for cid in sorted(digests)]


def digest_payload(digest: Digest, *, language: str, horizon_days: int) -> dict[str, Any]:
    """The digest as its outbox row keeps it: what `yinhui.messages.digest.render_digest` draws from.

    Phones are included for the coordinator's own private chat; the formats drop them anywhere
    else. The payload lives in the database, never in logs. With `YINHUI_WEB_URL` set it keeps the
    task page's address too (the closing line of a digest sent where there are no buttons).
    """
    web_url = get_settings().web_url

    def item(i: DigestItem) -> dict[str, Any]:
        return {
            "task_id": i.task_id, "kind": i.kind, "rule": i.rule, "status": i.status,
            "due": i.due.isoformat(), "cadre": i.cadre_name, "phones": list(i.phones), "grid": i.grid,
            "label": i.label.text(language) if i.label else None,
            **({"kin": i.kin} if i.kin else {}),
            "new": i.new, "escalation_level": i.escalation_level,
        }

    return {
        "render": "digest",
        "day": digest.day.isoformat(),
        "language": language,
        "horizon_days": horizon_days,
        "coordinator": digest.coordinator_name,
        "counts": {
            "total": digest.total, "new": digest.new, "overdue": digest.overdue,
            "due_soon": digest.due_soon, "escalated": digest.escalated, "more": digest.more,
            "by_kind": digest.by_kind,
        },
        "items": [item(i) for i in digest.items],
        "escalated_items": [item(i) for i in digest.escalated_items],
        **({"web_url": web_url} if web_url else {}),
    }
