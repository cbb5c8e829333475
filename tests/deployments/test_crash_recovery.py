"""Crash recovery with real processes on a real Prefect server: a planning run killed with `kill -9` while it holds the slot.

The killed run is a real `daily_plan` in its own process, stopped inside the slot by a step that
never ends (the only thing the script changes); the next run is `yinhui plan`, as an operator
types it. Every wait polls for an event (a record, a state, a log line) within a bound; nothing
sleeps to order things. Every process started here is stopped here, also on failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployments.serve import local_prefect_server
from tests.support.stack import (
    START_TIMEOUT,
    YINHUI,
    app_database,
    free_port,
    prefect_client,
    ready_prefect_home,
    seed,
    spawn,
    stack_env,
    stop_group,
    tail,
    wait_for,
)

pytestmark = pytest.mark.prefect

RUN_TIMEOUT = 300.0
RECOVERY_BOUND = 60.0  # from the kill to the next run holding the slot (a lease alone would take minutes)


def _plan_run(day: dt.date) -> str:
    """The name a daily-plan run for `day` gets (flows/run_names.py): `daily-plan 2026-11-28`."""
    return f"daily-plan {day}"


# A real planning run that, once it holds the slot, stays in a step until it is killed.
HOLDER = """
import sys, threading
from prefect import task
import flows.daily_plan as daily

@task(name="hold-the-slot")
def hold_the_slot() -> None:
    print("holding the slot", flush=True)
    threading.Event().wait()

def plan_day(the_day, **kwargs):
    hold_the_slot()
    return {}

daily.plan_day = plan_day
daily.daily_plan(sys.argv[1])
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("crash")
    home = workdir / "server"
    with local_prefect_server(ready_prefect_home(home), port=free_port(), scheduler=False, timeout=START_TIMEOUT) as api_url:
        yield {"api_url": api_url, "workdir": workdir, "home": home}


@contextlib.contextmanager
def _processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            stop_group(process, signal.SIGKILL, 10.0)


def _holder(client: Any) -> Any:
    from flows.planning_slot import read_holder

    return read_holder(client)


def _run_named(client: Any, name: str) -> Any:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
    return runs[0] if runs else None


def _task_runs(client: Any, flow_run_id: Any) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))


def _logs(client: Any, flow_run_id: Any) -> list[Any]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    return client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))


def _alert_keys(url: str) -> list[str]:
    from sqlmodel import col, select

    from models.db import make_engine
    from models.outbox import Notification

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(Notification.dedupe_key).where(col(Notification.kind) == "alert")).scalars())
    finally:
        engine.dispose()


def _prefix(template: str, **values: str) -> str:
    """A translated text up to its first unknown placeholder."""
    from yinhui.i18n import text

    names = ("run", "since", "host", "why")
    filled = text("zh", template, **{n: values.get(n, "\x00") for n in names})
    return filled.split("\x00")[0]


