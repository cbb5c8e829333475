"""The planning slot under the Prefect test server: who holds it, a dead holder found and cleared, one line on the terminal.

The holders here are records and leases made by hand (a dead process is a real one, killed), so
each case is exact and quick; tests/deployments/test_crash_recovery.py kills real planning runs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from prefect import flow, task

from flows import planning_slot as slot
from flows.alerts import one_planning_run_at_a_time
from tests.support.stack import wait_for
from yinhui.i18n import text

pytestmark = pytest.mark.prefect

GATES: dict[str, threading.Event] = {}
STARTED: dict[str, threading.Event] = {}


@flow(name="slot-holder", flow_run_name="slot-holder-{gate}")
@one_planning_run_at_a_time
def hold_slot(gate: str) -> str:
    STARTED[gate].set()
    GATES[gate].wait(120)
    return gate


@flow(name="slot-waiter", flow_run_name="slot-waiter")
@one_planning_run_at_a_time
def quick_plan() -> str:
    return "planned"


@task(name="slot-step")
def a_step() -> None:
    pass


# -- helpers ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _client() -> Iterator[Any]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        yield client


@pytest.fixture
def clean_slot(prefect_harness) -> Iterator[list[UUID]]:
    """The slot free before and after (the harness's server is shared by the whole run); yields leases to release."""
    slot.ensure_concurrency_limit()
    leases: list[UUID] = []
    with _client() as client:
        slot.delete_holder(client)
    yield leases
    with _client() as client:
        slot.delete_holder(client)
        for lease_id in leases:
            client.release_concurrency_slots_with_lease(lease_id)


def _wait(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    return wait_for(what, check, timeout, every=0.1)


def _dead_pid() -> tuple[int, str]:
    """A process that lived (its pid and start time) and was killed."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    started = _wait("the process starting", lambda: slot.process_started(process.pid))
    process.kill()
    process.wait()
    return process.pid, started


def _held_by_a_killed_process(client: Any, leases: list[UUID], run: Any, **holder: Any) -> None:
    """The slot held for `run` by a process of this machine that was killed (its lease still runs)."""
    pid, started = _dead_pid()
    _hold(client, leases, slot.Holder(lease_id="-", flow_run_id=str(run.id), run_name=run.name, flow_name="daily-plan",
                                      machine=slot.this_machine(), pid=pid, pid_started=started, **holder))


def _running_planning_run(client: Any) -> tuple[Any, Any, Any]:
    """A daily-plan run left Running, with a task run and a subflow run left Running too."""
    from prefect.states import Running

    from flows.daily_plan import daily_plan

    run = client.create_flow_run(daily_plan, name="daily-plan-2026-11-28", parameters={"day": "2026-11-28"},
                                 state=Running())
    step = client.create_task_run(a_step, flow_run_id=run.id, dynamic_key="0", state=Running())
    sub = client.create_flow_run(quick_plan, name="contact-cadence-2026-11-28", parent_task_run_id=step.id,
                                 state=Running())
    return run, step, sub


def _hold(client: Any, leases: list[UUID], holder: slot.Holder | None, seconds: float = 600) -> UUID:
    """Take the slot for `holder` with a lease that outlives the test: only finding it dead frees it."""
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder

    owner = ConcurrencyLeaseHolder(type="flow_run", id=UUID(holder.flow_run_id)) if holder and holder.flow_run_id else None
    response = client.increment_concurrency_slots_with_lease(
        names=[slot.PLANNING_LIMIT], slots=1, mode="concurrency", lease_duration=seconds, holder=owner
    )
    lease_id = UUID(response.json()["lease_id"])
    leases.append(lease_id)
    if holder is not None:
        slot.write_holder(client, slot.Holder(**{**holder.__dict__, "lease_id": str(lease_id)}))
    return lease_id


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _alerts(run_id: Any = None) -> list[str]:
    """The outbox's alerts (about run `run_id` only, if given), by their keys."""
    from sqlmodel import col, select

    from models.db import session_scope
    from models.outbox import Notification

    with session_scope() as session:
        keys = session.exec(select(Notification.dedupe_key).where(col(Notification.kind) == "alert")).all()
    return [k for k in keys if run_id is None or k.startswith(f"alert:run:{run_id}:")]


def _leaders() -> int:
    """A small county with its leader(s); how many leaders there are."""
    from models.db import session_scope
    from tests import factories
    from yinhui.services.coordinators import active_leaders

    with session_scope() as session:
        factories.small_county(session)
    with session_scope() as session:
        return len(active_leaders(session))


def _state(client: Any, run_id: Any, kind: str = "flow") -> str:
    run = client.read_flow_run(run_id) if kind == "flow" else client.read_task_run(run_id)
    return run.state.type.value


# -- who holds it ----------------------------------------------------------------------------------


def test_a_waiting_run_says_which_run_holds_the_slot_and_since_when(database, clean_slot, caplog):
    caplog.set_level(logging.DEBUG, logger="prefect.flow_runs")
    GATES["a"], STARTED["a"] = threading.Event(), threading.Event()
    holder, held = _in_thread(lambda: hold_slot("a"))
    try:
        assert STARTED["a"].wait(60), held
        with _client() as client:
            record = slot.read_holder(client)
        assert record is not None and record.run_name == "slot-holder-a" and record.flow_name == "slot-holder"
        waiter, waited = _in_thread(quick_plan)
        said = text("zh", slot.SLOT_TEXT["waiting"], run="slot-holder-a", since=slot._local(record.since),
                    host=record.host)
        _wait("the waiting run naming the holder", lambda: any(r.getMessage() == said for r in caplog.records))
        assert "规划" in said  # the leader reads Chinese; the detail below is for whoever debugs
        assert any(record.flow_run_id in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
        assert waiter.is_alive() and waited == []
    finally:
        GATES["a"].set()
    holder.join(60)
    waiter.join(60)
    assert held == ["a"] and waited == ["planned"]
    with _client() as client:
        assert slot.read_holder(client) is None  # each holder deleted its record on the way out


# -- a dead holder ---------------------------------------------------------------------------------


def test_a_holder_killed_on_this_machine_is_found_at_once_crashed_and_alerted(database, clean_slot):
    leaders = _leaders()
    with _client() as client:
        run, step, sub = _running_planning_run(client)
        _held_by_a_killed_process(client, clean_slot, run, host="here")
        began = time.monotonic()
        waiter, waited = _in_thread(quick_plan)
        waiter.join(120)
        assert waited == ["planned"]
        assert time.monotonic() - began < 60  # its lease had ten minutes to go: found dead, not timed out
        assert _state(client, run.id) == "CRASHED"
        assert _state(client, step.id, "task") == "CRASHED" and _state(client, sub.id) == "CRASHED"
        assert "killed" in client.read_flow_run(run.id).state.message
        assert slot.read_holder(client) is None
    assert len(_alerts(run.id)) == leaders == len(_alerts())


def test_a_record_left_from_another_machine_is_cleared_by_the_next_holder(database, clean_slot, caplog):
    leaders = _leaders()
    with _client() as client:
        run, _, _ = _running_planning_run(client)
        # Its lease ran out already (the slot is free); its record says a machine we cannot look into.
        slot.write_holder(client, slot.Holder(lease_id="6a1f0c4e-0000-4000-8000-000000000001", flow_run_id=str(run.id),
                                               run_name=run.name, flow_name="daily-plan", machine="elsewhere", pid=1))
        assert quick_plan() == "planned"
        assert _state(client, run.id) == "CRASHED"
    assert len(_alerts(run.id)) == leaders
    assert any(text("zh", slot.SLOT_TEXT["why_lease"]) in r.getMessage() for r in caplog.records)


def test_a_live_holder_is_never_taken_for_dead(database, clean_slot, monkeypatch):
    monkeypatch.setattr(slot, "PLANNING_WAIT_SECONDS", 3)
    with _client() as client:
        run, _, _ = _running_planning_run(client)
        me = slot.this_process("-")
        _hold(client, clean_slot, slot.Holder(**{**me.__dict__, "flow_run_id": str(run.id), "run_name": run.name}))
        state = quick_plan(return_state=True)
        assert state.is_failed() and isinstance(state.result(raise_on_failure=False), slot.PlanningSlotTimeout)
        assert _state(client, run.id) == "RUNNING"
        assert slot.read_holder(client).flow_run_id == str(run.id)
    assert _alerts(run.id) == []


def test_the_crash_hook_frees_the_slot_of_a_run_its_server_found_dead(database, clean_slot):
    from prefect.states import Crashed

    from flows.alerts import on_flow_crashed
    from flows.daily_plan import daily_plan

    leaders = _leaders()
    with _client() as client:
        run, step, _ = _running_planning_run(client)
        _hold(client, clean_slot, slot.Holder(lease_id="-", flow_run_id=str(run.id), run_name=run.name,
                                              flow_name="daily-plan", machine="elsewhere", pid=1))
        client.set_flow_run_state(run.id, Crashed(message="Process exited with status code: -9"), force=True)
        crashed = client.read_flow_run(run.id)
        on_flow_crashed(daily_plan, crashed, crashed.state)
        on_flow_crashed(daily_plan, crashed, crashed.state)  # the runner and a waiting run may both see it
        assert _state(client, step.id, "task") == "CRASHED"
        assert slot.read_holder(client) is None
        assert quick_plan() == "planned"  # at once: the slot is free
    assert len(_alerts(run.id)) == leaders


def test_the_serving_process_watch_clears_a_dead_holder_nobody_waits_for(database, clean_slot):
    leaders = _leaders()
    with _client() as client:
        run, _, _ = _running_planning_run(client)
        _held_by_a_killed_process(client, clean_slot, run)
        assert slot.reap_dead_holder() is True
        assert slot.reap_dead_holder() is False  # nothing left to do
        assert _state(client, run.id) == "CRASHED" and slot.read_holder(client) is None
    assert len(_alerts(run.id)) == leaders


def test_a_pid_is_alive_only_while_its_own_process_runs():
    import os

    assert slot.process_started(os.getpid()) != ""
    pid, started = _dead_pid()
    assert started != "" and slot.process_started(pid) == ""


# -- one line on the terminal ----------------------------------------------------------------------


@flow(name="refusing-plan")
def refusing_plan() -> None:
    from yinhui.services.errors import PlanningError

    raise PlanningError("cannot plan 1901-01-01: a plan may be for a day from ...")


@flow(name="broken-plan")
def broken_plan() -> None:
    raise ZeroDivisionError("a bug")


@pytest.fixture
def terminal(prefect_harness) -> Iterator[io.StringIO]:
    """Prefect's own terminal handler, writing where the test can read it."""
    from prefect.logging.formatters import PrefectFormatter
    from prefect.logging.handlers import PrefectConsoleHandler

    from flows import console

    stream = io.StringIO()
    handler = PrefectConsoleHandler(stream=stream)
    handler.setFormatter(PrefectFormatter(
        format="%(levelname)s | %(name)s - %(message)s",
        flow_run_fmt="%(levelname)s | Flow run %(flow_run_name)r - %(message)s",
        task_run_fmt="%(levelname)s | Task run %(task_run_name)r - %(message)s",
    ))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = console.current_mode()
    console.run_logs_on_terminal("brief")  # the default, whatever an earlier test in this process set
    console.install_console_brevity()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        console.run_logs_on_terminal(previous)
        console.run_logs_on_terminal("brief")


def _run_log(run_id: Any) -> str:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    with _client() as client:
        return "\n".join(e.message for e in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))))


def test_an_expected_refusal_is_one_line_on_the_terminal_and_whole_in_the_run_log(terminal):
    state = refusing_plan(return_state=True)
    shown = terminal.getvalue()
    assert "PlanningError" in shown and "Traceback" not in shown and 'File "' not in shown
    assert "Traceback" in _run_log(state.state_details.flow_run_id)


def test_an_unexpected_error_keeps_its_traceback_on_the_terminal(terminal):
    broken_plan(return_state=True)
    assert "Traceback" in terminal.getvalue() and "ZeroDivisionError" in terminal.getvalue()


def test_quiet_leaves_the_runs_errors_to_the_command_and_full_shows_everything(terminal):
    from flows import console

    console.run_logs_on_terminal("quiet")
    refusing_plan(return_state=True)
    assert "refusing-plan" not in terminal.getvalue()  # neither its progress nor its failure
    console.run_logs_on_terminal("full")
    refusing_plan(return_state=True)
    assert "Traceback" in terminal.getvalue()
