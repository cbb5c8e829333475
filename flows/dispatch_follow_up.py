"""A run of its own for a message's retry: `dispatch-outbox` no longer runs every five minutes to find it.

A message that failed for now (a channel away, Telegram's "retry after") stays in the outbox with
the time of its next attempt. The dispatch run that recorded the failure asks the Prefect server
for one more run of the `dispatch-outbox` deployment at that time, named for it (`dispatch
2026-11-29 10:17`), so the retry goes out when it is due and not at the next sweep. Runs asking
for the same minute get the same run (an idempotency key), and none is asked when the sweep comes
first anyway. Where no deployment is registered (`yinhui dispatch` by hand, the tests' harness),
nothing is asked: the next dispatch sends the retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum

from models.db import session_scope
from models.outbox import FAILED
from yinhui import clock
from yinhui.services.outbox import undelivered

log = logging.getLogger(__name__)

EARLIEST = dt.timedelta(seconds=30)  # a follow-up never starts sooner: the server and a worker need a moment


def next_retry(now: dt.datetime) -> dt.datetime | None:
    """When the first message waiting for a retry is due (at the earliest `EARLIEST` from `now`), else None."""
    with session_scope(read_only=True) as session:
        due = [n.not_before or now for n in undelivered(session) if n.status == FAILED]
    if not due:
        return None
    return max(min(due), now + EARLIEST)


def follow_up_time(due: dt.datetime) -> dt.datetime:
    """`due` rounded up to the whole minute: runs asking for 10:16:20 and 10:16:50 share the 10:17 run."""
    whole = due.replace(second=0, microsecond=0)
    return whole if whole == due else whole + dt.timedelta(minutes=1)


def sweep_comes_first(now: dt.datetime, at: dt.datetime, crons: tuple[str, ...], timezone: str) -> bool:
    """True when a scheduled sweep fires after `now` and at most a minute after `at`."""
    from prefect._vendor.croniter import croniter  # what the Prefect server computes schedules with

    start = pendulum.instance(now).in_timezone(timezone)
    limit = pendulum.instance(at).add(minutes=1)
    return any(croniter(cron, start).get_next(dt.datetime) <= limit for cron in crons)


def schedule_follow_up() -> dt.datetime | None:
    """Ask for a `dispatch-outbox` run at the next retry's time; returns that time, or None if none was asked."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Scheduled

    from deployments.schedules import deployment_specs, timezone

    now = clock.now()
    due = next_retry(now)
    if due is None:
        return None
    at = follow_up_time(due)
    try:
        spec = next(s for s in deployment_specs() if s.flow_name == "dispatch-outbox")
        if spec.active and sweep_comes_first(now, at, spec.crons, timezone()):
            return None
        local = pendulum.instance(at).in_timezone(timezone())
        with get_client(sync_client=True) as client:
            context = FlowRunContext.get()  # a scheduled run knows its deployment; a sub-flow looks it up
            deployment_id: Any = context.flow_run.deployment_id if context and context.flow_run else None
            if deployment_id is None:
                deployment_id = client.read_deployment_by_name(spec.full_name).id
            client.create_flow_run_from_deployment(
                deployment_id, state=Scheduled(scheduled_time=at), name=f"dispatch {local.strftime('%Y-%m-%d %H:%M')}",
                idempotency_key=f"dispatch-retry:{local.strftime('%Y-%m-%dT%H:%M')}",
            )
    except ObjectNotFound:
        log.debug("no dispatch-outbox deployment: the retry at %s waits for the next dispatch", at)
        return None
    except Exception as exc:  # noqa: BLE001  (the sweep still sends it; delivery must not fail for this)
        log.warning("no follow-up run for the retry at %s: %s", at, type(exc).__name__)
        return None
    return at
