"""The care-plan flow under a real Prefect test server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.must_visits import Occurrence
from models.outbox import Notification
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.services.must_visits import record_occurrence
from yinhui.services.organisations import BranchBook

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat
PLAYBOOK = load_playbook()


def _county() -> dict[str, int]:
    with session_scope() as s:
        people = factories.small_county(s)
        staff = factories.coordinator(s, "钱干事", "staff")
        branch = BranchBook(s).branch("城关镇东街党支部")
        old = factories.cadre(s, "离休老人", category="lixiu", birth=D("1929-05-01"))
        star = factories.cadre(s, "寿星", birth=D("1936-11-10"))  # 90 on 2026-11-10
        sick = factories.cadre(s, "病号")
        for cadre in (old, star, sick):
            cadre.branch_id = branch.id
        s.flush()
        ids = {k: v.id for k, v in people.items()}
        ids.update(staff=staff.id, sick=sick.id, star=star.id)
        return ids


def _counts() -> tuple[int, ...]:
    with session_scope() as s:
        return tuple(
            s.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Task, TaskEvent, Notification, Occurrence)
        )


def _report(cadre_id: int, day: str) -> int:
    with session_scope() as s:
        result = record_occurrence(s, cadre_id=cadre_id, kind="住院", on=D(day), actor="test", playbook=PLAYBOOK,
                                   today=D(day))
        return result.task.id  # type: ignore[union-attr]


def test_a_care_day_is_planned_once(database, prefect_harness):
    from flows.care import care_plan

    people = _county()
    _report(people["sick"], "2026-11-02")
    first = care_plan(D("2026-11-02"))
    assert first["birthdays"] == 1 and first["must_visits_total"] == 1  # the birthday's visit
    assert first["services_total"] == 6  # 六上门 for the one 离休 cadre
    assert first["meetings_total"] == 1 and first["staff_total"] == 2  # today's and next Monday's lecture
    assert first["digests"] >= 2 and first["warnings"] == []
    before = _counts()
    again = care_plan(D("2026-11-02"))
    assert (again["birthdays"], again["must_visits_total"], again["services_total"], again["meetings_total"],
            again["absence_visits_total"], again["staff_total"], again["digests"]) == (0, 0, 0, 0, 0, 0, 0)
    assert _counts() == before


def test_the_daily_plan_lists_care_work_in_the_one_digest_and_the_sweep_escalates_must_visits_fast(
    database, prefect_harness
):
    from flows.daily_plan import daily_plan
    from flows.escalation_sweep import escalation_sweep

    people = _county()
    visit = _report(people["sick"], "2026-11-02")
    result = daily_plan(D("2026-11-02"), dispatch=False)
    assert result["care_plan"]["services_total"] == 6
    assert result["artifacts"]["created"] >= 6 + 1 + 1 + 2  # the day's report counts the care work too
    with session_scope() as s:
        payloads = {r: json.loads(p) for r, p in s.execute(
            select(Notification.recipient_id, Notification.payload).where(Notification.kind == "digest"))}
    village = payloads[people["village"]]
    kinds = [i["kind"] for i in village["items"]]
    assert kinds.index("must_visit") < kinds.index("service") < kinds.index("call") < kinds.index("meeting")
    labels = {i["label"] for i in village["items"] if i["kind"] in ("must_visit", "meeting")}
    assert labels == {"生病住院探望", "家有大事走访（90岁寿辰）", "主题党日 · 城关镇东街党支部 · 2026-11"}
    assert {i["kind"] for i in payloads[people["staff"]]["items"]} == {"lecture"}

    swept = escalation_sweep(D("2026-11-05"))  # a Thursday: the visit due Wednesday is one day late
    assert swept["escalated"] == 2
    with session_scope() as s:
        task = s.get(Task, visit)
        assert (task.status, task.escalation_level, task.escalated_to_id) == ("overdue", 1, people["town"])
        # Monday's lecture, three days late, goes up on the routine days; without a cadre, to the leader.
        lecture = s.execute(select(Task).where(Task.kind == "lecture", Task.period == "2026-11-02")).scalar_one()
        assert (lecture.escalation_level, lecture.escalated_to_id) == (1, people["leader"])
