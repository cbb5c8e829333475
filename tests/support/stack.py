"""A real Prefect stack for the tests that serve: processes started in their own groups and always
stopped, application databases on SQLite or in a PostgreSQL schema of their own, a fresh Prefect
database, the environment `yinhui serve` runs in, and the days the served runs are for.

Shared by tests/deployments/ and tests/support/serving.py (the served demo the browser tests open).
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
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ENV

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

# The installed `yinhui` command, as an operator runs it.
YINHUI = [sys.executable, "-c", "import sys; from yinhui.cli import main; sys.exit(main())"]


# -- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now (the test's own server will take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it; closed when the test's process ends
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)


def stop_left_behind_server(home: Path) -> None:
    """A server `yinhui serve` started lives in its own process group; stop it if serve could not."""
    pid_file = home / "server.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def wait_for(what: str, check, timeout: float, log: Path | None = None, every: float = 1.0) -> Any:
    """`check()`'s first true value, asked every `every` s; fails naming `what` (and the log's tail) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s" + (f"\n--- {log.name}:\n{tail(log)}" if log else ""))
        time.sleep(every)


# -- databases ----------------------------------------------------------------------------------


def app_database(backend: str, workdir: Path) -> tuple[str, str | None]:
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


def seed(url: str) -> None:
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


def drop_app_schema(schema: str | None) -> None:
    if schema:
        from models.db import make_engine

        admin = make_engine(os.environ[PG_ENV])
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def fresh_prefect_database(url: str) -> Iterator[str]:
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


def stack_env(workdir: Path, app_url: str, api_url: str | None) -> dict[str, str]:
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
def prefect_client(api_url: str, workdir: Path) -> Iterator[Any]:
    """A Prefect client of the stack's server (not the test harness's), from this process."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url, PREFECT_HOME: str(workdir / "prefect-client")}):
        with get_client(sync_client=True) as client:
            yield client


# -- Prefect homes ---------------------------------------------------------------------------------

_MIGRATED_HOME: list[Path] = []  # the session's template, made on first use


def ready_prefect_home(home: Path) -> Path:
    """Make `home` a Prefect home whose SQLite database is already migrated (a copy of one made once
    per test session), so that a server started on it answers in a few seconds instead of about ten.

    Only for tests that are not about a first start: the end-to-end test of `yinhui serve` on SQLite
    keeps a fresh home, as an operator's first start has.
    """
    import atexit
    import shutil
    import tempfile

    from deployments.serve import local_prefect_server

    if not _MIGRATED_HOME:
        template = Path(tempfile.mkdtemp(prefix="yinhui-prefect-home-"))
        atexit.register(shutil.rmtree, template, True)
        with local_prefect_server(template, port=free_port(), scheduler=False, timeout=START_TIMEOUT):
            pass
        _MIGRATED_HOME.append(template)
    home.mkdir(parents=True, exist_ok=True)
    for kept in _MIGRATED_HOME[0].glob("prefect.db*"):
        shutil.copy2(kept, home / kept.name)
    return home
