"""The planning slot (规划锁): one planning run at a time, who holds it, and recovery when its holder dies.

The slot is one lease on Prefect's global concurrency limit `yinhui-planning`. Prefect renews a
lease while its process lives and frees it LEASE_SECONDS after the last renewal (the server's
repossessor), so a killed holder cannot keep the slot for long. Beside the lease, the holder keeps
a record (flows/slot_holder.py: which run, since when, which lease, which process on which
machine), written once it has the slot and deleted before it lets go. With it a waiting run says
whom it waits for, and sees a dead holder at once: the holder's run has ended (the serving
process marked its killed child Crashed) or its process is gone from this machine. It then frees
the lease, marks what the dead run left Running as Crashed and alerts the leaders (once: the
outbox keys an alert by run). A record left by a holder on another machine is found stale by
whoever takes the slot after that lease ran out, and handled the same way.

The record is written or deleted only while the slot is held (by its holder, or by the dead
holder's lease that is being freed), so two processes never race on it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from uuid import UUID

from flows.slot_holder import (  # noqa: I001
    Holder,
    PlanningSlotTimeout,
    delete_holder,
    read_holder,
    this_process,
    write_holder,
)
from flows.texts import bilingual
from yinhui import clock
from yinhui.i18n import N_, text
from yinhui.processes import process_started, this_machine
from yinhui.settings import get_settings

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

PLANNING_LIMIT = "yinhui-planning"
PLANNING_WAIT_SECONDS = 3600.0  # a planning run that waits longer than this fails (and alerts)
LEASE_SECONDS = 60.0  # the least the server takes; Prefect renews at 3/4 of it, a holder silent this long loses the slot
POLL_SECONDS = 2.0  # how often a waiting run asks again

# Run log lines, in the bureau's language (yinhui/locale/zh_CN holds the Chinese).
SLOT_TEXT = {
    "waiting": N_("Waiting for the planning slot: planning run {run} has held it since {since} (on {host}); "
                  "this run starts when that one ends."),
    "waiting_unknown": N_("Waiting for the planning slot: another planning run holds it."),
    "waited": N_("Got the planning slot after waiting {seconds} s."),
    "recovered": N_("Planning run {run} stopped without finishing ({why}): it is marked Crashed, its planning "
                    "slot is freed and the leaders are alerted."),
    "why_process": N_("its process is gone"),
    "why_state": N_("its run ended as {state} without letting go of the slot"),
    "why_lease": N_("it stopped renewing its slot"),
    "timeout": N_("Gave up waiting for the planning slot after {seconds} s."),
}
CRASH_MESSAGE = N_("The process running this planning run stopped without finishing (killed or cut off).")


def _current_run_id() -> str:
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return str(context.flow_run.id) if context and context.flow_run else ""


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("yinhui.planning")


def _say(key: str, **values: object) -> str:
    return text(get_settings().language, SLOT_TEXT[key], **values)


# -- a dead holder ----------------------------------------------------------------------------------


def holder_gone(client: SyncPrefectClient, holder: Holder) -> str | None:
    """Why `holder` can no longer be using the slot (in the bureau's language), or None if it may be."""
    from prefect.exceptions import ObjectNotFound

    if holder.flow_run_id:
        try:
            state = client.read_flow_run(UUID(holder.flow_run_id)).state
        except ObjectNotFound:  # a server that forgot the run (a fresh database)
            return _say("why_state", state="?")
        if state is not None and state.is_final():
            return _say("why_state", state=state.name)
    if holder.machine == this_machine() and process_started(holder.pid) != holder.pid_started:
        return _say("why_process")
    return None


def crash_leftovers(client: SyncPrefectClient, flow_run_id: UUID, message: str) -> bool:
    """Mark a dead run, and its subflow and task runs still Pending or Running, Crashed; True if the run was not over."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    run = client.read_flow_run(flow_run_id)
    changed = run.state is None or not run.state.is_final()
    if changed:
        client.set_flow_run_state(flow_run_id, Crashed(message=message), force=True)
    live = TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING]))
    for task_run in client.read_task_runs(
        task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id]), state=live)
    ):
        client.set_task_run_state(task_run.id, Crashed(message=message), force=True)
    for child in client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id]))
    ):
        crash_leftovers(client, child.id, message)
    return changed


# What tells the leaders of a dead holder's run: flows.alerts registers its alert here when it is
# imported (it sits above this module, which must not import it back).
CRASH_ALERTS: list[Callable[..., None]] = []


def recover(client: SyncPrefectClient, holder: Holder, why: str) -> None:
    """Free a dead holder's slot, mark what it left Running Crashed, alert the leaders (once per run)."""
    from prefect.exceptions import PrefectHTTPStatusError

    logger = _logger()
    logger.debug("planning slot: holder %s (flow run %s, lease %s, pid %s on %s) is gone: %s",
                 holder.label(), holder.flow_run_id or "-", holder.lease_id, holder.pid, holder.host, why)
    # The record goes first, while the dead lease still keeps everyone else out: nobody can have
    # taken the slot and written a record of their own in between.
    current = read_holder(client)
    if current is not None and current.lease_id == holder.lease_id:
        delete_holder(client)
    with contextlib.suppress(PrefectHTTPStatusError):  # already released or revoked
        client.release_concurrency_slots_with_lease(UUID(holder.lease_id))
    if holder.flow_run_id:
        run_id = UUID(holder.flow_run_id)
        crash_leftovers(client, run_id, bilingual(CRASH_MESSAGE))
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_crashed():
            for alert in CRASH_ALERTS:
                alert(flow_name=holder.flow_name, flow_run=run)
    logger.warning(_say("recovered", run=holder.label(), why=why))


def release_if_held_by(flow_run_id: UUID) -> bool:
    """For a run Prefect found crashed: free the slot it still holds (and tidy its leftovers); True if it held it."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        holder = read_holder(client)
        if holder is None or holder.flow_run_id != str(flow_run_id):
            return False
        recover(client, holder, _say("why_state", state="Crashed"))
    return True


# -- taking the slot --------------------------------------------------------------------------------


def ensure_concurrency_limit(name: str = PLANNING_LIMIT, limit: int = 1) -> None:
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


def _try_acquire(client: SyncPrefectClient, flow_run_id: str) -> UUID | None:
    """The lease on the slot, or None while someone else holds it."""
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.exceptions import PrefectHTTPStatusError

    holder = ConcurrencyLeaseHolder(type="flow_run", id=UUID(flow_run_id)) if flow_run_id else None
    try:
        response = client.increment_concurrency_slots_with_lease(
            names=[PLANNING_LIMIT], slots=1, mode="concurrency", lease_duration=LEASE_SECONDS, holder=holder
        )
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code == 423:  # locked: the slot is taken
            return None
        raise
    data = response.json()
    if not data.get("limits"):
        raise RuntimeError(f"the global concurrency limit {PLANNING_LIMIT!r} is missing on the Prefect server")
    return UUID(data["lease_id"])


def _wait_for_slot(client: SyncPrefectClient, flow_run_id: str) -> UUID:
    logger = _logger()
    started = time.monotonic()
    told: str | None = None
    recovered: set[str] = set()
    while True:
        lease_id = _try_acquire(client, flow_run_id)
        if lease_id is not None:
            waited = time.monotonic() - started
            if told is not None:
                logger.info(_say("waited", seconds=f"{waited:.0f}"))
            return lease_id
        holder = read_holder(client)
        if holder is not None and holder.lease_id not in recovered:
            why = holder_gone(client, holder)
            if why is not None:
                recover(client, holder, why)
                recovered.add(holder.lease_id)
                continue
        if holder is None or holder.lease_id in recovered:
            key, message = "", _say("waiting_unknown")
        else:
            key = holder.lease_id
            message = _say("waiting", run=holder.label(), since=_local(holder.since), host=holder.host or "?")
        if key != told:
            logger.info(message)
            if holder is not None:
                logger.debug("planning slot %r held by flow run %s (%s of flow %s), lease %s, pid %s on %s, since %s",
                             PLANNING_LIMIT, holder.flow_run_id or "-", holder.run_name or "-",
                             holder.flow_name or "-", holder.lease_id, holder.pid, holder.host, holder.since)
            told = key
        if time.monotonic() - started > PLANNING_WAIT_SECONDS:
            logger.error(_say("timeout", seconds=f"{PLANNING_WAIT_SECONDS:.0f}"))
            raise PlanningSlotTimeout(f"gave up waiting {PLANNING_WAIT_SECONDS:.0f} s for the planning slot "
                                      f"({PLANNING_LIMIT!r}); see the run log for who held it")
        time.sleep(POLL_SECONDS)


def _local(moment: str) -> str:
    """`2026-11-29 06:30:05` in the bureau's zone, from the record's ISO time."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(moment).astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return moment or "?"


def _take_over(client: SyncPrefectClient, mine: Holder) -> None:
    """Now that this run holds the slot: a record still there is a holder that lost it without letting go."""
    stale = read_holder(client)
    if stale is not None and stale.lease_id != mine.lease_id:
        recover(client, stale, holder_gone(client, stale) or _say("why_lease"))
    write_holder(client, mine)


@contextlib.contextmanager
def planning_slot() -> Iterator[Holder]:
    """Hold the planning slot for the block: wait (saying for whom), take over from a dead holder, let go after."""
    from prefect.client.orchestration import get_client
    from prefect.concurrency._leases import maintain_concurrency_lease
    from prefect.exceptions import PrefectHTTPStatusError

    ensure_concurrency_limit(PLANNING_LIMIT)
    flow_run_id = _current_run_id()
    with get_client(sync_client=True) as client:
        lease_id = _wait_for_slot(client, flow_run_id)
    mine = this_process(str(lease_id))
    try:
        # Prefect's own renewal (what `concurrency()` uses): if the slot cannot be renewed, the run
        # is stopped rather than left running beside another planning run.
        with maintain_concurrency_lease(lease_id, LEASE_SECONDS, raise_on_lease_renewal_failure=True):
            with get_client(sync_client=True) as client:
                _take_over(client, mine)
            yield mine
    finally:
        with get_client(sync_client=True) as client:
            try:
                current = read_holder(client)
                if current is not None and current.lease_id == mine.lease_id:
                    delete_holder(client)
            finally:
                with contextlib.suppress(PrefectHTTPStatusError):
                    client.release_concurrency_slots_with_lease(lease_id)


# -- a watchdog for long-lived processes (`yinhui serve`) -------------------------------------------


def reap_dead_holder() -> bool:
    """Recover the slot's holder if it is gone, without waiting for the next planning run; True if it was."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        holder = read_holder(client)
        if holder is None:
            return False
        why = holder_gone(client, holder)
        if why is not None:
            recover(client, holder, why)
            return True
        lease_id = _try_acquire(client, "")  # a record with nobody holding the slot is stale
        if lease_id is None:
            return False
        try:
            stale = read_holder(client)
            if stale is None or stale.lease_id != holder.lease_id:
                return False
            recover(client, stale, _say("why_lease"))
            return True
        finally:
            client.release_concurrency_slots_with_lease(lease_id)


def watch_planning_slot(stop: threading.Event, every: float = 10.0) -> threading.Thread:
    """Check for a dead holder every `every` seconds until `stop` is set (a daemon thread)."""
    log = logging.getLogger("yinhui.planning")

    def loop() -> None:
        while not stop.wait(every):
            try:
                reap_dead_holder()
            except Exception as exc:  # the server may be restarting: try again next time
                log.debug("planning slot check failed: %r", exc)

    thread = threading.Thread(target=loop, name="yinhui-planning-slot-watch", daemon=True)
    thread.start()
    return thread
