"""The services decide some things in SQL, set-based, that `yinhui.rules` states as pure functions.

Each test here generates many cases (seeded, so a failure is repeatable), lets the service's SQL
decide them on the test database (SQLite, and PostgreSQL when configured), and checks every
answer against the pure rule:

- escalation: the level `escalate_overdue` gives a late task, against `escalation_level_for`,
  for the playbook's schedules and random thresholds and rule groups, in one sweep and day by day;
- festival visits: the priority and due date `create_festival_visits` gives each cadre,
  against `festival_due` (and so `priority_of`), for random priority tiers, tier days, birthdays
  around the 80th on the festival day (29 February included), and real festivals with the
  official days off.

The only difference allowed is stated where it applies: the escalation rule speaks of tasks
that are overdue, so a task due today (0 days overdue) stays at level 0 whatever the thresholds.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import delete, select

from models.people import Cadre
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import escalation_level_for
from yinhui.rules.calendar_nodes import nodes_for_year
from yinhui.rules.care import own_escalation_days
from yinhui.rules.festivals import festival_due, festival_window
from yinhui.rules.playbook import Playbook, PlaybookError, parse_playbook
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.festivals import create_festival_visits
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.tasks import create_tasks, escalate_overdue, escalation_schedules, mark_overdue

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
DAY = D("2026-11-16")
RULES = ("monthly_call", "must_visit:hospitalisation", "must_visit:death", "org_life:theme_day", "staff:lecture")


def _clear_tasks(session) -> None:
    # Tests may reset the table between generated cases; only the task service writes it in the code.
    session.execute(delete(TaskEvent))
    session.execute(delete(Task))


# -- escalation ---------------------------------------------------------------------------------


def _thresholds(rng: random.Random) -> list[int]:
    """Days overdue as the playbook accepts them: one or two, non-negative, strictly increasing."""
    return sorted(rng.sample(range(0, 21), rng.choice((1, 2))))


def _schedules(rng: random.Random) -> tuple[list[tuple[list[str] | None, list[int]]], dict[str, list[int]]]:
    """Random rule groups with their own thresholds, then the rest on the default ones."""
    rules = list(RULES)
    rng.shuffle(rules)
    named = rules[: rng.randint(0, len(rules) - 1)]
    schedules: list[tuple[list[str] | None, list[int]]] = []
    while named:
        size = rng.randint(1, len(named))
        schedules.append((named[:size], _thresholds(rng)))
        named = named[size:]
    schedules.append((None, _thresholds(rng)))
    own = {rule: days for group, days in schedules if group for rule in group}
    return schedules, {rule: own.get(rule, schedules[-1][1]) for rule in RULES}


def _late_tasks(session, county: dict[str, Any], *, day: dt.date, spread: range) -> None:
    """One task per rule and due date ``day - k`` for k in ``spread``, all assigned to the village."""
    cadre = county["cadre"]
    create_tasks(session=session, rows=[
        {"kind": "call", "rule": rule, "subject_id": cadre.id, "cadre_id": cadre.id, "period": f"k{k}",
         "window_opens": day - dt.timedelta(days=max(k, 0) + 30), "due": day - dt.timedelta(days=k),
         "assignee_id": county["village"].id}
        for rule in RULES for k in spread
    ], actor="test")


def _levels(session) -> dict[tuple[str, dt.date], int]:
    return {(t.rule, t.due): t.escalation_level for t in session.execute(select(Task)).scalars()}


def _expected(levels: dict[tuple[str, dt.date], int], days_of: dict[str, list[int]], day: dt.date) -> dict:
    return {
        (rule, due): escalation_level_for((day - due).days, days_of[rule]) if due < day else 0
        for rule, due in levels
    }


@pytest.fixture
def county(session) -> dict[str, Any]:
    people = factories.small_county(session)
    people["cadre"] = factories.cadre(session, "甲")
    people["leader_id"] = refresh_grid_owners(session).leader_id
    return people


def _playbooks_schedules() -> tuple[list[tuple[list[str] | None, list[int]]], dict[str, list[int]]]:
    """What production escalates by: the playbook's own days per rule, the default for the rest."""
    own = own_escalation_days(PLAYBOOK)
    return escalation_schedules(PLAYBOOK), {rule: own.get(rule, PLAYBOOK.escalation.after_days) for rule in RULES}


def test_one_sweep_escalates_each_late_task_to_the_level_the_rule_gives(session, county):
    rng = random.Random(20261116)
    for case in range(13):
        schedules, days_of = _playbooks_schedules() if case == 0 else _schedules(rng)
        _late_tasks(session, county, day=DAY, spread=range(-2, 26))
        mark_overdue(session, day=DAY, actor="test")
        escalate_overdue(session=session, day=DAY, schedules=schedules, leader_id=county["leader_id"], actor="test")
        levels = _levels(session)
        assert levels == _expected(levels, days_of, DAY), schedules
        _clear_tasks(session)


