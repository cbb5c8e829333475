"""One machine: every deployment served from one process (Prefect's `serve`), with a local Prefect server when none is configured."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from deployments.schedules import DEPLOYMENT_NAME, DeploymentSpec, deployment_specs, timezone

DEFAULT_PORT = 4200
LEASES_ON_DISK = "prefect.server.concurrency.lease_storage.filesystem"
SERVER_START_TIMEOUT = 120.0


class ServeError(RuntimeError):
    """Serving cannot start (a busy port, a server that does not come up); the message says what to do."""


# -- the flows as deployments -----------------------------------------------------------------


def load_flow(entrypoint: str) -> Any:
    """`flows.daily_plan.daily_plan` -> the flow object."""
    module, _, name = entrypoint.rpartition(".")
    return getattr(importlib.import_module(module), name)


def build_deployment(spec: DeploymentSpec, *, work_pool: str | None = None) -> Any:
    """A Prefect RunnerDeployment for `spec`: cron schedules in the bureau's zone, limits, labels."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    flow = load_flow(spec.entrypoint)
    limit = (
        ConcurrencyLimitConfig(limit=spec.concurrency, collision_strategy=ConcurrencyLimitStrategy(spec.collision))
        if spec.concurrency
        else None
    )
    return flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=timezone(), active=spec.active) for cron in spec.crons],
        concurrency_limit=limit,
        parameters=dict(spec.parameters),
        description=spec.description,
        tags=list(spec.tags),
        # Unpaused on every start: `serve` pauses the schedules when it stops, so that runs do not
        # pile up while nothing executes them; a restart must resume them.
        paused=False,
        # A module path works on any machine where Yinhui is installed, whatever the directory.
        entrypoint_type=EntrypointType.MODULE_PATH,
        work_pool_name=work_pool,
    )


def build_deployments(specs: Sequence[DeploymentSpec] | None = None, *, work_pool: str | None = None) -> list[Any]:
    return [build_deployment(spec, work_pool=work_pool) for spec in (specs or deployment_specs())]


def serve_all(specs: Sequence[DeploymentSpec] | None = None, *, limit: int | None = None) -> None:
    """Run every deployment's schedule from this process until interrupted (Ctrl-C)."""
    import threading

    from prefect import serve

    from flows.planning_slot import PLANNING_LIMIT, ensure_concurrency_limit, watch_planning_slot

    deployments = build_deployments(specs)
    ensure_concurrency_limit(PLANNING_LIMIT)
    # A planning run killed where no serving process saw it die (`yinhui plan` in a terminal) is
    # found within seconds: marked Crashed, its slot freed, the leaders alerted.
    stop = threading.Event()
    watch_planning_slot(stop)
    try:
        serve(*deployments, limit=limit, pause_on_shutdown=True)
    finally:
        stop.set()


# -- the embedded Prefect server ----------------------------------------------------------------


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: closed connections lingering in TIME_WAIT do not make the port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthy(api_url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop the server and anything it started (it leads its own process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def _die_with_parent() -> None:
    """In the server's process: stop when whoever started it dies, even by `kill -9` (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def local_prefect_server(
    home: Path,
    *,
    port: int = DEFAULT_PORT,
    database_url: str | None = None,
    scheduler: bool = True,
    timeout: float = SERVER_START_TIMEOUT,
) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:`port`, yield its API URL, stop it on the way out.

    Its state (the SQLite database unless `database_url` names PostgreSQL, and its log,
    server.log) lives in `home`. The server runs in its own process group so that Ctrl-C on
    the terminal reaches `serve` first: `serve` still needs the server to pause its schedules.
    On Linux it also stops if its parent dies without cleaning up.
    """
    if not port_is_free(port):
        raise ServeError(
            f"port {port} on 127.0.0.1 is in use (another Prefect server?): pass --port, "
            "or set PREFECT_API_URL to use the server that is running"
        )
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL", "PREFECT_PROFILE")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_API_HOST="127.0.0.1")
    # Concurrency leases on disk (under `home`), not in the server's memory: a lease held when the
    # server stopped still runs out after a restart, instead of keeping its slot taken for good.
    env.setdefault("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", LEASES_ON_DISK)
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    if not scheduler:
        command.append("--no-scheduler")
    api_url = f"http://127.0.0.1:{port}/api"
    log: IO[bytes] = open(home / "server.log", "ab")  # noqa: SIM115 - closed below, after the server
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
    )
    pid_file = home / "server.pid"  # lets an operator (or a test) find a server left behind by a hard kill
    pid_file.write_text(str(process.pid))
    try:
        deadline = time.monotonic() + timeout
        while not healthy(api_url):
            if process.poll() is not None:
                raise ServeError(f"the Prefect server stopped at start (exit {process.returncode}); see {home / 'server.log'}")
            if time.monotonic() > deadline:
                raise ServeError(f"the Prefect server did not answer within {timeout:.0f} s; see {home / 'server.log'}")
            time.sleep(0.5)
        yield api_url
    finally:
        _stop(process)
        log.close()
        pid_file.unlink(missing_ok=True)


@contextlib.contextmanager
def prefect_api(data_dir: Path, *, port: int = DEFAULT_PORT) -> Iterator[tuple[str, bool]]:
    """The Prefect API to use: the configured one, else a local server started for the duration.

    Yields (api_url, started_here). Within the block PREFECT_API_URL points at it, for this
    process and for the flow runs it starts.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = configured_api_url()
    with contextlib.ExitStack() as stack:
        api_url = configured or stack.enter_context(local_prefect_server(data_dir / "prefect", port=port))
        previous = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = api_url
        try:
            with temporary_settings({PREFECT_API_URL: api_url}):
                try:
                    yield api_url, configured is None
                finally:
                    if configured is None:
                        _drain_prefect_queues()
        finally:
            if previous is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = previous


def _drain_prefect_queues(timeout: float = 10.0) -> None:
    """Send the logs and events still queued in this process while the server that takes them is up.

    The local server stops before this process exits; what is still queued then would be lost.
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=timeout)


def ui_url(api_url: str) -> str:
    return api_url.removesuffix("/").removesuffix("/api")
