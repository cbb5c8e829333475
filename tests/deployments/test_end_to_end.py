"""End to end on 127.0.0.1: a real Prefect server, `yinhui serve`, every deployment triggered once through the API.

SQLite: `yinhui serve` with no Prefect configured starts its own local server (the embedded
default). PostgreSQL (when YINHUI_TEST_PREFECT_PG_URL and YINHUI_TEST_DATABASE_URL are set):
the test starts the server on PostgreSQL, serves against it, then takes the many-machine path:
`yinhui deploy` onto a work pool and a `prefect worker` process runs what the API triggers.
One server per backend; every process started here is stopped here, also on failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from deployments.schedules import DEFAULT_SPECS
from deployments.serve import healthy, local_prefect_server, port_is_free
from tests.conftest import PG_ENV
from tests.support.stack import (
    DAY,
    NEXT_DAY,
    PREFECT_PG_ENV,
    PREFECT_PG_SKIP,
    RUN_TIMEOUT,
    START_TIMEOUT,
    WEEK,
    YINHUI,
    app_database,
    drop_app_schema,
    free_port,
    fresh_prefect_database,
    prefect_client,
    seed,
    spawn,
    stack_env,
    stop_group,
    stop_left_behind_server,
    tail,
    wait_for,
)
from yinhui.i18n import text as text_in

# Each flow's deployment as `prefect deployment run` names it (`daily-plan/每日计划`).
DEPLOYMENT = {spec.flow_name: spec.full_name for spec in DEFAULT_SPECS}
TRIGGERS: dict[str, dict[str, Any]] = {
    DEPLOYMENT["daily-plan"]: {"day": DAY.isoformat(), "backfill": True},
    DEPLOYMENT["dispatch-outbox"]: {},
    DEPLOYMENT["escalation-sweep"]: {"day": (DAY + dt.timedelta(days=11)).isoformat()},
    DEPLOYMENT["weekly-report"]: {"week_of": WEEK.isoformat()},
    DEPLOYMENT["monthly-coverage-snapshot"]: {"month": DAY.strftime("%Y-%m")},
}
ARTIFACTS = {
    "daily-plan": {"daily-plan-counts", "coverage-by-township", "must-visit-deadlines"},
    "escalation-sweep": {"escalation-sweep"},
    "weekly-report": {"weekly-report", "weekly-coverage-by-township", "weekly-must-visit-deadlines"},
    "monthly-coverage-snapshot": {"monthly-coverage-snapshot", "monthly-coverage-trend", "monthly-coverage-chart"},
}

PLAN_DONE = "Daily plan {day} done: {digests} digest(s) written."  # flows/daily_plan.py's last log line


pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    backend = request.param
    if backend == "postgresql" and not (os.environ.get(PREFECT_PG_ENV) and os.environ.get(PG_ENV)):
        pytest.skip(PREFECT_PG_SKIP)
    workdir = tmp_path_factory.mktemp(f"e2e-{backend}")
    app_url, schema = app_database(backend, workdir)
    seed(app_url)
    port = free_port()
    serve_log = workdir / "serve.log"
    serve: subprocess.Popen[bytes] | None = None
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(drop_app_schema, schema)
        if backend == "sqlite":
            api_url, server_home = f"http://127.0.0.1:{port}/api", workdir / "data" / "prefect"
            env = stack_env(workdir, app_url, None)  # nothing configured: serve starts the local server itself
        else:
            prefect_db = cleanup.enter_context(fresh_prefect_database(os.environ[PREFECT_PG_ENV]))
            server_home = workdir / "server"
            api_url = cleanup.enter_context(
                local_prefect_server(server_home, port=port, database_url=prefect_db, scheduler=False, timeout=START_TIMEOUT)
            )
            env = stack_env(workdir, app_url, api_url)
        cleanup.callback(stop_left_behind_server, server_home)
        serve = spawn([*YINHUI, "serve", "--port", str(port)], env, serve_log)
        cleanup.callback(stop_group, serve, signal.SIGKILL, 10.0)
        wait_for("the Prefect server answering", lambda: healthy(api_url), START_TIMEOUT, serve_log)
        with prefect_client(api_url, workdir) as client:
            def served() -> bool:
                try:
                    return all(client.read_deployment_by_name(name) for name in TRIGGERS)
                except Exception:  # noqa: BLE001 - not registered yet
                    return False

            wait_for("all deployments registered by `yinhui serve`", served, START_TIMEOUT, serve_log)
        yield {
            "backend": backend, "workdir": workdir, "api_url": api_url, "app_url": app_url, "env": env,
            "port": port, "serve": serve, "serve_log": serve_log, "server_home": server_home,
        }


def _trigger_all(client: Any, triggers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from prefect.deployments import run_deployment

    return {
        name: run_deployment(name, client=client, parameters=params, timeout=0, as_subflow=False)
        for name, params in triggers.items()
    }


def _finish(client: Any, runs: dict[str, Any], log: Path) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        now = {name: client.read_flow_run(run.id) for name, run in runs.items()}
        return now if all(r.state and r.state.is_final() for r in now.values()) else None

    return wait_for("every triggered run finishing", finished, RUN_TIMEOUT, log)


def _artifact_keys(client: Any, flow_run_id: Any) -> set[str]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key for a in found if a.key}


def _app_count(url: str, model: Any) -> int:
    from models.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


# -- the tests ------------------------------------------------------------------------------------


def test_served_deployments_run_when_triggered_and_publish_their_artifacts(stack):
    from models.snapshots import CoverageSnapshot
    from models.tasks import Task

    with prefect_client(stack["api_url"], stack["workdir"]) as client:
        for name, spec_cron in ((DEPLOYMENT["daily-plan"], "30 6 * * *"), (DEPLOYMENT["weekly-report"], "0 8 * * 1")):
            deployment = client.read_deployment_by_name(name)
            assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [(spec_cron, "Asia/Shanghai")]
            assert deployment.global_concurrency_limit.limit == 1 and deployment.paused is False
            assert "yinhui" in deployment.tags and deployment.entrypoint.startswith("flows.")
        assert client.read_global_concurrency_limit_by_name("yinhui-planning").limit == 1

        finished = _finish(client, _trigger_all(client, TRIGGERS), stack["serve_log"])
        states = {name: run.state.type.value for name, run in finished.items()}
        assert states == dict.fromkeys(TRIGGERS, "COMPLETED"), tail(stack["serve_log"])
        for name, run in finished.items():
            flow = name.split("/")[0]
            assert ARTIFACTS.get(flow, set()) <= _artifact_keys(client, run.id), name
        run_name = finished[DEPLOYMENT["daily-plan"]].name
        assert run_name.startswith("daily-plan") and run_name.endswith(DAY.isoformat())  # named for its day

    assert _app_count(stack["app_url"], Task) > 0
    assert _app_count(stack["app_url"], CoverageSnapshot) > 0


def test_stopping_serve_pauses_the_schedules_and_the_local_server(stack):
    serve = stack["serve"]
    serve.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        serve.wait(timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("`yinhui serve` did not stop on Ctrl-C\n" + tail(stack["serve_log"]))
    assert serve.returncode == 0, tail(stack["serve_log"])
    if stack["backend"] == "sqlite":  # the server serve started is gone with it
        wait_for("the local Prefect server stopping", lambda: port_is_free(stack["port"]), 60, stack["serve_log"])
        assert not (stack["server_home"] / "server.pid").exists()
        assert (stack["server_home"] / "prefect.db").exists()  # its SQLite database stays in the data dir
    else:
        with prefect_client(stack["api_url"], stack["workdir"]) as client:
            assert all(client.read_deployment_by_name(name).paused for name in TRIGGERS)


def test_work_pool_with_a_process_worker_runs_what_the_api_triggers(stack):
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    if stack["backend"] != "postgresql":
        pytest.skip("the many-machine path runs on the PostgreSQL-backed server")
    assert stack["serve"].poll() is not None, "serve must be stopped first (the test before this one)"
    env, workdir = stack["env"], stack["workdir"]
    deploy = subprocess.run(
        [*YINHUI, "deploy", "--pool", "yinhui-e2e"],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert deploy.returncode == 0, deploy.stderr
    assert "prefect worker start --pool yinhui-e2e --type process" in deploy.stdout
    worker_log = workdir / "worker.log"
    worker = spawn(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", "yinhui-e2e", "--type", "process", "--name", "e2e-worker"],
        env, worker_log,
    )
    try:
        with prefect_client(stack["api_url"], workdir) as client:
            deployment = client.read_deployment_by_name(DEPLOYMENT["daily-plan"])
            assert deployment.work_pool_name == "yinhui-e2e" and deployment.paused is False
            runs = _trigger_all(client, {DEPLOYMENT["daily-plan"]: {"day": NEXT_DAY.isoformat(), "backfill": True},
                                          DEPLOYMENT["weekly-report"]: {"week_of": (WEEK + dt.timedelta(days=7)).isoformat()}})
            finished = _finish(client, runs, worker_log)
            assert {n: r.state.type.value for n, r in finished.items()} == dict.fromkeys(runs, "COMPLETED"), tail(worker_log)
            assert ARTIFACTS["daily-plan"] <= _artifact_keys(client, finished[DEPLOYMENT["daily-plan"]].id)
            workers = client.read_workers_for_work_pool("yinhui-e2e")
            assert [w.name for w in workers] == ["e2e-worker"]
            run_id = finished[DEPLOYMENT["daily-plan"]].id
            # The plan's closing line, in whichever language the bureau reads its run logs.
            done = [text_in(lang, PLAN_DONE, day=NEXT_DAY.isoformat(), digests="\0").split("\0")[0] for lang in ("zh", "en")]

            def run_logs() -> str:
                found = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
                joined = "\n".join(entry.message for entry in found)
                return joined if any(line in joined for line in done) else ""

            # Operator-useful lines reach the UI (shipped in batches, so they may trail the final state).
            text_of_logs = wait_for("the run's own log lines reaching the server", run_logs, 60, worker_log)
            assert "13912345678" not in text_of_logs
    finally:
        stop_group(worker)