def test_sweeping_day_after_day_keeps_every_task_at_the_rules_level(session, county):
    rng = random.Random(7)
    for _ in range(3):
        schedules, days_of = _schedules(rng)
        first = DAY - dt.timedelta(days=5)
        _late_tasks(session, county, day=first, spread=range(-3, 8))
        for offset in range(0, 24, rng.choice((1, 2, 3))):  # some sweeps are missed: levels may skip
            day = first + dt.timedelta(days=offset)
            mark_overdue(session, day=day, actor="test")
            escalate_overdue(session=session, day=day, schedules=schedules, leader_id=county["leader_id"], actor="test")
            levels = _levels(session)
            assert levels == _expected(levels, days_of, day), (schedules, day)
        # Each level a task reached is recorded once: events count the levels, never more.
        events = session.execute(select(TaskEvent.task_id).where(TaskEvent.action == "escalated")).scalars().all()
        tasks = session.execute(select(Task.id, Task.escalation_level)).all()
        assert len(events) <= sum(level for _, level in tasks)
        assert {task_id for task_id, level in tasks if level} == set(events)
        _clear_tasks(session)


# -- festival visits ----------------------------------------------------------------------------

CALENDAR = WorkCalendar()
FESTIVALS = [
    (key, year) for year in (2025, 2026, 2027)
    for key in ("spring_festival", "mid_autumn_festival", "double_ninth_festival")
]


def _variant(rng: random.Random) -> Playbook:
    """A playbook with random priority values and festival tier days that it accepts."""
    while True:
        data = PLAYBOOK.model_dump(mode="json")
        data["priority"] = {
            "lixiu": rng.choice((5, 10, 20, 30, 60)), "aged": rng.choice((10, 20, 30, 60)),
            "aged_from": rng.choice((70, 75, 80, 90)), "lives_alone": rng.choice((20, 30, 40, 60)),
            "hardship": rng.choice((20, 30, 40, 60)), "default": rng.choice((40, 50)),
        }
        value = data["priority"]
        tiers = sorted({value[k] for k in ("lixiu", "aged", "lives_alone", "hardship", "default")})
        days = dict(zip(tiers, sorted(rng.sample(range(1, 15), len(tiers)), reverse=True), strict=True))
        data["festival_visits"]["due_days_before"] = {
            name: days[value[name]] for name in ("lixiu", "aged", "lives_alone", "hardship", "default")
        }
        try:
            return parse_playbook(data)
        except PlaybookError:
            continue


def _add_cadres(session, rng: random.Random, festival: dt.date, aged_from: int) -> None:
    """Cadres of every kind, many born within days of turning ``aged_from`` on the festival day."""
    def near(years: int) -> dt.date:
        try:
            base = festival.replace(year=festival.year - years)
        except ValueError:  # 29 February, that many years back, in a common year
            base = festival.replace(year=festival.year - years, day=28)
        return base + dt.timedelta(days=rng.randint(-3, 3))

    births = [near(aged_from) for _ in range(14)] + [near(rng.randint(55, 100)) for _ in range(10)]
    births += [D("1944-02-29"), D("1948-02-29"), D("1946-02-28"), D("1946-03-01")]
    for birth in births:
        factories.cadre(session, "丙", category=rng.choice(("lixiu", "tuixiu", "tuixiu")), birth=birth,
                        lives_alone=rng.random() < 0.3, hardship=rng.random() < 0.3)


def test_festival_visit_priority_and_due_in_sql_agree_with_festival_due(session, county):
    rng = random.Random(1017)
    for case in range(10):
        playbook = _variant(rng)
        key, year = FESTIVALS[case % len(FESTIVALS)]
        node = next(n for n in nodes_for_year(year) if n.key == key)
        window = festival_window(playbook, node, rng.choice((CALENDAR.working_day_on_or_before, None)))
        _add_cadres(session, rng, node.date, playbook.priority.aged_from)
        create_festival_visits(session, window, prio=playbook.priority, leader_id=county["leader_id"], actor="test")
        rows = session.execute(select(Task.cadre_id, Task.priority, Task.due).where(Task.rule == window.rule)).all()
        expected = {
            c.id: festival_due(playbook, window, category=c.category, birth_date=c.birth_date,
                               lives_alone=c.lives_alone, hardship=c.hardship)
            for c in session.execute(select(Cadre)).scalars()
        }
        assert {cadre_id: (priority, due) for cadre_id, priority, due in rows} == expected, (
            playbook.priority, dict(window.dues),
        )
        _clear_tasks(session)
