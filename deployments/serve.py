"""One machine: every deployment served from one process (Prefect's `serve`), with a local Prefect server when none is configured."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from deployments.schedules import (
    LEGACY_DEPLOYMENT_NAME,
    DeploymentSpec,
    deployment_specs,
    load_flow,
    timezone,
)
from deployments.shutdown import SHUTDOWN, kill_children

DEFAULT_PORT = 4200
DEFAULT_HOST = "127.0.0.1"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # every interface: reached under the machine's name
LEASES_ON_DISK = "prefect.server.concurrency.lease_storage.filesystem"
SERVER_START_TIMEOUT = 120.0


class ServeError(RuntimeError):
    """Serving cannot start (a busy port, a server that does not come up); the message says what to do."""


# -- the flows as deployments -----------------------------------------------------------------


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
        name=spec.name,
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


def remove_legacy_deployments(specs: Sequence[DeploymentSpec]) -> int:
    """Delete the deployments of an older Yinhui, all called `yinhui`, that each now has its own name.

    Left in place they would stay on the Deployments page beside the new ones, paused, under the
    name that no longer says anything. Returns how many were removed.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    removed = 0
    with get_client(sync_client=True) as client:
        for spec in specs:
            try:
                old = client.read_deployment_by_name(f"{spec.flow_name}/{LEGACY_DEPLOYMENT_NAME}")
            except ObjectNotFound:
                continue
            client.delete_deployment(old.id)
            removed += 1
    return removed


def _runner(limit: int | None) -> Any:
    """Prefect's Runner (what `prefect.serve` uses), whose stop starts the shutdown deadline.

    Ctrl-C stops it the way SIGTERM does (the runs in flight cancelled, the schedules paused);
    a second Ctrl-C while it stops interrupts at once.
    """
    from prefect.runner import Runner

    class BoundedRunner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            SHUTDOWN.start()
            super().handle_sigterm(*args, **kwargs)

    runner = BoundedRunner(pause_on_shutdown=True, limit=limit)

    def on_ctrl_c(signum: int, frame: Any) -> None:
        if SHUTDOWN.started:
            raise KeyboardInterrupt
        runner.handle_sigterm()

    signal.signal(signal.SIGINT, on_ctrl_c)
    return runner


def serve_all(specs: Sequence[DeploymentSpec] | None = None, *, limit: int | None = None) -> None:
    """Run every deployment's schedule from this process until Ctrl-C or SIGTERM; stop within seconds.

    For a process of its own (`yinhui serve`): once asked to stop, the process exits within
    `deployments.shutdown.STOP_WITHIN` seconds, if need be by force.
    """
    import asyncio
    import threading

    from prefect.exceptions import TerminationSignal

    from flows.name_scheduled import keep_scheduled_runs_named
    from flows.planning_slot import PLANNING_LIMIT, ensure_concurrency_limit, watch_planning_slot

    specs = list(specs or deployment_specs())
    deployments = build_deployments(specs)
    ensure_concurrency_limit(PLANNING_LIMIT)
    remove_legacy_deployments(specs)
    # A planning run killed where no serving process saw it die (`yinhui plan` in a terminal) is
    # found within seconds: marked Crashed, its slot freed, the leaders alerted.
    stop = threading.Event()
    watch_planning_slot(stop)
    # The runs the server schedules ahead get their dated names within seconds, not at their start.
    keep_scheduled_runs_named(stop, specs)
    previous = signal.getsignal(signal.SIGINT)
    runner = _runner(limit)
    SHUTDOWN.last_word(kill_children)  # a forced exit leaves no run process behind
    for deployment in deployments:
        runner.add_deployment(deployment)
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal):
        pass
    finally:
        SHUTDOWN.start()  # whatever ended the runner: what follows is bounded too
        stop.set()
        signal.signal(signal.SIGINT, previous)


