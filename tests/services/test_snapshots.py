"""Frozen monthly coverage snapshots, must-visit deadlines kept and missed, and the report tallies."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from sqlalchemy import select

from models.grids import Grid
from models.people import Cadre
from models.snapshots import CoverageSnapshot
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, period_from_key
from yinhui.services.coverage import coverage
from yinhui.services.errors import SnapshotError
from yinhui.services.overview import coverage_trend
from yinhui.services.pauses import pause_cadre, resume_cadre
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.snapshots import (
    activity_between,
    deadline_record,
    snapshot_history,
    take_snapshot,
)
from yinhui.services.tasks import complete_task, record_contact

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
TZ = pendulum.timezone("Asia/Shanghai")


def _county(session) -> dict[str, object]:
    """Three cadres in 城关镇 and one in 河底镇, on the books since September."""
    with clock.frozen_at(D("2026-09-20")):
        people = factories.small_county(session)
        cadres = [factories.cadre(session, f"东{i}") for i in range(3)]
        cadres.append(factories.cadre(session, "上村一", township="河底镇", village="上村"))
    return {"people": people, "cadres": cadres}


def _by_path(rows) -> dict[str, tuple[int, int]]:
    return {r.grid_path: (r.cadres, r.contacted) for r in rows}


def test_a_closed_month_is_frozen_once_and_later_edits_do_not_rewrite_it(session):
    county = _county(session)
    cadres = county["cadres"]
    record_contact(session=session, cadre_id=cadres[0].id, on=D("2026-10-08"), mode="call", actor="test", playbook=PLAYBOOK)

    rows, created = take_snapshot(session, "2026-10", today=D("2026-11-01"), taken_by="test")
    assert created is True
    assert _by_path(rows)["老干部局"] == (4, 1)
    assert _by_path(rows)["城关镇"] == (3, 1)
    assert _by_path(rows)["河底镇/上村"] == (1, 0)

    # A late entry for October and a renamed township change today's report...
    record_contact(session=session, cadre_id=cadres[3].id, on=D("2026-10-20"), mode="visit", actor="test", playbook=PLAYBOOK)
    town = session.execute(select(Grid).where(Grid.name == "河底镇")).scalar_one()
    town.name = "河底乡"
    session.flush()
    assert coverage(session, period_from_key("2026-10")).total.contacted == 2

    # ...but not the closed month.
    again, created_again = take_snapshot(session, "2026-10", today=D("2026-11-02"), taken_by="someone else")
    assert created_again is False
    assert _by_path(again) == _by_path(rows)
    assert {r.taken_by for r in again} == {"test"}
    assert session.execute(select(CoverageSnapshot).where(CoverageSnapshot.month == "2026-10")).scalars().all().__len__() == len(rows)


@pytest.mark.parametrize(("month", "today"), [("2026-11", D("2026-11-30")), ("2026-12", D("2026-11-30"))])
def test_a_month_that_is_not_over_cannot_be_frozen(session, month, today):
    _county(session)
    with pytest.raises(SnapshotError, match="not over yet"):
        take_snapshot(session, month, today=today, taken_by="test")
    assert session.execute(select(CoverageSnapshot)).first() is None


@pytest.mark.parametrize("month", ["2026-Q4", "2026", "2026-13", "26-10", "2026-1"])
def test_only_a_month_can_be_frozen(session, month):
    with pytest.raises(SnapshotError, match="not a month"):
        take_snapshot(session, month, today=D("2027-06-01"), taken_by="test")


def test_history_is_oldest_first_and_limited(session):
    _county(session)
    for month in ("2026-09", "2026-10", "2026-11"):
        take_snapshot(session, month, today=D("2026-12-05"), taken_by="test")
    assert list(snapshot_history(session, until="2026-11", months=2)) == ["2026-10", "2026-11"]
    assert list(snapshot_history(session, until="2026-10")) == ["2026-09", "2026-10"]


def _figures(row) -> tuple[int, ...]:
    return (row.cadres, row.contacted, row.via_relative, row.paused, row.unreachable, row.missed)


def october_of_every_kind(session) -> dict[str, Cadre]:
    """October 2026 in 城关镇/东街村 and 河底镇/上村: 东0 called, 东1 reached through a relative, 东2
    unreachable at every attempt, 东3 never tried, 上村一 away (paused) all month."""
    county = _county(session)
    east0, east1, east2, away = county["cadres"]
    with clock.frozen_at(D("2026-09-20")):
        missed = factories.cadre(session, "东3")
    pause_cadre(session, away, starts=D("2026-10-01"), until=D("2027-01-31"), reason="异地居住", actor="test",
                today=D("2026-10-01"))
    leader = refresh_grid_owners(session).leader_id
    for due in due_cadence(PLAYBOOK, D("2026-10-02")):
        create_cadence_tasks(session, due, day=D("2026-10-02"), prio=PLAYBOOK.priority, leader_id=leader, actor="test")
    record_contact(session=session, cadre_id=east0.id, on=D("2026-10-08"), mode="call", actor="test", playbook=PLAYBOOK)
    record_contact(session=session, cadre_id=east1.id, on=D("2026-10-09"), mode="call", actor="test", playbook=PLAYBOOK,
                   via="relative")
    call = session.execute(select(Task).where(Task.cadre_id == east2.id, Task.kind == "call")).scalar_one()
    for day in ("2026-10-05", "2026-10-09", "2026-10-13"):  # every attempt unreachable
        complete_task(session, call.id, outcome="unreachable", actor="test", on=D(day), playbook=PLAYBOOK, today=D(day))
    assert session.get(Task, call.id).status == "done"
    return {"called": east0, "relative": east1, "unreachable": east2, "missed": missed, "away": away}


def test_a_frozen_month_keeps_paused_via_relative_and_unreachable_as_live_coverage_had_them(session):
    cadres = october_of_every_kind(session)
    away, missed = cadres["away"], cadres["missed"]
    live = coverage(session, period_from_key("2026-10"))
    assert _figures(live.total) == (5, 2, 1, 1, 1, 2)  # 东3 and 东2 missed, 东2 after every attempt
    assert live.total.rate == 0.5  # the paused cadre is out of the rate

    rows, _ = take_snapshot(session, "2026-10", today=D("2026-11-01"), taken_by="test")
    frozen = {r.grid_id: r for r in rows}
    assert {g.grid_id: (*_figures(g), g.rate) for g in live.grids} == {
        grid_id: (*_figures(r), r.rate) for grid_id, r in frozen.items()}

    # Read back from the database after the pause ended early and a late contact: still October as it was.
    resume_cadre(session, away, actor="test", today=D("2026-11-02"))
    record_contact(session=session, cadre_id=missed.id, on=D("2026-10-30"), mode="visit", actor="test", playbook=PLAYBOOK)
    session.expire_all()
    (county_row,) = [r for r in snapshot_history(session, until="2026-10")["2026-10"] if r.level == 1]
    assert (*_figures(county_row), county_row.rate) == (5, 2, 1, 1, 1, 2, 0.5)
    assert dict(coverage_trend(session, today=D("2026-11-10"), scope=None))["2026-10"] == 0.5


def _must_visit(session, cadre, assignee_id: int, due: str, *, n: int, status: str = "open") -> Task:
    task = Task(
        kind="must_visit", rule="must_visit_hospital", subject_id=cadre.id, period=f"test-{n}", cadre_id=cadre.id,
        window_opens=D(due) - dt.timedelta(days=5), due=D(due), assignee_id=assignee_id, status=status,
    )
    session.add(task)
    session.flush()
    return task


def test_must_visit_deadlines_kept_and_missed(session):
    county = _county(session)
    cadres, leader = county["cadres"], county["people"]["leader"].id
    on_time = _must_visit(session, cadres[0], leader, "2026-10-10", n=1)
    complete_task(session, on_time.id, outcome="visited", actor="test", on=D("2026-10-10"), playbook=PLAYBOOK)
    # Reported two days late but the visit itself was on time: the contact's day counts.
    reported_late = _must_visit(session, cadres[1], leader, "2026-10-11", n=2)
    with clock.frozen_at(D("2026-10-13")):
        complete_task(session, reported_late.id, outcome="visited", actor="test", on=D("2026-10-11"), playbook=PLAYBOOK)
    done_late = _must_visit(session, cadres[2], leader, "2026-10-12", n=3)
    with clock.frozen_at(D("2026-10-15")):  # no contact recorded: the day it was closed counts
        complete_task(session, done_late.id, outcome="unreachable", actor="test", on=D("2026-10-15"), playbook=PLAYBOOK)
    _must_visit(session, cadres[3], leader, "2026-10-14", n=4, status="missed")
    _must_visit(session, cadres[0], leader, "2026-10-15", n=5, status="overdue")
    _must_visit(session, cadres[1], leader, "2026-10-16", n=6)  # open, due before today: missed
    _must_visit(session, cadres[2], leader, "2026-10-20", n=7)  # due after today: not yet
    _must_visit(session, cadres[3], leader, "2026-10-18", n=8, status="cancelled")
    _must_visit(session, cadres[0], leader, "2026-11-02", n=9)  # outside the window

    record = deadline_record(
        session, kinds=("must_visit",), first_day=D("2026-10-01"), last_day=D("2026-10-31"), today=D("2026-10-19"), tz=TZ
    )
    assert (record.kept, record.done_late, record.lapsed, record.overdue, record.pending) == (2, 1, 1, 2, 1)
    assert record.missed == 4
    assert [(t.cadre, t.grid, t.how) for t in record.late] == [
        ("东2", "城关镇/东街村", "done_late"),
        ("上村一", "河底镇/上村", "missed"),
        ("东0", "城关镇/东街村", "overdue"),
        ("东1", "城关镇/东街村", "overdue"),
    ]
    assert deadline_record(
        session, kinds=("visit",), first_day=D("2026-10-01"), last_day=D("2026-10-31"), today=D("2026-10-19"), tz=TZ
    ).kept == 0


def test_activity_counts_a_window_in_beijing_time(session):
    county = _county(session)
    cadres, leader = county["cadres"], county["people"]["leader"].id
    # 23:30 on Oct 11 in Beijing is still Oct 11 there, but 15:30 UTC.
    with clock.frozen_at(pendulum.datetime(2026, 10, 11, 23, 30, tz=TZ)):
        task = _must_visit(session, cadres[0], leader, "2026-10-12", n=1)
        complete_task(session, task.id, outcome="visited", actor="test", on=D("2026-10-11"), playbook=PLAYBOOK)
    with clock.frozen_at(pendulum.datetime(2026, 10, 12, 0, 30, tz=TZ)):
        _must_visit(session, cadres[1], leader, "2026-10-20", n=2)
    start = dt.datetime(2026, 10, 10, 16, 0, tzinfo=dt.UTC)  # Oct 11 00:00 in Beijing
    end = dt.datetime(2026, 10, 11, 16, 0, tzinfo=dt.UTC)
    oct11 = activity_between(session, start=start, end=end, first_day=D("2026-10-11"), last_day=D("2026-10-11"))
    assert (oct11.created, oct11.done, oct11.contacts, oct11.cadres_reached) == (1, 1, 1, 1)
    oct12 = activity_between(session, start=end, end=end + dt.timedelta(days=1), first_day=D("2026-10-12"), last_day=D("2026-10-12"))
    assert (oct12.created, oct12.done, oct12.contacts) == (1, 0, 0)
