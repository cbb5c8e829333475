"""Who holds the planning slot: the record in the Prefect variable `yinhui-planning-holder`, and whether its process lives.

The record names the run, when it took the slot, its lease, and its process: the pid together
with the machine it means something on (boot id and pid namespace) and the process's start time,
so that a pid used again by another process is not taken for the holder. It is written and
deleted only while the slot is held (flows/planning_slot.py), so two processes never race on it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from yinhui import clock
from yinhui.processes import process_started, this_machine


class PlanningSlotTimeout(TimeoutError):
    """Waited PLANNING_WAIT_SECONDS for the slot (the run fails, and the leaders hear of it)."""

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

HOLDER_VARIABLE = "yinhui-planning-holder"


@dataclass(frozen=True)
class Holder:
    """The record of who holds the slot (the value of the Prefect variable `yinhui-planning-holder`)."""

    lease_id: str
    flow_run_id: str = ""
    run_name: str = ""
    flow_name: str = ""
    since: str = ""  # when it got the slot, ISO 8601 in the bureau's zone
    host: str = ""  # for people to read
    machine: str = ""  # yinhui.processes.this_machine(): where `pid` means this process
    pid: int = 0
    pid_started: str = ""  # the process's start (clock ticks after boot): a reused pid is another process

    @classmethod
    def from_value(cls, value: Any) -> Holder | None:
        if not isinstance(value, dict) or not value.get("lease_id"):
            return None
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            UUID(str(value["lease_id"]))
            return cls(**{k: v for k, v in value.items() if k in names})
        except (TypeError, ValueError):  # not a record of ours: nobody to wait for or to recover
            return None

    def label(self) -> str:
        return self.run_name or self.flow_run_id or f"pid {self.pid}"


def this_process(lease_id: str) -> Holder:
    """The record this process writes once it has the slot."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context else None
    return Holder(
        lease_id=lease_id,
        flow_run_id=str(run.id) if run else "",
        run_name=run.name if run else "",
        flow_name=context.flow.name if context and context.flow else "",
        since=clock.now().isoformat(timespec="seconds"),
        host=socket.gethostname(),
        machine=this_machine(),
        pid=os.getpid(),
        pid_started=process_started(os.getpid()),
    )


# -- the record -------------------------------------------------------------------------------------


def read_holder(client: SyncPrefectClient) -> Holder | None:
    variable = client.read_variable_by_name(HOLDER_VARIABLE)
    return Holder.from_value(variable.value) if variable is not None else None


def write_holder(client: SyncPrefectClient, holder: Holder) -> None:
    from prefect.client.schemas.actions import VariableCreate, VariableUpdate
    from prefect.exceptions import ObjectAlreadyExists

    value = dataclasses.asdict(holder)
    if client.read_variable_by_name(HOLDER_VARIABLE) is not None:
        client.update_variable(VariableUpdate(name=HOLDER_VARIABLE, value=value))
        return
    try:
        client.create_variable(VariableCreate(name=HOLDER_VARIABLE, value=value, tags=["yinhui"]))
    except ObjectAlreadyExists:
        client.update_variable(VariableUpdate(name=HOLDER_VARIABLE, value=value))


def delete_holder(client: SyncPrefectClient) -> None:
    from prefect.exceptions import ObjectNotFound

    with contextlib.suppress(ObjectNotFound):
        client.delete_variable_by_name(HOLDER_VARIABLE)
