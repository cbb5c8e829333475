"""Prefect flow `dispatch-outbox`: delivers queued messages, each exactly once, through its channel.

The sending loop itself (claims, leases, what each channel reports) is `flows/deliver.py`; this
flow runs batches of it, frees a dead planning-slot holder, asks for a run at the next retry, and
gives the runs the server scheduled their dated names (flows/name_scheduled.py).
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from typing import Any

from prefect import flow, get_run_logger, task

from flows.deliver import deliver_batch
from flows.dispatch_follow_up import schedule_follow_up
from flows.name_scheduled import name_scheduled_runs_quietly
from flows.retrying import TASK_RETRIES
from flows.run_names import run_name
from flows.steps import steps_inline
from models.db import session_scope

log = logging.getLogger(__name__)


@task(name="deliver-batch · 发送消息", **TASK_RETRIES)
def deliver_batch_task(limit: int, channels: list[str] | None) -> dict[str, int]:
    return deliver_batch(limit, channels)


@flow(
    name="dispatch-outbox",
    flow_run_name=run_name("dispatch", with_time=True),
    description="发送待发消息 — deliver the outbox; overlapping runs never send a message twice.",
)
def dispatch_outbox(limit: int = 500, channels: list[str] | None = None, max_batches: int = 20) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    free_a_dead_planning_slot()
    if steps_inline():  # inside one enclosing run (the demo's simulated day): one batch after another
        for _ in range(max_batches):
            result = deliver_batch(limit, channels)
            totals.update(result)
            if result.get("claimed", 0) < limit and not result.get("channels_broken"):
                break
        return dict(totals)
    # Two batches overlap: while one waits for its last retries, the next is already claimed and
    # queued behind it, so a paced channel (Telegram) never idles between batches. Each claim is
    # atomic, so the two never hold the same message.
    running = deque(deliver_batch_task.submit(limit, channels) for _ in range(min(2, max_batches)))
    submitted = len(running)
    while running:
        result = running.popleft().result()
        totals.update(result)
        # A full batch may have left more; a broken channel queued its leader's alert.
        more = result.get("claimed", 0) >= limit or result.get("channels_broken")
        if more and submitted < max_batches:
            running.append(deliver_batch_task.submit(limit, channels))
            submitted += 1
    get_run_logger().info(
        "outbox: %d sent, %d failed, %d given up", totals["sent"], totals["failed"], totals["dead"]
    )
    if totals["failed"] or totals["dead"]:
        _undelivered_artifact()
    schedule_follow_up()  # a message left for a retry gets a run at its time, not at the next sweep
    # Without `yinhui serve` (the work-pool path) nothing else gives the server's scheduled runs their dated names.
    name_scheduled_runs_quietly()
    return dict(totals)


def free_a_dead_planning_slot() -> bool:
    """Free the planning slot of a planning run that was killed; True if there was one.

    Under `yinhui serve` a watch does this every few seconds; on the work-pool path nothing but
    the next planning run would, the next morning. The delivery sweep runs on every path (every
    half hour 07:00-21:30, hourly at night: deployments/schedules.py), so a dead holder is freed
    (its run marked Crashed, the leaders alerted) within 30 minutes by day, an hour at night.
    A live holder, this run's own planning run included, is left alone.
    """
    if steps_inline():  # the demo's simulated day: one process, no slot to watch
        return False
    import flows.alerts  # noqa: F401  (registers the leaders' alert about a crashed run)
    from flows.planning_slot import reap_dead_holder

    try:
        return reap_dead_holder()
    except Exception as exc:  # noqa: BLE001  (delivery matters more; the next run looks again)
        log.debug("planning slot check failed: %r", exc)
        return False


def _undelivered_artifact() -> None:
    """What did not reach its recipient, with the reason, for the Prefect UI (no message text)."""
    from prefect.artifacts import create_table_artifact

    from yinhui.services.delivery import undelivered_report

    with session_scope() as session:
        rows = undelivered_report(session)
    create_table_artifact(
        key="undelivered-messages",
        table=[{k: r[k] for k in ("id", "recipient", "channel", "kind", "status", "attempts", "reason")} for r in rows[:500]],
        description=f"未送达消息 — {len(rows)} message(s) not delivered; `yinhui chat undelivered` lists them",
    )
