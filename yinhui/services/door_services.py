"""The six door-to-door services for 离休 cadres (六上门): daily planning and the per-cadre report.

Planning reuses the contact cadence's set-based insert (`create_cadence_tasks`): a service is a
cadence rule that nothing but delivering it satisfies. The report says, per cadre, which of the
six were delivered in a period and which are missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.grids import GridOwner
from models.people import ACTIVE, Cadre, Coordinator
from models.tasks import DONE, Task
from yinhui.rules.cadence import Period, ShiftDue
from yinhui.rules.door_services import DELIVERED, due_services, expected_periods, service_rule
from yinhui.rules.playbook import Playbook
from yinhui.services.cadres import grid_paths
from yinhui.services.planning import create_cadence_tasks


def plan_door_services(
    session: Session, *, playbook: Playbook, day: dt.date, shift_due: ShiftDue | None, leader_id: int, actor: str
) -> dict[str, int]:
    """A task per open service window and eligible cadre that has none; returns created per rule."""
    return {
        due.rule: create_cadence_tasks(session, due, day=day, prio=playbook.priority, leader_id=leader_id, actor=actor)
        for due in due_services(playbook, day, shift_due)
    }


def services_report(session: Session, *, playbook: Playbook, period: Period, today: dt.date) -> dict[str, Any]:
    """Per cadre served (离休 by default): for each service, periods delivered of those expected.

    A period is expected when it overlaps ``period`` and its window has opened by ``today``;
    it is delivered when its task was done as visited or reached. Cadres on the books for the
    period are counted (still active, or left after it ended), as in the coverage report.
    """
    services = list(playbook.door_services)
    categories = sorted({c for s in services for c in s.categories})
    expected = {s.key: expected_periods(s, period, today) for s in services}
    owner_name = aliased(Coordinator)
    named = aliased(Coordinator)
    cadres = session.execute(
        select(col(Cadre.id), col(Cadre.name), col(Cadre.category), col(Cadre.grid_id), col(named.name), col(owner_name.name))
        .outerjoin(named, and_(col(named.id) == col(Cadre.coordinator_id), col(named.active) == true()))
        .outerjoin(GridOwner, col(GridOwner.grid_id) == col(Cadre.grid_id))
        .outerjoin(owner_name, col(owner_name.id) == col(GridOwner.owner_id))
        .where(col(Cadre.category).in_(categories), or_(col(Cadre.status) == ACTIVE, col(Cadre.status_since) > period.end))
        .order_by(col(Cadre.grid_id), col(Cadre.name), col(Cadre.id))
    ).all()
    keys = {p.key for periods in expected.values() for p in periods}
    delivered: set[tuple[int, str, str]] = set()
    ids = [row[0] for row in cadres]
    for start in range(0, len(ids), 900):
        for cadre_id, rule, task_period in session.execute(
            select(col(Task.cadre_id), col(Task.rule), col(Task.period)).where(
                col(Task.rule).in_([service_rule(s.key) for s in services]), col(Task.cadre_id).in_(ids[start:start + 900]),
                col(Task.period).in_(keys), col(Task.status) == DONE, col(Task.outcome).in_(DELIVERED),
            )
        ):
            delivered.add((cadre_id, rule, task_period))
    paths = grid_paths(session, [row[3] for row in cadres])
    rows = []
    for cadre_id, name, category, grid_id, named_by, owner in cadres:
        per_service: dict[str, dict[str, int]] = {}
        for service in services:
            if category not in service.categories:
                continue
            wanted = expected[service.key]
            done = sum((cadre_id, service_rule(service.key), p.key) in delivered for p in wanted)
            per_service[service.key] = {"delivered": done, "expected": len(wanted)}
        rows.append({
            "cadre_id": cadre_id, "name": name, "grid": paths.get(grid_id, "?"), "coordinator": named_by or owner,
            "services": per_service,
            "delivered": [k for k, v in per_service.items() if v["expected"] and v["delivered"] >= v["expected"]],
            "missing": [k for k, v in per_service.items() if v["delivered"] < v["expected"]],
        })
    return {
        "period": period.key,
        "services": [{"key": s.key, "title_zh": s.title.zh, "title_en": s.title.en, "every": s.every,
                      "expected_periods": [p.key for p in expected[s.key]]} for s in services],
        "cadres": rows,
        "complete": sum(1 for r in rows if not r["missing"]),
    }
