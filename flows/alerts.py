"""Overlap and failure of scheduled runs: one planning run at a time, and a leader alert (告警) when a run fails."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flows.artifacts import install_log_redaction, redact
from flows.console import install_console_brevity
from flows.planning_slot import (  # noqa: F401 - also imported from here
    CRASH_ALERTS,
    PLANNING_LIMIT,
    ensure_concurrency_limit,
    planning_slot,
    release_if_held_by,
)
from flows.rerun import rerun_hint, run_day
from flows.run_logs import install_bureau_words
from flows.texts import say
from flows.today import counting_changes
from models.db import session_scope
from yinhui.i18n import N_, text
from yinhui.messages.texts import language_of
from yinhui.services.coordinators import active_leaders
from yinhui.services.outbox import enqueue
from yinhui.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

# Every process that runs one of our flows imports this module (for the hooks): scrub its run logs,
# put Prefect's own lines in the bureau's language, and keep expected failures to one line on the
# terminal (the run log keeps the traceback).
install_log_redaction()
install_bureau_words()
install_console_brevity()


# -- overlap -------------------------------------------------------------------------------------


def one_planning_run_at_a_time(fn: Callable[P, R]) -> Callable[P, R]:
    """Make a flow function wait for any other planning run to finish before it starts.

    Planning runs come from the schedule, `yinhui plan`, `yinhui rerun` and the UI; two at once
    would race on the same inserts. The planning slot (flows/planning_slot.py), held for the
    whole run, serialises them on whichever machine they run; a waiting run says whom it waits
    for, and a holder that died is found and cleared. Once in, it notes where the run began so
    that the day's report counts exactly what this run wrote. Put it under `@flow`.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with planning_slot(), counting_changes():
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
    "crashed": N_("its process stopped without finishing (killed or cut off)"),
}

def run_link(flow_run_id: Any) -> str | None:
    """The run's page in the Prefect UI, when a UI address is known."""
    from prefect.utilities.urls import url_for

    return url_for("flow-run", obj_id=str(flow_run_id))


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
                reason=text(lang, reason or ALERT_TEXT["reason_unknown"]),
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


def alert_for_run(*, flow_name: str, flow_run: Any, reason: str, logger: Any) -> None:
    """Alert the leaders about a run that failed or died (once per run, whoever asks), then deliver at once."""
    from flows.deliver import deliver_batch
    from flows.dispatch_follow_up import schedule_follow_up

    parameters = dict(getattr(flow_run, "parameters", None) or {})
    day = run_day(parameters, getattr(flow_run, "expected_start_time", None))
    try:
        queued = alert_leaders(
            flow_name=flow_name, run_name=flow_run.name, reason=reason, link=run_link(flow_run.id),
            rerun=rerun_hint(flow_name, parameters, day), key=f"run:{flow_run.id}",
        )
        sent = deliver_batch(limit=100)
        schedule_follow_up()  # an alert that could not go out yet gets its retry run, not the next sweep
    except Exception as exc:  # the database may be what failed: the UI still shows the failed run
        logger.error(say(N_("Could not alert the leaders about this failure ({error})."), error=type(exc).__name__))
        return
    logger.info(say(N_("Failure alert queued for {count} leader(s); {sent} message(s) sent."), count=queued,
                    sent=sent.get("sent", 0)))


def on_flow_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect `on_failure` hook: tell the leaders' chats, with the run's link, then deliver at once.

    A subflow's failure fails its parent, whose own hook speaks for both; the alert goes through
    the outbox so each leader gets it on whatever channel they use, exactly once per run.
    """
    from prefect.logging.loggers import flow_run_logger

    if getattr(flow_run, "parent_task_run_id", None) is not None:
        return
    alert_for_run(flow_name=flow.name, flow_run=flow_run, reason=failure_reason(state),
                  logger=flow_run_logger(flow_run, flow))


def on_flow_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect `on_crashed` hook: free the planning slot the dead run still holds, alert the leaders.

    When a run's process is killed, the process that started it (`yinhui serve`, a worker) marks
    it Crashed and runs this hook itself; a run that crashed in its own process has let go of the
    slot already. A killed run nobody was watching (`yinhui plan`) is found by the next planning
    run or by `yinhui serve`'s check of the slot (flows/planning_slot.py), which alerts the same way.
    """
    from prefect.logging.loggers import flow_run_logger

    if getattr(flow_run, "parent_task_run_id", None) is not None:
        return
    from prefect.client.orchestration import get_client

    logger = flow_run_logger(flow_run, flow)
    try:
        if release_if_held_by(flow_run.id):  # that also alerted
            return
        with get_client(sync_client=True) as client:  # the name the run gave itself once it started
            flow_run = client.read_flow_run(flow_run.id)
    except Exception as exc:  # the slot's lease runs out by itself
        logger.error(say(N_("Could not free the planning slot of this run ({error}); it frees itself when its lease runs out."),
                         error=type(exc).__name__))
    alert_for_run(flow_name=flow.name, flow_run=flow_run, reason=ALERT_TEXT["crashed"], logger=logger)


def alert_crash(*, flow_name: str, flow_run: Any) -> None:
    """A planning run found dead by another process (flows/planning_slot.py): no hook ran for it."""
    from prefect.logging.loggers import flow_run_logger

    alert_for_run(flow_name=flow_name or "daily-plan", flow_run=flow_run, reason=ALERT_TEXT["crashed"],
                  logger=flow_run_logger(flow_run))


CRASH_ALERTS.append(alert_crash)
