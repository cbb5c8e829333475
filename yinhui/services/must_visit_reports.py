"""How each must-visit (四必访) was handled: the per-occurrence report and its summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    or_,
    select,
)
from sqlmodel import Session, col

from models.must_visits import Occurrence
from models.people import Cadre, Coordinator
from models.tasks import CANCELLED, DONE, Task
from yinhui import clock, textable
from yinhui.i18n import N_, text
from yinhui.rules.must_visits import (
    KINDS,
    detail_text,
    follow_up_rule,
    must_visit_rule,
)
from yinhui.rules.playbook import Playbook
from yinhui.services.cadres import grid_paths


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(clock.tz()).date() if moment is not None else None


def occurrence_report(
    session: Session, *, first: dt.date, last: dt.date, playbook: Playbook, language: str = "zh"
) -> list[dict[str, Any]]:
    """Occurrences that happened or were reported from ``first`` to ``last``, with how each was handled:
    the visit (status, due, done on, on time, who) and its follow-ups. No ID numbers or notes.

    ``kind`` is the kind's key (hospitalisation), ``title`` its name in ``language`` (生病住院探望)."""
    in_range = or_(col(Occurrence.on_date).between(first, last), col(Occurrence.reported_on).between(first, last))
    rows = session.execute(
        select(Occurrence, col(Cadre.name), col(Cadre.grid_id)).join(Cadre, col(Cadre.id) == col(Occurrence.cadre_id))
        .where(in_range).order_by(col(Occurrence.on_date), col(Occurrence.id))
    ).all()
    if not rows:
        return []
    cadre_ids = sorted({occ.cadre_id for occ, _, _ in rows})
    rules = [must_visit_rule(k) for k in KINDS] + [follow_up_rule(k) for k in KINDS]
    tasks: dict[tuple[int, str], list[tuple[Task, str]]] = {}
    for task, assignee in session.execute(
        select(Task, col(Coordinator.name)).join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .where(col(Task.rule).in_(rules), col(Task.cadre_id).in_(cadre_ids)).order_by(col(Task.id))
    ).all():
        tasks.setdefault((task.cadre_id, task.rule), []).append((task, assignee))
    paths = grid_paths(session, [grid for _, _, grid in rows])
    titles = {kind: rule.title.text(language) for kind, rule in playbook.must_visits.kinds().items()}

    def view(task: Task, assignee: str) -> dict[str, Any]:
        done_on = _local_day(task.closed_at) if task.status == DONE else None
        return {
            "task_id": task.id, "status": task.status, "outcome": task.outcome, "due": task.due.isoformat(),
            "done_on": done_on.isoformat() if done_on else None, "on_time": done_on is not None and done_on <= task.due,
            "assignee": assignee, "escalation_level": task.escalation_level,
        }

    result = []
    for occ, name, grid in rows:
        visit = next((view(t, a) for t, a in tasks.get((occ.cadre_id, must_visit_rule(occ.kind)), [])
                      if t.period == occ.period), None)
        follow_ups = [view(t, a) | {"period": t.period}
                      for t, a in tasks.get((occ.cadre_id, follow_up_rule(occ.kind)), [])
                      if t.period == occ.period or t.period.startswith(occ.period + "/")]
        result.append({
            "id": occ.id, "cadre": name, "grid": paths.get(grid, "?"), "kind": occ.kind,
            "title": titles.get(occ.kind, occ.kind),
            "detail": detail_text(occ.detail, language), "on": occ.on_date.isoformat(),
            "reported_on": occ.reported_on.isoformat(), "reported_by": occ.reported_by,
            "closed_on": occ.closed_on.isoformat() if occ.closed_on else None,
            "visit": visit, "follow_ups": follow_ups,
        })
    return result


def occurrence_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per kind: reported, visits done (on time), still open or late, missed, follow-ups done/planned."""
    summary: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = summary.setdefault(row["kind"], {
            "kind": row["kind"], "title": row["title"], "reported": 0, "visited": 0, "on_time": 0, "open": 0, "late": 0, "missed": 0,
            "cancelled": 0, "follow_ups": 0, "follow_ups_done": 0,
        })
        entry["reported"] += 1
        visit = row["visit"]
        if visit is not None:
            status = visit["status"]
            entry["visited"] += status == DONE
            entry["on_time"] += bool(visit["on_time"])
            entry["open"] += status == "open"
            entry["late"] += status == "overdue"
            entry["missed"] += status == "missed"
            entry["cancelled"] += status == CANCELLED
        entry["follow_ups"] += len(row["follow_ups"])
        entry["follow_ups_done"] += sum(f["status"] == DONE for f in row["follow_ups"])
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(summary.values(), key=lambda e: order.get(e["kind"], len(order)))


OCCURRENCE_HEADERS = (N_("cadre"), N_("grid"), N_("kind"), N_("on"), N_("visit"), N_("by"), N_("follow-ups"))
OCCURRENCE_WORDS = {
    "done": N_("done {day}"),
    "late": N_("late, due {due}"),
    "waiting": N_("{status} (due {due})"),
    "escalated": N_("escalated L{level}"),
}
VISIT_STATUS = {"open": N_("open"), "overdue": N_("overdue"), "missed": N_("missed its deadline"), "cancelled": N_("cancelled")}


def render_occurrences(rows: list[dict[str, Any]], language: str | None) -> textable.Table:
    """One line per occurrence: who, what, when, and how its visit and follow-ups went, in `language`
    (print it, or str() it)."""

    def say(key: str, **values: object) -> str:
        return text(language, OCCURRENCE_WORDS[key], **values)

    def visit(v: dict[str, Any] | None) -> str:
        if v is None:
            return "-"
        if v["status"] == "done":
            return say("done", day=v["done_on"]) + ("" if v["on_time"] else f" ({say('late', due=v['due'])})")
        status = text(language, VISIT_STATUS.get(v["status"], v["status"]))
        level = v["escalation_level"]
        return say("waiting", status=status, due=v["due"]) + (f", {say('escalated', level=level)}" if level else "")

    return textable.Table(
        [text(language, header) for header in OCCURRENCE_HEADERS],
        [[r["cadre"], r["grid"], r["title"] + (f" ({r['detail']})" if r["detail"] else ""), r["on"], visit(r["visit"]),
          (r["visit"] or {}).get("assignee", ""), "; ".join(f"{f['period']}: {visit(f)}" for f in r["follow_ups"]) or "-"]
         for r in rows],
    )