# -- the embedded Prefect server ----------------------------------------------------------------


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def port_is_free(port: int, host: str = DEFAULT_HOST) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As the server will: closed connections lingering in TIME_WAIT do not make the port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def server_urls(host: str, port: int) -> tuple[str, str]:
    """(the API URL this machine's processes use, the API URL the UI in a browser uses).

    A server on every interface (0.0.0.0) is called through 127.0.0.1 from here, and by the
    machine's name from a browser elsewhere. PREFECT_UI_API_URL, when set, is the browser's.
    """
    wildcard = host in WILDCARD_HOSTS
    local = f"http://{'127.0.0.1' if wildcard else _url_host(host)}:{port}/api"
    ui = os.environ.get("PREFECT_UI_API_URL") or (f"http://{socket.gethostname()}:{port}/api" if wildcard else local)
    return local, ui


def healthy(api_url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Stop the server and anything it started (it leads its own process group); killed if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN.remaining(timeout))
    except subprocess.TimeoutExpired:
        _kill(process)
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
    host: str = DEFAULT_HOST,
    database_url: str | None = None,
    scheduler: bool = True,
    timeout: float = SERVER_START_TIMEOUT,
) -> Iterator[str]:
    """Start `prefect server start` on `host`:`port`, yield its API URL, stop it on the way out.

    The server is told its port and the API URL its UI calls (PREFECT_SERVER_API_PORT,
    PREFECT_UI_API_URL), so that the UI in a browser reaches this server and not whatever
    answers on the default port 4200. Its state (the SQLite database unless `database_url` names PostgreSQL, and its log,
    server.log) lives in `home`. The server runs in its own process group so that Ctrl-C on
    the terminal reaches `serve` first: `serve` still needs the server to pause its schedules.
    On Linux it also stops if its parent dies without cleaning up.
    """
    if not port_is_free(port, host):
        raise ServeError(
            f"port {port} on {host} is in use (another Prefect server?): pass --port, "
            "or set PREFECT_API_URL to use the server that is running"
        )
    home.mkdir(parents=True, exist_ok=True)
    api_url, ui_api_url = server_urls(host, port)
    env = {key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL", "PREFECT_PROFILE")}
    env.update(
        PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_API_HOST=host,
        PREFECT_SERVER_API_PORT=str(port), PREFECT_UI_API_URL=ui_api_url, PREFECT_API_URL=api_url,
    )
    # Concurrency leases on disk (under `home`), not in the server's memory: a lease held when the
    # server stopped still runs out after a restart, instead of keeping its slot taken for good.
    env.setdefault("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", LEASES_ON_DISK)
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)]
    if not scheduler:
        command.append("--no-scheduler")
    log: IO[bytes] = open(home / "server.log", "ab")  # noqa: SIM115 - closed below, after the server
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
    )
    pid_file = home / "server.pid"  # lets an operator (or a test) find a server left behind by a hard kill
    pid_file.write_text(str(process.pid))

    def last_word() -> None:  # a forced exit (deployments/shutdown.py) leaves no server behind
        _kill(process)
        pid_file.unlink(missing_ok=True)

    withdraw = SHUTDOWN.last_word(last_word)
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
        withdraw()
        log.close()
        pid_file.unlink(missing_ok=True)


@contextlib.contextmanager
def prefect_api(data_dir: Path, *, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> Iterator[tuple[str, bool]]:
    """The Prefect API to use: the configured one, else a local server started for the duration.

    Yields (api_url, started_here). Within the block PREFECT_API_URL points at it, for this
    process (its threads included) and for the flow runs it starts.
    """
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = configured_api_url()
    with contextlib.ExitStack() as stack:
        api_url = configured or stack.enter_context(local_prefect_server(data_dir / "prefect", port=port, host=host))
        previous = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = api_url
        # A thread starts without the settings below (`temporary_settings` lives in a context
        # variable): it reads Prefect's global settings, built when Prefect was imported, before
        # the URL was known. Without this refresh the planning-slot watch thread of `serve`
        # started a temporary Prefect server of its own, watched that empty server instead, and
        # held up the stop while that server shut down.
        refresh_global_settings_context()
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
            refresh_global_settings_context()


def _drain_prefect_queues(timeout: float = 2.0) -> None:
    """Send the logs and events still queued in this process while the server that takes them is up.

    The local server stops before this process exits; what is still queued then would be lost.
    Bounded (`timeout` each, less near the shutdown deadline): a server too busy to take them
    must not hold up the stop.
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=SHUTDOWN.remaining(timeout))


def ui_url(api_url: str) -> str:
    return api_url.removesuffix("/").removesuffix("/api")
