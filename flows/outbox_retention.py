"""Prefect flow `outbox-retention`: a delivered message keeps its text (phones, names) for a set time only.

Every night the text and payload of the messages sent, or given up, more than the playbook's
`[outbox] retention_days` ago are blanked (消息内容保留期限). The rows stay — recipient, channel,
kind, status, times, attempts, the dedupe key — so a day run again queues nothing twice and the
operator's counts still hold. One set-based UPDATE; running it twice changes nothing the second
time; the log and the result carry counts only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task

from flows.alerts import on_flow_failure
from flows.retrying import TASK_RETRIES
from flows.run_names import run_name
from flows.steps import run_step
from flows.texts import say
from models.db import session_scope
from yinhui.i18n import N_
from yinhui.playbook_loader import current_playbook
from yinhui.services.outbox import purge_delivered


@task(name="purge-delivered · 清除过期消息内容", **TASK_RETRIES)
def purge_delivered_task(retention_days: int) -> int:
    with session_scope() as session:
        return purge_delivered(session, older_than=dt.timedelta(days=retention_days))


@flow(
    name="outbox-retention",
    flow_run_name=run_name("outbox-retention"),
    description="清除过期的已发消息内容 — blank the text of messages delivered longer ago than the retention period.",
    on_failure=[on_flow_failure],
)
def outbox_retention(retention_days: int | None = None) -> dict[str, Any]:
    """Blank what was delivered more than `retention_days` ago (default: the playbook's `[outbox]`)."""
    days = current_playbook().outbox.retention_days if retention_days is None else retention_days
    if days < 1:
        raise ValueError("retention_days must be at least 1")
    cleared = run_step(purge_delivered_task, days)
    get_run_logger().info(say(
        N_("Message retention: text cleared from {count} message(s) delivered more than {days} days ago."),
        count=cleared, days=days,
    ))
    return {"cleared": cleared, "retention_days": days}
