"""Gathers each coordinator's daily digest: their live tasks, most urgent first, in one pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, literal, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.grids import Grid
from models.people import Cadre, Coordinator
from models.tasks import LIVE_STATUSES, OVERDUE, Task

# Must-visits first, then festival visits and routine visits, services, calls, event steps, the rest.
KIND_ORDER = {"must_visit": 0, "festival_visit": 1, "visit": 2, "service": 3, "call": 4, "event_step": 5}
OTHER_KIND = len(KIND_ORDER)


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


def _kind_rank():  # noqa: ANN202 - a SQL expression
    return case(*((Task.kind == k, literal(v, Integer)) for k, v in KIND_ORDER.items()), else_=literal(OTHER_KIND))


def _rows(session: Session, *, day: dt.date, recipient_column, escalated: bool) -> Iterator[tuple]:  # noqa: ANN001
    township = aliased(Grid)
    query = (
        select(
            recipient_column, Task.id, Task.kind, Task.rule, Task.status, Task.due, Task.priority,
            Task.window_opens, Task.escalation_level, Cadre.name, Cadre.phones, Grid.name, township.name,
        )
        .outerjoin(Cadre, Cadre.id == Task.cadre_id)
        .outerjoin(Grid, Grid.id == Cadre.grid_id)
        .outerjoin(township, township.id == Grid.parent_id)
        .where(Task.status.in_(LIVE_STATUSES), Task.window_opens <= day)
        # The database sorts; Python keeps only the head of each coordinator's list.
        .order_by(
            recipient_column,
            _kind_rank(),
            case((Task.status == OVERDUE, 0), else_=1),
            Task.priority,
            Task.due,
            Cadre.name,
            Task.id,
        )
        .execution_options(yield_per=10000)
    )
    if escalated:
        query = query.where(Task.escalated_to_id.is_not(None), Task.escalated_to_id != Task.assignee_id)
    yield from session.execute(query)


def collect_digests(
    session: Session,
    *,
    day: dt.date,
    horizon_days: int,
    max_items: int,
    coordinator_ids: set[int] | None = None,
) -> list[Digest]:
    """Every active coordinator with live tasks gets one digest; escalations reach their target too."""
    coordinators = {
        c.id: c for c in session.execute(select(Coordinator).where(Coordinator.active == true())).scalars()
    }
    horizon_end = day + dt.timedelta(days=horizon_days)
    digests: dict[int, Digest] = {}
    for column, escalated in ((Task.assignee_id, False), (Task.escalated_to_id, True)):
        for (recipient, task_id, kind, rule, status, due, priority, opens, level,
             cadre_name, phones, grid, town) in _rows(session, day=day, recipient_column=column, escalated=escalated):
            if recipient not in coordinators or (coordinator_ids is not None and recipient not in coordinator_ids):
                continue
            digest = digests.get(recipient)
            if digest is None:
                c = coordinators[recipient]
                digest = digests[recipient] = Digest(recipient, c.name, c.channel, c.language, day)
            digest.total += 1
            digest.by_kind[kind] = digest.by_kind.get(kind, 0) + 1
            digest.new += opens == day
            digest.overdue += status == OVERDUE
            digest.due_soon += status != OVERDUE and due <= horizon_end
            digest.escalated += escalated
            listed = digest.escalated_items if escalated else digest.items
            if len(listed) < max_items:
                listed.append(
                    DigestItem(
                        task_id=task_id, kind=kind, rule=rule, status=status, due=due, priority=priority,
                        cadre_name=cadre_name, phones=tuple(p for p in (phones or "").split(";") if p),
                        grid=f"{town}/{grid}" if town and grid else grid, new=opens == day,
                        escalation_level=level, escalated=escalated,
                    )
                )
    return [digests[cid] for cid in sorted(digests)]