def test_a_planning_run_killed_inside_the_slot_is_crashed_alerted_once_and_the_next_run_goes_on(server):
    from flows.planning_slot import SLOT_TEXT
    from yinhui import clock

    workdir: Path = server["workdir"] / "kill"
    workdir.mkdir()
    app_url, _ = app_database("sqlite", workdir)
    seed(app_url)
    env = stack_env(workdir, app_url, server["api_url"])
    today = clock.today()
    held_day, next_day = today - dt.timedelta(days=1), today
    held_log, next_log = workdir / "held.log", workdir / "next.log"

    with _processes() as started, prefect_client(server["api_url"], workdir) as client:
        held = spawn([sys.executable, "-c", HOLDER, held_day.isoformat()], env, held_log)
        started.append(held)
        record = wait_for("the first run holding the slot", lambda: (h := _holder(client)) is not None and h.pid == held.pid and h,
                       START_TIMEOUT, held_log)
        assert record.run_name == _plan_run(held_day) and record.flow_name == "daily-plan"
        held_run = _run_named(client, record.run_name)
        wait_for("its step running on the server", lambda: any(t.state and t.state.is_running() for t in _task_runs(client, held_run.id)),
              START_TIMEOUT, held_log)

        after = spawn([*YINHUI, "plan", "--date", next_day.isoformat()], env, next_log)
        started.append(after)
        waiting = _prefix(SLOT_TEXT["waiting"], run=record.run_name)
        next_run = wait_for("the next run starting", lambda: _run_named(client, _plan_run(next_day)), START_TIMEOUT, next_log)
        wait_for("the next run saying whom it waits for",
              lambda: any(e.message.startswith(waiting) for e in _logs(client, next_run.id)), START_TIMEOUT, next_log)
        assert after.poll() is None  # it waits

        os.kill(held.pid, signal.SIGKILL)
        killed_at = time.time()
        held.wait(timeout=30)

        try:
            after.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail("the next run did not finish\n" + tail(next_log))
        assert after.returncode == 0, tail(next_log)
        assert f"{next_day}: created" in next_log.read_text()

        # It took over within seconds, not when the dead run's lease would have run out.
        recovered = _prefix(SLOT_TEXT["recovered"], run=record.run_name)
        said = wait_for("the next run's log reaching the server",
                     lambda: [e for e in _logs(client, next_run.id) if e.message.startswith(recovered)], 60, next_log)
        assert said[0].timestamp.timestamp() - killed_at < RECOVERY_BOUND
        got = [e for e in _logs(client, next_run.id) if "规划锁" in e.message and e.timestamp >= said[0].timestamp]
        assert got, "the next run says it got the slot"

        assert client.read_flow_run(held_run.id).state.type.value == "CRASHED"
        assert {t.state.type.value for t in _task_runs(client, held_run.id)} == {"CRASHED"}
        assert client.read_flow_run(next_run.id).state.type.value == "COMPLETED"
        assert _holder(client) is None

    keys = _alert_keys(app_url)
    assert [k.rsplit(":", 1)[0] for k in keys] == [f"alert:run:{held_run.id}"]  # one leader, one alert, this run's


