"""Message delivery frees the planning slot of a killed planning run within minutes, on every deployment path.

Under `yinhui serve` a watch thread does it; on the work-pool path nobody watched the slot until
the next planning run, a day later. Every delivery run (the sweep: half-hourly by day, hourly at
night) looks too.
"""

from __future__ import annotations

import pytest

from flows import planning_slot as slot
from flows.dispatch_outbox import dispatch_outbox
from tests.flows.test_planning_slot import (  # noqa: F401  (clean_slot: a fixture)
    _alerts,
    _client,
    _held_by_a_killed_process,
    _hold,
    _leaders,
    _running_planning_run,
    _state,
    clean_slot,
)

pytestmark = pytest.mark.prefect


def test_a_delivery_run_frees_the_slot_of_a_killed_planning_run(database, clean_slot):  # noqa: F811
    leaders = _leaders()
    with _client() as client:
        run, step, _ = _running_planning_run(client)
        _held_by_a_killed_process(client, clean_slot, run)
        dispatch_outbox()  # nothing to send: it only looks at the slot
        assert _state(client, run.id) == "CRASHED" and _state(client, step.id, "task") == "CRASHED"
        assert slot.read_holder(client) is None
        lease_id = slot._try_acquire(client, "")  # free for the next planning run at once
        assert lease_id is not None
        clean_slot.append(lease_id)
    # The leaders' alert is queued (and this very run, or the next, delivers it).
    assert len(_alerts(run.id)) == leaders


def test_a_delivery_run_leaves_a_live_planning_run_alone(database, clean_slot):  # noqa: F811
    _leaders()
    with _client() as client:
        run, _, _ = _running_planning_run(client)
        me = slot.this_process("-")
        _hold(client, clean_slot, slot.Holder(**{**me.__dict__, "flow_run_id": str(run.id), "run_name": run.name}))
        dispatch_outbox()
        assert _state(client, run.id) == "RUNNING"
        assert slot.read_holder(client).flow_run_id == str(run.id)
        assert slot._try_acquire(client, "") is None
    assert _alerts(run.id) == []
