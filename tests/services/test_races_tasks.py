"""Two people, one task: real processes answer the same task at the same moment, and exactly one wins.

Each test spawns `WORKERS` processes once; they play a list of rounds, meeting at a barrier just
before every call (tests/support/races.py), so each round is a true race: the assertions hold for
every order the database may choose. SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.db import session_scope
from models.tasks import Contact, Task, TaskEvent
from tests import factories
from tests.support import races
from tests.support.races import WAIT_S, WORKERS, Result
from yinhui import clock
from yinhui.rules.cadence import period_of

Op = dict[str, Any]


# -- what each worker does in a round (in its own process) ----------------------------------------


def _run(op: Op) -> str:
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.must_visits import record_occurrence
    from yinhui.services.tasks import add_note, complete_task, reschedule_task

    with session_scope() as session:
        if op["op"] == "complete":
            task = complete_task(session, op["task"], outcome=op["outcome"], actor=op["actor"], on=op["on"],
                                 playbook=current_playbook(), today=op["on"])
            return str(task.outcome)
        if op["op"] == "reschedule":
            return reschedule_task(session, op["task"], to=op["to"], actor=op["actor"], today=op["on"]).due.isoformat()
        if op["op"] == "note":
            add_note(session, op["task"], note=op["note"], actor=op["actor"])
            return "noted"
        result = record_occurrence(session, cadre_id=op["cadre"], kind="hospitalisation", on=op["on"],
                                   actor=op["actor"], playbook=current_playbook(), today=op["on"])
        return "created" if result.created else "same"


def _play(index: int, _number: int, ops: list[Op]) -> str:
    return _run(ops[index])


def race(url: str, rounds: list[list[Op]]) -> list[list[Result]]:
    """Play ``rounds`` (one op per worker each) in `WORKERS` processes; each round's results by worker."""
    return races.race(url, rounds, _play)


# -- the county the races are run in ---------------------------------------------------------


def _county(cadres: int, *, visits: bool = False) -> dict[str, Any]:
    """Four coordinators (the racers), and per cadre a monthly call (and a quarterly visit) open today."""
    from yinhui.services.planning import refresh_grid_owners
    from yinhui.services.tasks import create_tasks

    today = clock.today()
    month, quarter = period_of("month", today), period_of("quarter", today)
    with session_scope() as s:
        people = factories.small_county(s)
        racers = [factories.coordinator(s, f"王{n}", "grid", ("城关镇/东街村",)) for n in "一二三四"]
        ids = [factories.cadre(s, f"老{i}").id for i in range(cadres)]
        refresh_grid_owners(s)
        rows = [{"kind": "call", "rule": "monthly_call", "subject_id": c, "cadre_id": c, "period": month.key,
                 "window_opens": month.start, "due": today, "assignee_id": people["village"].id} for c in ids]
        if visits:
            rows += [{"kind": "visit", "rule": "quarterly_visit", "subject_id": c, "cadre_id": c,
                      "period": quarter.key, "window_opens": quarter.start, "due": today,
                      "assignee_id": people["village"].id} for c in ids]
        create_tasks(session=s, rows=rows, actor="test")
        tasks = {(t.rule, t.cadre_id): t.id for t in s.execute(select(Task)).scalars()}
    return {"today": today, "month_end": month.end, "cadres": ids, "tasks": tasks,
            "actors": [f"coordinator:{r.id}" for r in racers], "names": [r.name for r in racers]}


def _events(task_id: int) -> list[tuple[int, str, str | None]]:
    with session_scope() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(TaskEvent.id, TaskEvent.action, TaskEvent.actor).where(TaskEvent.task_id == task_id)
            .order_by(TaskEvent.id)
        ).all()]


def _contacts(task_id: int) -> list[str]:
    with session_scope() as s:
        return list(s.execute(select(Contact.mode).where(Contact.task_id == task_id)).scalars())


def _task(task_id: int) -> Task:
    with session_scope() as s:
        task = s.get(Task, task_id)
        assert task is not None
        return task


def _only_winner(results: list[Result], names: list[str], who: list[int]) -> int:
    """The one worker among ``who`` whose answer went in; every other one was told who beat it."""
    winners = [i for i in who if results[i][0] == "ok"]
    assert len(winners) == 1, results
    for i in who:
        if i != winners[0]:
            kind, message = results[i]
            assert kind == "TaskClosedError", results
            assert f"already done by {names[winners[0]]} at " in message, message
    return winners[0]