def test_a_refused_plan_is_one_line_on_the_terminal_and_whole_in_the_run_log(server):
    from yinhui import clock

    workdir: Path = server["workdir"] / "refused"
    workdir.mkdir()
    app_url, _ = app_database("sqlite", workdir)  # nobody in it: no leader
    env = stack_env(workdir, app_url, server["api_url"])
    day = clock.today() - dt.timedelta(days=2)  # a run name of its own on the shared server
    result = subprocess.run([*YINHUI, "plan", "--date", day.isoformat()], env=env, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "yinhui: no active leader: add one with `yinhui coordinator add NAME --role leader`"
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr
    # Once the CLI keeps run logs off its terminal (flows.console.run_logs_on_terminal("quiet")),
    # that line is all it prints: assert lines == [lines[-1]].

    with prefect_client(server["api_url"], workdir) as client:
        run = _run_named(client, _plan_run(day))
        assert run is not None and run.state.type.value == "FAILED"
        wait_for("the traceback in the run log", lambda: any("Traceback" in e.message for e in _logs(client, run.id)), 60)


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def test_with_no_prefect_server_configured_a_killed_plan_is_recovered_as_well(tmp_path):
    """Each `yinhui plan` then starts a temporary Prefect server of its own on one database: the lease
    of a killed run must be on disk (the temporary servers share it) for the next one to free it."""
    from deployments.serve import LEASES_ON_DISK
    from flows.planning_slot import SLOT_TEXT
    from yinhui import clock

    app_url, _ = app_database("sqlite", tmp_path)
    seed(app_url)
    env = stack_env(tmp_path, app_url, None)
    ready_prefect_home(tmp_path / "prefect-client")  # each `yinhui plan` starts a temporary server on it
    env["PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE"] = LEASES_ON_DISK
    held_log = tmp_path / "held.log"
    with _processes() as started:
        held = spawn([sys.executable, "-c", HOLDER, (clock.today() - dt.timedelta(days=1)).isoformat()], env, held_log)
        started.append(held)
        wait_for("the first run holding the slot", lambda: "holding the slot" in held_log.read_text(), START_TIMEOUT, held_log)
        servers = _children(held.pid)  # its temporary server outlives it (Prefect's doing): stopped below
        os.kill(held.pid, signal.SIGKILL)
        held.wait(timeout=30)
        for pid in servers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        began = time.monotonic()
        result = subprocess.run([*YINHUI, "plan", "--date", clock.today().isoformat()], env=env, capture_output=True,
                                text=True, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert time.monotonic() - began < RUN_TIMEOUT
    assert _prefix(SLOT_TEXT["recovered"], run=_plan_run(clock.today() - dt.timedelta(days=1))) in result.stderr
    assert "Traceback" not in result.stderr
    assert len(_alert_keys(app_url)) == 1  # the killed run's, to its one leader


# `yinhui serve`'s flow runs are its child processes: this module, put first on their path, makes
# the served daily plan for HOLD_DAY stop in a step once it holds the slot (the only change).
SITECUSTOMIZE = '''
import importlib.abc, importlib.util, os, sys, threading

class HoldPlanning(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "flows.daily_plan":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            from prefect import task

            @task(name="hold-the-slot")
            def hold_the_slot():
                threading.Event().wait()

            real = module.plan_day

            def plan_day(the_day, **kwargs):
                if the_day.isoformat() != os.environ["HOLD_DAY"]:
                    return real(the_day, **kwargs)
                hold_the_slot()
                return {}

            module.plan_day = plan_day

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, HoldPlanning())
'''


def test_a_served_planning_run_killed_inside_the_slot_is_crashed_by_serve_which_frees_the_slot(server):
    from prefect.deployments import run_deployment

    from yinhui import clock

    workdir: Path = server["workdir"] / "served"
    (workdir / "hook").mkdir(parents=True)
    (workdir / "hook" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    app_url, _ = app_database("sqlite", workdir)
    seed(app_url)
    env = stack_env(workdir, app_url, server["api_url"])
    held_day, next_day = clock.today() - dt.timedelta(days=3), clock.today() - dt.timedelta(days=4)
    env.update(PYTHONPATH=str(workdir / "hook"), HOLD_DAY=held_day.isoformat())
    serve_log = workdir / "serve.log"

    with _processes() as started, prefect_client(server["api_url"], workdir) as client:
        serve = spawn([*YINHUI, "serve", "--port", str(free_port())], env, serve_log)
        started.append(serve)

        def served() -> bool:
            try:
                return client.read_deployment_by_name("daily-plan/每日计划") is not None
            except Exception:  # noqa: BLE001 - not registered yet
                return False

        wait_for("`yinhui serve` registering the deployments", served, START_TIMEOUT, serve_log)
        run = run_deployment("daily-plan/每日计划", client=client, parameters={"day": held_day.isoformat()},
                             timeout=0, as_subflow=False)
        record = wait_for("the served run holding the slot",
                       lambda: (h := _holder(client)) is not None and h.flow_run_id == str(run.id) and h,
                       START_TIMEOUT, serve_log)
        wait_for("its step running on the server",
              lambda: any(t.state and t.state.is_running() for t in _task_runs(client, run.id)), START_TIMEOUT, serve_log)

        os.kill(record.pid, signal.SIGKILL)
        wait_for("serve marking the killed run Crashed",
              lambda: client.read_flow_run(run.id).state.type.value == "CRASHED", RECOVERY_BOUND, serve_log)
        wait_for("the slot freed", lambda: _holder(client) is None, RECOVERY_BOUND, serve_log)
        assert {t.state.type.value for t in _task_runs(client, run.id)} == {"CRASHED"}

        after = run_deployment("daily-plan/每日计划", client=client, parameters={"day": next_day.isoformat()},
                               timeout=0, as_subflow=False)
        wait_for("the next served run finishing", lambda: client.read_flow_run(after.id).state.is_final(),
              RUN_TIMEOUT, serve_log)
        assert client.read_flow_run(after.id).state.type.value == "COMPLETED", tail(serve_log)
        assert "等待" not in "".join(e.message for e in _logs(client, after.id))  # the slot was free: no wait

    keys = _alert_keys(app_url)
    assert [k.rsplit(":", 1)[0] for k in keys] == [f"alert:run:{run.id}"]
