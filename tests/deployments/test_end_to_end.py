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
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from deployments.schedules import DEFAULT_SPECS
from deployments.serve import healthy, local_prefect_server, port_is_free
from tests.conftest import PG_ENV
from yinhui.i18n import text as text_in

PREFECT_PG_ENV = "YINHUI_TEST_PREFECT_PG_URL"
PREFECT_PG_SKIP = (
    f"the PostgreSQL end-to-end test needs {PREFECT_PG_ENV} "
    "(e.g. postgresql+asyncpg://yinhui:yinhui@127.0.0.1/prefect_test, with pg_trgm) and " + PG_ENV
)
START_TIMEOUT = 180.0
RUN_TIMEOUT = 300.0
# The days the runs are for, counted from today so that the test never ages: the first day of last
# month (a past day, back-filled on purpose, in a month that is over), the sweep eleven days
# later, that day's week and the week after, the cadres on the books six weeks before.
TODAY = pendulum.now("Asia/Shanghai").date()
DAY = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
NEXT_DAY = DAY + dt.timedelta(days=1)
WEEK = DAY - dt.timedelta(days=DAY.weekday())
SEEDED = DAY - dt.timedelta(days=42)
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

# The installed `yinhui` command, as an operator runs it.
YINHUI = [sys.executable, "-c", "import sys; from yinhui.cli import main; sys.exit(main())"]

pytestmark = pytest.mark.prefect


# -- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now (the test's own server will take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it; closed when the test's process ends
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def _stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)


def _stop_left_behind_server(home: Path) -> None:
    """A server `yinhui serve` started lives in its own process group; stop it if serve could not."""
    pid_file = home / "server.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def _wait(what: str, check, timeout: float, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s" + (f"\n--- {log.name}:\n{_tail(log)}" if log else ""))
        time.sleep(1)


# -- databases ----------------------------------------------------------------------------------


def _app_database(backend: str, workdir: Path) -> tuple[str, str | None]:
    """(url, schema): an application database with every table, stamped as `yinhui init` leaves it."""
    from alembic import command
    from sqlmodel import SQLModel

    import models  # noqa: F401
    from models.db import alembic_config, make_engine

    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'yinhui.sqlite3'}"
    else:
        schema = f"e2e_{uuid.uuid4().hex[:10]}"
        admin = make_engine(os.environ[PG_ENV])
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        base = os.environ[PG_ENV]
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    command.stamp(alembic_config(engine), "head")
    engine.dispose()
    return url, schema


def _seed(url: str) -> None:
    """A small county: grids, a leader and coordinators, six cadres on the books six weeks before the plan."""
    from sqlmodel import Session

    from models.db import make_engine
    from tests import factories
    from yinhui import clock

    engine = make_engine(url)
    with clock.frozen_at(SEEDED), Session(engine) as session:
        factories.small_county(session)
        for i in range(4):
            factories.cadre(session, f"东{i}")
        factories.cadre(session, "西一", village="西街村")
        factories.cadre(session, "上村一", township="河底镇", village="上村")
        session.commit()
    engine.dispose()


