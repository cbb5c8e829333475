"""`yinhui serve --port N` as the deployment tests start it: its own local Prefect server, answering.

The process helpers themselves (spawn, stop a process group, wait for an event) are those of
tests/deployments/test_end_to_end.py; this is the one way the serve tests start and stop serve.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployments.serve import healthy
from tests.support.stack import (
    START_TIMEOUT,
    YINHUI,
    free_port,
    ready_prefect_home,
    spawn,
    stack_env,
    stop_group,
    stop_left_behind_server,
    wait_for,
)


@dataclass(frozen=True)
class Served:
    """A running `yinhui serve`: its process, port, API address and log file."""

    process: subprocess.Popen[bytes]
    port: int
    api_url: str
    log: Path


@contextlib.contextmanager
def yinhui_serve(workdir: Path, app_url: str, *, stop: signal.Signals = signal.SIGTERM,
                 stop_timeout: float = 30.0) -> Iterator[Served]:
    """`yinhui serve --port N` on the application database `app_url`, with its own local Prefect
    server under `workdir`, once that server answers; stopped with `stop` at the end (then killed,
    after `stop_timeout` seconds), and a server it left behind too."""
    port = free_port()
    log = workdir / "serve.log"
    api_url = f"http://127.0.0.1:{port}/api"
    ready_prefect_home(workdir / "data" / "prefect")
    process = spawn([*YINHUI, "serve", "--port", str(port)], stack_env(workdir, app_url, None), log)
    try:
        wait_for("the local Prefect server answering", lambda: healthy(api_url), START_TIMEOUT, log)
        yield Served(process, port, api_url, log)
    finally:
        stop_group(process, stop, stop_timeout)
        stop_left_behind_server(workdir / "data" / "prefect")


def wait_registered(client: Any, names: Iterable[str], log: Path) -> None:
    """Wait until `yinhui serve` has registered every deployment in `names` (full names)."""
    wanted = list(names)

    def registered() -> bool:
        try:
            return all(client.read_deployment_by_name(name) for name in wanted)
        except Exception:  # noqa: BLE001 - not registered yet
            return False

    wait_for("`yinhui serve` registering the deployments", registered, START_TIMEOUT, log)