def _no_retries(tmp_path, monkeypatch) -> None:
    """A playbook in which "unreachable" closes a call at once (no 再次联系), for the workers to load."""
    from yinhui.rules import playbook as rules

    shipped = (Path(rules.__file__).parent / "default_playbook.toml").read_text(encoding="utf-8")
    start = shipped.index("[retry]")
    end = shipped.index("\n\n", start)
    playbook = tmp_path / "playbook.toml"
    playbook.write_text(shipped[:start] + '[retry]\nattempts = 1\nthen = "none"' + shipped[end:], encoding="utf-8")
    monkeypatch.setenv("YINHUI_PLAYBOOK", str(playbook))


# -- the races -----------------------------------------------------------------------------------


def test_racing_answers_close_a_task_once_with_one_event_and_never_a_contact_for_an_unreachable(
        database, tmp_path, monkeypatch):
    _no_retries(tmp_path, monkeypatch)
    same, mixed = 12, 12
    county = _county(same + mixed)
    today, actors = county["today"], county["actors"]
    calls = [county["tasks"][("monthly_call", c)] for c in county["cadres"]]
    outcomes = [["reached"] * WORKERS] * same + [["reached", "unreachable", "unreachable", "reached"]] * mixed
    rounds = [[{"op": "complete", "task": calls[n], "outcome": outcomes[n][i], "actor": actors[i], "on": today}
               for i in range(WORKERS)] for n in range(same + mixed)]

    for n, results in enumerate(race(database, rounds)):
        winner = _only_winner(results, county["names"], list(range(WORKERS)))
        task = _task(calls[n])
        assert (task.status, task.outcome, task.closed_by) == ("done", outcomes[n][winner], actors[winner])
        assert [(action, actor) for _, action, actor in _events(calls[n])] == [("completed", actors[winner])]
        assert _contacts(calls[n]) == (["call"] if task.outcome == "reached" else [])
    with session_scope() as s:  # coverage never counts a call that did not happen
        assert s.execute(select(func.count()).select_from(Contact).join(Task, Task.id == Contact.task_id)
                         .where(Task.outcome == "unreachable")).scalar_one() == 0


def test_racing_unreachable_answers_count_each_attempt_once(database):
    """With 再次联系 on, racing "unreachable" answers never count one attempt twice: each answer that
    goes in was decided on the task as it then stood (attempt 1, 2, 3 ... once each); one decided on a
    stale read is refused, naming who answered meanwhile; the last attempt plans one follow-up."""
    rounds_played = 6
    county = _county(rounds_played)
    today, actors = county["today"], county["actors"]
    calls = [county["tasks"][("monthly_call", c)] for c in county["cadres"]]
    rounds = [[{"op": "complete", "task": calls[n], "outcome": "unreachable", "actor": actors[i], "on": today}
               for i in range(WORKERS)] for n in range(rounds_played)]
    for n, results in enumerate(race(database, rounds)):
        went_in = [i for i, (kind, _) in enumerate(results) if kind == "ok"]
        assert went_in, results
        for kind, message in (r for r in results if r[0] != "ok"):
            assert ("answered meanwhile by " in message and kind == "TaskError") or (
                "already done by " in message and kind == "TaskClosedError"), results
        task = _task(calls[n])
        events = _events(calls[n])
        assert len(events) == len(went_in) == task.attempts
        with session_scope() as s:
            attempts = [json.loads(d)["attempt"] for d in s.execute(
                select(TaskEvent.detail).where(TaskEvent.task_id == calls[n]).order_by(TaskEvent.id)).scalars()]
            follow_ups = s.execute(select(func.count()).select_from(Task).where(
                Task.cadre_id == task.cadre_id, Task.rule == "relative_call")).scalar_one()
        assert attempts == list(range(1, len(went_in) + 1))
        assert (task.status, follow_ups) == (("done", 1) if task.attempts == 3 else ("open", 0))
        assert _contacts(calls[n]) == []


def test_a_reschedule_racing_a_completion_lands_before_it_or_is_refused(database):
    rounds_played = 10
    county = _county(rounds_played)
    today, actors, month_end = county["today"], county["actors"], county["month_end"]
    calls = [county["tasks"][("monthly_call", c)] for c in county["cadres"]]
    # Workers 0 and 2 reschedule, 1 and 3 complete: each kind meets the other at the barrier.
    rounds = [[{"op": "reschedule", "task": calls[n], "to": month_end, "actor": actors[i], "on": today}
               if i % 2 == 0 else
               {"op": "complete", "task": calls[n], "outcome": "reached", "actor": actors[i], "on": today}
               for i in range(WORKERS)] for n in range(rounds_played)]

    for n, results in enumerate(race(database, rounds)):
        winner = _only_winner(results, county["names"], [1, 3])
        events = _events(calls[n])
        (done_at,) = [event_id for event_id, action, _ in events if action == "completed"]
        moved = [event_id for event_id, action, _ in events if action == "rescheduled"]
        for i in (0, 2):
            if results[i][0] != "ok":  # too late: the task was done
                assert results[i][0] == "TaskClosedError", results
                assert f"already done by {county['names'][winner]} at " in results[i][1]
        assert len(moved) == sum(results[i][0] == "ok" for i in (0, 2))
        assert all(event_id < done_at for event_id in moved)  # a reschedule that went in came first
        task = _task(calls[n])
        assert (task.status, task.due) == ("done", month_end if moved else today)
        assert _contacts(calls[n]) == ["call"]


