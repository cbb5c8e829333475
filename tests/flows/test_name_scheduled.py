"""The Runs page's upcoming list: runs the server scheduled read `dispatch 2030-12-02 10:30`, not "carrot-beluga"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pendulum
import pytest

from deployments.schedules import DEFAULT_SPECS
from deployments.serve import build_deployments
from flows.name_scheduled import name_scheduled_runs, name_scheduled_runs_quietly

pytestmark = pytest.mark.prefect

SPECS = [spec for spec in DEFAULT_SPECS if spec.flow_name in ("daily-plan", "dispatch-outbox", "weekly-report")]
FAR = 2030  # years ahead: nothing in the test server ever starts these runs


def _beijing(day: int, hour: int, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(FAR, 12, day, hour, minute, tz="Asia/Shanghai")


@pytest.fixture
def deployments(prefect_harness) -> Iterator[dict[str, Any]]:
    """Flow name -> id of its deployment as `yinhui serve` registers it; removed afterwards with its runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    ids = {spec.flow_name: deployment.apply() for spec, deployment in zip(SPECS, build_deployments(SPECS), strict=True)}
    try:
        yield ids
    finally:
        with get_client(sync_client=True) as client:
            ours = FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=list(ids.values())))
            for run in client.read_flow_runs(flow_run_filter=ours):
                client.delete_flow_run(run.id)
            for deployment_id in ids.values():
                client.delete_deployment(deployment_id)


def test_scheduled_runs_are_named_as_they_will_start_and_only_once(deployments):
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Running, Scheduled

    ids = deployments
    with get_client(sync_client=True) as client:

        def scheduled(flow_name: str, at: pendulum.DateTime, **parameters: Any) -> Any:
            """A run as the server's scheduler makes it: Scheduled, two random words for a name."""
            return client.create_flow_run_from_deployment(
                ids[flow_name], state=Scheduled(scheduled_time=at.in_timezone("UTC")), parameters=parameters)

        expected = {
            scheduled("daily-plan", _beijing(2, 6, 30)).id: f"daily-plan {FAR}-12-02",  # 22:30 UTC the day before
            scheduled("daily-plan", _beijing(3, 6, 30), day=f"{FAR}-11-28").id: f"daily-plan {FAR}-11-28",
            scheduled("dispatch-outbox", _beijing(2, 10, 30)).id: f"dispatch {FAR}-12-02 10:30",
            scheduled("dispatch-outbox", _beijing(2, 23)).id: f"dispatch {FAR}-12-02 23:00",
            scheduled("weekly-report", _beijing(2, 8)).id: f"weekly-report {FAR}-11-25",  # a Monday: last week
        }
        started = scheduled("dispatch-outbox", _beijing(3, 7))
        client.set_flow_run_state(started.id, Running(), force=True)
        finished = scheduled("daily-plan", _beijing(4, 6, 30))
        client.set_flow_run_state(finished.id, Completed(), force=True)
        assert all(not client.read_flow_run(run_id).name.startswith(("daily", "dispatch", "weekly")) for run_id in expected)

        assert name_scheduled_runs(SPECS) >= len(expected)
        assert {run_id: client.read_flow_run(run_id).name for run_id in expected} == expected
        assert client.read_flow_run(started.id).name == started.name
        assert client.read_flow_run(finished.id).name == finished.name

        # Nothing changed since: nothing is renamed; a new run is, alone.
        assert name_scheduled_runs(SPECS) == 0
        later = scheduled("dispatch-outbox", _beijing(5, 21, 30))
        assert name_scheduled_runs(SPECS) == 1
        assert client.read_flow_run(later.id).name == f"dispatch {FAR}-12-05 21:30"


def test_a_server_not_answering_is_left_for_the_next_pass(prefect_harness):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    assert name_scheduled_runs([]) == 0  # nothing to name: no call at all
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # nothing listens there
        assert name_scheduled_runs_quietly(SPECS) == 0
