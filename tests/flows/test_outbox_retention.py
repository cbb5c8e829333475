"""The outbox retention flow: delivered messages lose their text after the playbook's days, and nothing else changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.outbox import DEAD, FAILED, PENDING, SENT, Notification
from models.types import table_of
from tests.notifiers.conftest import PHONES, build_county, deliver, plan_day
from yinhui import clock
from yinhui.services.delivery import undelivered_report
from yinhui.services.outbox import claim, enqueue, mark_failed

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat
OCT_1, OCT_20, NOV_5 = D("2026-10-01"), D("2026-10-20"), D("2026-11-05")
PHONE = "13988887777"


def _snapshot() -> dict[str, dict[str, Any]]:
    """Every column of every outbox row, by dedupe key."""
    columns = [c.name for c in table_of(Notification).columns]
    with session_scope() as s:
        return {n.dedupe_key: {c: getattr(n, c) for c in columns} for n in s.execute(select(Notification)).scalars()}


def _mentions(row: dict[str, Any], *needles: str) -> list[str]:
    return [name for name, value in row.items() if value is not None and any(n in str(value) for n in needles)]


def _outbox_of_october() -> None:
    """Digests sent on Oct 1 and Oct 20, an alert given up on Oct 1, one retrying and one never sent."""
    with clock.frozen_at(OCT_1):
        build_county(bound=False)  # everyone on the console channel
        assert plan_day(OCT_1) == 3
        with session_scope() as s:
            payload = {"render": "none", "who": "张老", "phone": PHONE}
            enqueue(s, dedupe_key="alert:fax", recipient_id=None, channel="fax", kind="alert",
                    subject=f"张老 {PHONE}", body=f"请致电 {PHONE}", payload=payload)
        assert deliver()["sent"] == 3  # and the fax one is refused: no such channel, given up
        with session_scope() as s:
            enqueue(s, dedupe_key="alert:retrying", recipient_id=None, channel="console", kind="alert",
                    body=f"请致电 {PHONE}", payload={"phone": PHONE})
            token, [row] = claim(s, limit=1)
            assert mark_failed(s, row.id, token, error="timed out", permanent=False,
                               retry_in=dt.timedelta(days=90)) == FAILED
            enqueue(s, dedupe_key="alert:waiting", recipient_id=None, channel="nowhere-yet", kind="alert",
                    body=f"请致电 {PHONE}", payload={"phone": PHONE})
    with clock.frozen_at(OCT_20):
        assert plan_day(OCT_20) == 3
        assert deliver(channels=["console"])["sent"] == 3


def test_delivered_messages_lose_their_text_after_the_retention_period_and_keep_the_rest(database, prefect_harness):
    from flows.outbox_retention import outbox_retention

    _outbox_of_october()
    before = _snapshot()
    old = [k for k in before if k.startswith("digest:2026-10-01:")] + ["alert:fax"]
    assert before["alert:fax"]["status"] == DEAD and before["alert:waiting"]["status"] == PENDING
    # Phones and names are in the text and payload to begin with.
    assert all(_mentions(before[k], *PHONES, PHONE) and _mentions(before[k], "老") for k in old)

    with clock.frozen_at(NOV_5):  # 35 days after Oct 1, 16 after Oct 20
        assert outbox_retention() == {"cleared": 4, "retention_days": 30}
    after = _snapshot()
    for key in old:  # no phone, no name left anywhere in the row
        assert _mentions(after[key], *PHONES, PHONE, "老") == [], key
        assert (after[key]["payload"], after[key]["body"], after[key]["subject"]) == (None, "", "")
        kept = {c: v for c, v in before[key].items() if c not in ("payload", "body", "subject")}
        assert {c: after[key][c] for c in kept} == kept  # who, when, kind, status, key, reason ...
    for key in set(before) - set(old):  # newer, still retrying, never sent: untouched
        assert after[key] == before[key], key

    with clock.frozen_at(NOV_5):  # again: nothing left to do
        assert outbox_retention()["cleared"] == 0
    assert _snapshot() == after

    with clock.frozen_at(OCT_1):  # the day re-run queues no second digest for anybody
        assert plan_day(OCT_1) == 0
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Notification)).scalar_one() == len(before)
        report = undelivered_report(s)  # the given-up one still counts, with its reason
    assert [(r["key"], r["status"], r["reason"]) for r in report if r["status"] == DEAD] == [
        ("alert:fax", DEAD, "no channel of kind 'fax' is installed")
    ]


def test_a_shorter_period_can_be_asked_for_one_run(database, prefect_harness):
    from flows.outbox_retention import outbox_retention

    _outbox_of_october()
    with clock.frozen_at(NOV_5):
        assert outbox_retention(retention_days=10)["cleared"] == 7  # Oct 20's digests too
        with pytest.raises(ValueError):
            outbox_retention.fn(retention_days=0)
    rows = _snapshot()
    assert {k for k, r in rows.items() if r["body"] == ""} == {
        k for k, r in rows.items() if r["status"] in (SENT, DEAD)
    }
