"""Scheduled runs named as they will be when they start: `dispatch 2026-11-30 10:30`, not "carrot-beluga".

The Prefect server's scheduler creates each deployment's runs days ahead, named after two random
words; a run gets its dated name (flows/run_names.py) only when it starts, so the Runs page's
upcoming list read as noise. This renames the runs still waiting, with the name each flow's own
`flow_run_name` gives for the run's expected start and parameters. `yinhui serve` does it every
15 s (deployments/serve.py); on the work-pool path each delivery sweep does it at its end
(flows/dispatch_outbox.py), within half an hour by day.

A pass where every waiting run has a dated name is two counts; only when one has a random name
are the waiting runs read (200 a call) and those named otherwise than their flow names them
renamed, one call each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flows.run_names import RunName

if TYPE_CHECKING:
    from deployments.schedules import DeploymentSpec

log = logging.getLogger(__name__)

PAGE = 200  # the most runs the Prefect API returns at once
MAX_PAGES = 10  # a server holds about 600 waiting runs of ours (100 per deployment at most)
EVERY = 15.0  # seconds between two passes under `yinhui serve`


def naming_rules(specs: Sequence[DeploymentSpec]) -> dict[str, RunName]:
    """Flow name -> its `flow_run_name`, for the deployments in `specs` whose flow has one of ours."""
    from deployments.schedules import load_flow

    rules = {}
    for spec in specs:
        rule = load_flow(spec.entrypoint).flow_run_name
        if isinstance(rule, RunName):
            rules[spec.flow_name] = rule
    return rules


def name_scheduled_runs(
    specs: Sequence[DeploymentSpec] | None = None, *, stop: threading.Event | None = None
) -> int:
    """Give the waiting runs of our deployments the names they will start with; returns how many were renamed.

    Waiting: Scheduled (Late too) and never started, so a run that ran, or waits for its retry,
    keeps the name it has. Once any has a random name, every waiting run named otherwise than its
    flow names it is renamed. Stops early once `stop` is set. API errors are the caller's.
    """
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterName,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    from deployments.schedules import deployment_specs

    specs = list(specs if specs is not None else deployment_specs())
    rules = naming_rules(specs)
    if not rules:
        return 0
    renamed = 0
    flow_filter = FlowFilter(name=FlowFilterName(any_=list(rules)))
    deployments = DeploymentFilter(name=DeploymentFilterName(any_=[spec.name for spec in specs]))
    waiting = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        deployment_id=FlowRunFilterDeploymentId(is_null_=False),
    )
    # Prefect's random names ("carrot-beluga") hold no space, and every name of ours does: while
    # the two counts agree, no run waits for its name and none is read.
    dated = waiting.model_copy(update={"name": FlowRunFilterName(like_=" ")})
    with get_client(sync_client=True) as client:
        every = client.count_flow_runs(flow_filter=flow_filter, flow_run_filter=waiting, deployment_filter=deployments)
        if client.count_flow_runs(flow_filter=flow_filter, flow_run_filter=dated, deployment_filter=deployments) == every:
            return 0
        flows = {flow.id: flow.name for flow in client.read_flows(flow_filter=flow_filter)}
        for page in range(MAX_PAGES):
            runs = client.read_flow_runs(
                flow_filter=flow_filter, flow_run_filter=waiting, deployment_filter=deployments,
                sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=PAGE, offset=page * PAGE,
            )
            for run in runs:
                if stop is not None and stop.is_set():
                    return renamed
                name = _due_name(run, rules.get(flows.get(run.flow_id, "")))
                if name is not None and name != run.name:
                    try:
                        client.update_flow_run(run.id, name=name)
                    except httpx.HTTPStatusError as exc:
                        if exc.response.status_code != 404:
                            raise
                        continue  # deleted meanwhile: its deployment's schedule changed
                    renamed += 1
            if len(runs) < PAGE:
                break
    if renamed:
        log.debug("named %d scheduled run(s)", renamed)
    return renamed


def _due_name(run: Any, rule: RunName | None) -> str | None:
    """The name `run` gets when it starts, or None to leave it (it started once, or its rule fails)."""
    if rule is None or run.run_count or run.expected_start_time is None:
        return None
    try:
        return rule.for_run(run.expected_start_time, run.parameters or {})
    except Exception as exc:  # noqa: BLE001  (a parameter the flow itself will refuse: left to the run)
        log.debug("no name for scheduled run %s: %r", run.id, exc)
        return None


def name_scheduled_runs_quietly(specs: Sequence[DeploymentSpec] | None = None,
                                *, stop: threading.Event | None = None) -> int:
    """`name_scheduled_runs`, any error logged at debug: the next pass tries again."""
    try:
        return name_scheduled_runs(specs, stop=stop)
    except Exception as exc:  # noqa: BLE001  (the server may be restarting; names are cosmetic)
        log.debug("naming the scheduled runs failed: %r", exc)
        return 0


def keep_scheduled_runs_named(
    stop: threading.Event, specs: Sequence[DeploymentSpec] | None = None, every: float = EVERY
) -> threading.Thread:
    """Name the scheduled runs every `every` seconds until `stop` is set (a daemon thread, for `yinhui serve`)."""

    def loop() -> None:
        while not stop.wait(every):
            name_scheduled_runs_quietly(specs, stop=stop)

    thread = threading.Thread(target=loop, name="yinhui-scheduled-run-names", daemon=True)
    thread.start()
    return thread
