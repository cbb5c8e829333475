"""`yinhui serve` stops within seconds of SIGTERM or Ctrl-C, also while a run is in flight.

A service manager (systemd, a container) sends SIGTERM and kills what has not stopped after a
grace period; a serve that hangs in its own shutdown leaves its schedules unpaused and its
runs unmarked. The run in flight here is a real served `daily-plan` that waits for the planning
slot, which the test holds.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from deployments.schedules import DEFAULT_SPECS
from deployments.serve import port_is_free
from flows.planning_slot import PLANNING_LIMIT
from tests.support.serving import wait_registered, yinhui_serve
from tests.support.stack import (
    DAY,
    START_TIMEOUT,
    app_database,
    prefect_client,
    seed,
    tail,
    wait_for,
)

pytestmark = pytest.mark.prefect

STOP_BOUND = 10.0
DAILY_PLAN = next(spec.full_name for spec in DEFAULT_SPECS if spec.flow_name == "daily-plan")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _waiting(client, flow_run_id) -> bool:
    """The run said, in its own log, that it waits for the planning slot."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from flows.planning_slot import SLOT_TEXT
    from yinhui.i18n import text

    said = {text(lang, SLOT_TEXT["waiting_unknown"]) for lang in ("zh", "en")}
    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return any(entry.message in said for entry in logs)


@pytest.mark.parametrize(
    ("sig", "freeze_server"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["SIGTERM", "Ctrl-C", "SIGTERM-server-not-answering"],
)
def test_serve_stops_within_seconds_while_a_run_is_in_flight(tmp_path: Path, sig: int, freeze_server: bool):
    from prefect.deployments import run_deployment

    app_url, _ = app_database("sqlite", tmp_path)
    seed(app_url)
    with yinhui_serve(tmp_path, app_url, stop=signal.SIGKILL, stop_timeout=10.0) as served:
        serve, port, log = served.process, served.port, served.log
        with prefect_client(served.api_url, tmp_path) as client:
            wait_registered(client, [DAILY_PLAN], log)
            # Hold the planning slot, so that the served run stays in flight, waiting for it.
            client.increment_concurrency_slots_with_lease(names=[PLANNING_LIMIT], slots=1, mode="concurrency",
                                                          lease_duration=600)
            run = run_deployment(DAILY_PLAN, client=client, parameters={"day": DAY.isoformat(), "backfill": True},
                                 timeout=0, as_subflow=False)
            wait_for("the served run waiting for the slot", lambda: _waiting(client, run.id), START_TIMEOUT, log)
            assert client.read_flow_run(run.id).state.is_running(), tail(log)

            server_pid = int((tmp_path / "data" / "prefect" / "server.pid").read_text())
            if freeze_server:  # as on a machine too busy for it: the server takes requests and never answers
                os.kill(server_pid, signal.SIGSTOP)
            started = time.monotonic()
            serve.send_signal(sig)
            try:
                serve.wait(timeout=STOP_BOUND)
            except Exception:  # noqa: BLE001 - reported below with the log
                pytest.fail(f"`yinhui serve` did not stop within {STOP_BOUND:.0f} s of {signal.Signals(sig).name}\n"
                            + tail(log))
            took = time.monotonic() - started
            assert serve.returncode == 0, tail(log)
            assert took < STOP_BOUND
        said = log.read_text(errors="replace")
        # Normally every step of the stop runs (the schedules paused); only a server that does not
        # answer makes serve give up on the rest and go.
        assert ("All deployments have been paused!" in said) is not freeze_server, tail(log)
        assert ("stopping took more than" in said) is freeze_server, tail(log)
        wait_for("its local Prefect server stopping", lambda: port_is_free(port), STOP_BOUND, log)
        assert not (tmp_path / "data" / "prefect" / "server.pid").exists()
        assert not _alive(server_pid)