def test_a_visit_racing_the_month_s_call_closes_the_call_once(database):
    rounds_played = 6
    county = _county(rounds_played, visits=True)
    today, actors = county["today"], county["actors"]
    tasks = county["tasks"]
    # Workers 0 and 1 report the quarter's visit (which covers the month's call), 2 and 3 the call.
    rounds = [[{"op": "complete", "task": tasks[("quarterly_visit", c)], "outcome": "visited",
                "actor": actors[i], "on": today} if i < 2 else
               {"op": "complete", "task": tasks[("monthly_call", c)], "outcome": "reached",
                "actor": actors[i], "on": today} for i in range(WORKERS)] for c in county["cadres"]]

    for cadre, results in zip(county["cadres"], race(database, rounds), strict=True):
        visit, call = tasks[("quarterly_visit", cadre)], tasks[("monthly_call", cadre)]
        _only_winner(results, county["names"], [0, 1])
        assert [action for _, action, _ in _events(visit)] == ["completed"]
        call_events = [action for _, action, _ in _events(call)]
        assert call_events in (["completed"], ["covered"])  # closed once, by the call or by the visit
        callers_won = [i for i in (2, 3) if results[i][0] == "ok"]
        assert len(callers_won) == (1 if call_events == ["completed"] else 0), results
        assert _contacts(visit) == ["visit"]
        assert _contacts(call) == (["call"] if callers_won else [])
        for i in (2, 3):
            if i not in callers_won:
                assert results[i][0] == "TaskClosedError" and "is already done by " in results[i][1], results


def test_notes_added_at_once_are_all_kept(database):
    county = _county(3)
    calls = [county["tasks"][("monthly_call", c)] for c in county["cadres"]]
    rounds = [[{"op": "note", "task": task_id, "note": f"第{i}条", "actor": county["actors"][i]}
               for i in range(WORKERS)] for task_id in calls]

    for task_id, results in zip(calls, race(database, rounds), strict=True):
        assert results == [("ok", "noted")] * WORKERS
        assert sorted((_task(task_id).note or "").splitlines()) == [f"第{i}条" for i in range(WORKERS)]
        assert [action for _, action, _ in _events(task_id)] == ["noted"] * WORKERS


def test_the_same_hospitalisation_reported_at_once_is_one_occurrence_with_one_visit(database):
    from models.must_visits import Occurrence

    county = _county(6)
    today = county["today"]
    rounds = [[{"op": "report", "cadre": cadre, "on": today, "actor": county["actors"][i]} for i in range(WORKERS)]
              for cadre in county["cadres"]]

    for cadre, results in zip(county["cadres"], race(database, rounds), strict=True):
        assert Counter(results) == {("ok", "created"): 1, ("ok", "same"): WORKERS - 1}, results
        with session_scope() as s:
            assert s.execute(select(func.count()).select_from(Occurrence)
                             .where(Occurrence.cadre_id == cadre)).scalar_one() == 1
            assert s.execute(select(func.count()).select_from(Task).where(
                Task.cadre_id == cadre, Task.kind == "must_visit")).scalar_one() == 1


def test_the_cli_itself_answers_one_complete_and_refuses_the_others(database):
    """`yinhui complete` run by three people at once: one "done", two one-line refusals naming the first.

    Three commands started together rather than at a barrier (a CLI run cannot wait at one): the
    assertions hold whichever order they land in.
    """
    import subprocess
    import sys
    from pathlib import Path

    county = _county(2)
    calls = [county["tasks"][("monthly_call", c)] for c in county["cadres"]]
    cli = [str(Path(sys.executable).with_name("yinhui"))]
    for task_id in calls:
        people = county["names"][:3]
        runs = [subprocess.Popen([*cli, "complete", str(task_id), "--outcome", "reached", "--as", name],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in people]
        answers = [(run.wait(timeout=WAIT_S), *run.communicate(timeout=WAIT_S)) for run in runs]
        won = [i for i, (code, _, _) in enumerate(answers) if code == 0]
        assert len(won) == 1, answers
        for i, (code, _out, err) in enumerate(answers):
            if i != won[0]:
                assert code != 0 and f"already done by {people[won[0]]} at " in err, answers
                assert len(err.strip().splitlines()) == 1, err
        assert [action for _, action, _ in _events(task_id)] == ["completed"]
        assert _contacts(task_id) == ["call"]
