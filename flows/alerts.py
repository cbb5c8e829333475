"""Overlap and failure of scheduled runs: one planning run at a time, and a leader alert (告警) when a run fails."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import time
import typing
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import get_run_logger
from prefect.concurrency.sync import concurrency

from flows.artifacts import counting_changes, install_log_redaction, redact
from models.db import session_scope
from yinhui import clock
from yinhui.i18n import N_, text
from yinhui.messages.texts import language_of
from yinhui.services.coordinators import active_leaders
from yinhui.services.outbox import enqueue
from yinhui.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")
PLANNING_LIMIT = "yinhui-planning"
PLANNING_WAIT_SECONDS = 3600  # a planning run that waits longer than this fails (and alerts)

# Every process that runs one of our flows imports this module (for the hooks): scrub its run logs.
install_log_redaction()


# -- overlap -------------------------------------------------------------------------------------


def ensure_concurrency_limit(name: str, limit: int = 1) -> None:
    """Create the global concurrency limit `name` on the Prefect server unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
        except ObjectAlreadyExists:  # another process created it a moment ago
            pass


def one_planning_run_at_a_time(fn: Callable[P, R]) -> Callable[P, R]:
    """Make a flow function wait for any other planning run to finish before it starts.

    Planning runs come from the schedule, `yinhui plan`, `yinhui rerun` and the UI; two at once
    would race on the same inserts. A global concurrency limit of one slot, held for the whole
    run, serialises them on whichever machine they run. Once in, it notes where the run began
    so that the day's report counts exactly what this run wrote. Put it under `@flow`.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ensure_concurrency_limit(PLANNING_LIMIT)
        started = time.monotonic()
        with concurrency(PLANNING_LIMIT, occupy=1, timeout_seconds=PLANNING_WAIT_SECONDS, strict=True):
            waited = time.monotonic() - started
            if waited > 2:
                get_run_logger().info("waited %.0f s for another planning run to finish", waited)
            with counting_changes():
                return fn(*args, **kwargs)

    # Prefect reads parameter types from the function; resolve them here, where `fn`'s names live.
    wrapper.__annotations__ = typing.get_type_hints(fn)
    wrapper.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return wrapper


# -- failure --------------------------------------------------------------------------------------

# In each leader's own language (yinhui/locale/zh_CN holds the Chinese).
ALERT_TEXT = {
    "subject": N_("[Yinhui alert] {flow} failed"),
    "body": N_("[Yinhui alert] A scheduled run failed\nFlow: {flow} ({run})\nReason: {reason}\nDetails: {link}\nTo redo: {rerun}"),
    "no_link": N_("see run {run} in the Prefect UI"),
    "reason_unknown": N_("unknown"),
}

RERUN_HINTS = {
    "daily-plan": "yinhui rerun --date {day}",
    "contact-cadence": "yinhui rerun --date {day}",
    "escalation-sweep": "yinhui rerun --date {day}",
    "weekly-report": "yinhui report weekly --week-of {day}",
    "monthly-coverage-snapshot": "yinhui snapshot --month {month}",
    "dispatch-outbox": "yinhui dispatch",
}


def run_link(flow_run_id: Any) -> str | None:
    """The run's page in the Prefect UI, when a UI address is known."""
    from prefect.utilities.urls import url_for

    return url_for("flow-run", obj_id=str(flow_run_id))


def run_day(parameters: dict[str, Any], expected_start: dt.datetime | None) -> dt.date:
    """The day a run was for: its `day` (or `week_of`) parameter, else when it was scheduled."""
    for name in ("day", "week_of"):
        value = parameters.get(name)
        if value:
            try:
                return dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                pass
    moment = expected_start.astimezone(clock.tz()) if expected_start is not None else clock.now()
    return dt.date(moment.year, moment.month, moment.day)  # a plain date, not pendulum's


def rerun_hint(flow_name: str, parameters: dict[str, Any], day: dt.date) -> str:
    hint = RERUN_HINTS.get(flow_name, "prefect deployment run '{flow}/yinhui'")
    previous_month = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    month = str(parameters.get("month") or previous_month)
    return hint.format(day=day.isoformat(), month=month, flow=flow_name)


def failure_reason(state: Any) -> str:
    """The exception's type only: its message may quote data (a row, an address) the chat must not see."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception as error:  # the result itself could not be read
        exc = error
    return type(exc).__name__ if isinstance(exc, BaseException) else ""


def alert_leaders(*, flow_name: str, run_name: str, reason: str, link: str | None, rerun: str, key: str) -> int:
    """Queue an alert to every active leader through their own channel; returns how many were queued."""
    default_language = get_settings().language
    queued = 0
    with session_scope() as session:
        for leader in active_leaders(session):
            lang = language_of(leader.language, default_language)
            body = text(
                lang, ALERT_TEXT["body"], flow=flow_name, run=run_name,
                reason=reason or text(lang, ALERT_TEXT["reason_unknown"]),
                link=link or text(lang, ALERT_TEXT["no_link"], run=run_name), rerun=rerun,
            )
            queued += enqueue(
                session,
                dedupe_key=f"alert:{key}:{leader.id}",
                recipient_id=leader.id,
                channel=leader.channel,
                kind="alert",
                subject=text(lang, ALERT_TEXT["subject"], flow=flow_name),
                body=redact(body),
                payload={"flow": flow_name, "run": run_name, "link": link, "rerun": rerun, "reason": reason},
            )
    return queued


def on_flow_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect `on_failure` hook: tell the leaders' chats, with the run's link, then deliver at once.

    A subflow's failure fails its parent, whose own hook speaks for both; the alert goes through
    the outbox so each leader gets it on whatever channel they use, exactly once per run.
    """
    from prefect.logging.loggers import flow_run_logger

    from flows.dispatch_outbox import deliver_batch

    if getattr(flow_run, "parent_task_run_id", None) is not None:
        return
    logger = flow_run_logger(flow_run, flow)
    parameters = dict(getattr(flow_run, "parameters", None) or {})
    day = run_day(parameters, getattr(flow_run, "expected_start_time", None))
    link = run_link(flow_run.id)
    try:
        queued = alert_leaders(
            flow_name=flow.name, run_name=flow_run.name, reason=failure_reason(state), link=link,
            rerun=rerun_hint(flow.name, parameters, day), key=f"run:{flow_run.id}",
        )
        sent = deliver_batch(limit=100)
    except Exception as exc:  # the database may be what failed: the UI still shows the failed run
        logger.error("could not alert the leaders about this failure (%s)", type(exc).__name__)
        return
    logger.warning("failure alert queued for %d leader(s); outbox: %d sent", queued, sent.get("sent", 0))