def _drop_app_schema(schema: str | None) -> None:
    if schema:
        from models.db import make_engine

        admin = make_engine(os.environ[PG_ENV])
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def _fresh_prefect_database(url: str) -> Iterator[str]:
    """A new PostgreSQL database (with pg_trgm) for this run's Prefect server, dropped afterwards.

    Falls back to the database named in the URL when the role may not create databases.
    """
    from models.db import make_engine

    parsed = make_url(url)
    admin = make_engine(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    name = f"prefect_e2e_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - no CREATEDB: use the database we were given
        admin.dispose()
        yield url
        return
    fresh = parsed.set(database=name)
    ext = make_engine(fresh.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    with ext.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    ext.dispose()
    try:
        yield fresh.render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the stack ------------------------------------------------------------------------------------


def _env(workdir: Path, app_url: str, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "YINHUI_"))}
    env.update(
        PREFECT_HOME=str(workdir / "prefect-client"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_RUNNER_POLL_FREQUENCY="2",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_WORKER_PREFETCH_SECONDS="5",
        YINHUI_DATABASE_URL=app_url,
        YINHUI_DATA_DIR=str(workdir / "data"),
        # The command line's own words in English, as everywhere in the tests (tests/conftest.py);
        # the bureau's content (run logs, alerts) stays Chinese.
        YINHUI_CLI_LANGUAGE=os.environ.get("YINHUI_CLI_LANGUAGE", "en"),
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@contextlib.contextmanager
def _api(api_url: str, workdir: Path) -> Iterator[Any]:
    """A Prefect client of the stack's server (not the test harness's), from this process."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url, PREFECT_HOME: str(workdir / "prefect-client")}):
        with get_client(sync_client=True) as client:
            yield client


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    backend = request.param
    if backend == "postgresql" and not (os.environ.get(PREFECT_PG_ENV) and os.environ.get(PG_ENV)):
        pytest.skip(PREFECT_PG_SKIP)
    workdir = tmp_path_factory.mktemp(f"e2e-{backend}")
    app_url, schema = _app_database(backend, workdir)
    _seed(app_url)
    port = free_port()
    serve_log = workdir / "serve.log"
    serve: subprocess.Popen[bytes] | None = None
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(_drop_app_schema, schema)
        if backend == "sqlite":
            api_url, server_home = f"http://127.0.0.1:{port}/api", workdir / "data" / "prefect"
            env = _env(workdir, app_url, None)  # nothing configured: serve starts the local server itself
        else:
            prefect_db = cleanup.enter_context(_fresh_prefect_database(os.environ[PREFECT_PG_ENV]))
            server_home = workdir / "server"
            api_url = cleanup.enter_context(
                local_prefect_server(server_home, port=port, database_url=prefect_db, scheduler=False, timeout=START_TIMEOUT)
            )
            env = _env(workdir, app_url, api_url)
        cleanup.callback(_stop_left_behind_server, server_home)
        serve = _spawn([*YINHUI, "serve", "--port", str(port)], env, serve_log)
        cleanup.callback(_stop_group, serve, signal.SIGKILL, 10.0)
        _wait("the Prefect server answering", lambda: healthy(api_url), START_TIMEOUT, serve_log)
        with _api(api_url, workdir) as client:
            def served() -> bool:
                try:
                    return all(client.read_deployment_by_name(name) for name in TRIGGERS)
                except Exception:  # noqa: BLE001 - not registered yet
                    return False

            _wait("all deployments registered by `yinhui serve`", served, START_TIMEOUT, serve_log)
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

    return _wait("every triggered run finishing", finished, RUN_TIMEOUT, log)


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

    with _api(stack["api_url"], stack["workdir"]) as client:
        for name, spec_cron in ((DEPLOYMENT["daily-plan"], "30 6 * * *"), (DEPLOYMENT["weekly-report"], "0 8 * * 1")):
            deployment = client.read_deployment_by_name(name)
            assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [(spec_cron, "Asia/Shanghai")]
            assert deployment.global_concurrency_limit.limit == 1 and deployment.paused is False
            assert "yinhui" in deployment.tags and deployment.entrypoint.startswith("flows.")
        assert client.read_global_concurrency_limit_by_name("yinhui-planning").limit == 1

        finished = _finish(client, _trigger_all(client, TRIGGERS), stack["serve_log"])
        states = {name: run.state.type.value for name, run in finished.items()}
        assert states == dict.fromkeys(TRIGGERS, "COMPLETED"), _tail(stack["serve_log"])
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
        pytest.fail("`yinhui serve` did not stop on Ctrl-C\n" + _tail(stack["serve_log"]))
    assert serve.returncode == 0, _tail(stack["serve_log"])
    if stack["backend"] == "sqlite":  # the server serve started is gone with it
        _wait("the local Prefect server stopping", lambda: port_is_free(stack["port"]), 60, stack["serve_log"])
        assert not (stack["server_home"] / "server.pid").exists()
        assert (stack["server_home"] / "prefect.db").exists()  # its SQLite database stays in the data dir
    else:
        with _api(stack["api_url"], stack["workdir"]) as client:
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
    worker = _spawn(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", "yinhui-e2e", "--type", "process", "--name", "e2e-worker"],
        env, worker_log,
    )
    try:
        with _api(stack["api_url"], workdir) as client:
            deployment = client.read_deployment_by_name(DEPLOYMENT["daily-plan"])
            assert deployment.work_pool_name == "yinhui-e2e" and deployment.paused is False
            runs = _trigger_all(client, {DEPLOYMENT["daily-plan"]: {"day": NEXT_DAY.isoformat(), "backfill": True},
                                          DEPLOYMENT["weekly-report"]: {"week_of": (WEEK + dt.timedelta(days=7)).isoformat()}})
            finished = _finish(client, runs, worker_log)
            assert {n: r.state.type.value for n, r in finished.items()} == dict.fromkeys(runs, "COMPLETED"), _tail(worker_log)
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
            text_of_logs = _wait("the run's own log lines reaching the server", run_logs, 60, worker_log)
            assert "13912345678" not in text_of_logs
    finally:
        _stop_group(worker)
