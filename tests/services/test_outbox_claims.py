"""Outbox claims: each names its holder, lives while renewed, and is taken over at once when its process is gone.

Real dispatcher processes, killed in the middle of a batch, are in test_outbox_crashes.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pendulum
import pytest
from sqlalchemy import select, update

from models.chat import ChatMessage
from models.db import session_scope
from models.outbox import PENDING, SENDING, Notification
from tests import factories
from tests.notifiers.conftest import IGNORE_RETRY_AFTER_WARNING
from yinhui import clock
from yinhui.processes import process_alive, this_machine
from yinhui.services.outbox import (
    LEASE,
    Holder,
    claim,
    claims_in_flight,
    enqueue,
    renew_claim,
)

pytestmark = IGNORE_RETRY_AFTER_WARNING


def _queue(n: int, channel: str = "console") -> None:
    with session_scope() as s:
        for i in range(n):
            enqueue(s, dedupe_key=f"k{i}", recipient_id=None, channel=channel, kind="notice", body=f"m{i}")


def _at(seconds: float) -> Any:
    """The clock `seconds` after now (real time does not pass in these tests: only the lease matters)."""
    return clock.frozen_at(_T0.add(seconds=seconds))


_T0 = pendulum.datetime(2026, 10, 1, 9, tz="Asia/Shanghai")


def _dead_pid() -> int:
    """The pid of a process of this machine that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _hand_to(token: str) -> None:
    """Make every message in flight look held by `token` (a dispatcher other than this test)."""
    with session_scope() as s:
        s.execute(update(Notification).where(Notification.status == SENDING).values(claim_token=token))


def _statuses() -> dict[int, tuple[str, str | None, int]]:
    with session_scope() as s:
        return {n.id: (n.status, n.claim_token, n.attempts) for n in s.execute(select(Notification)).scalars()}


# -- who holds a claim ---------------------------------------------------------------------------


def test_a_claim_names_its_machine_its_process_and_its_lease(database):
    _queue(2)
    with _at(0), session_scope() as s:
        token, rows = claim(s, limit=5, lease=dt.timedelta(seconds=90))
    holder = Holder.parse(token)
    assert holder is not None and len(token) <= 40
    assert (holder.machine, holder.pid, holder.lease) == (this_machine(), os.getpid(), dt.timedelta(seconds=90))
    assert holder.here and not holder.gone()
    assert {r.claim_token for r in rows} == {token} and len(rows) == 2
    assert Holder.parse("0123456789abcdef0123456789abcdef") is None  # a token from before leases


def test_a_live_claim_is_kept_while_renewed_and_taken_over_when_its_lease_lapses(database):
    _queue(3)
    with _at(0), session_scope() as s:
        token, _ = claim(s, limit=3)
    holder_token = Holder("feedfacecafebeef", "0ther000", os.getpid(), LEASE).token  # held on another machine
    _hand_to(holder_token)
    with _at(LEASE.total_seconds() - 1), session_scope() as s:
        assert claim(s, limit=3)[1] == []  # alive as far as anyone can tell
    with _at(50), session_scope() as s:
        assert renew_claim(s, holder_token) == 3
    with _at(50 + LEASE.total_seconds() - 1), session_scope() as s:
        assert claim(s, limit=3)[1] == []  # renewed at 50 s: good until 110 s
    with _at(50 + LEASE.total_seconds() + 1), session_scope() as s:
        token2, rows = claim(s, limit=3)
    assert len(rows) == 3 and {r.attempts for r in rows} == {2}
    with session_scope() as s:  # the old holder, should it wake up, holds nothing any more
        assert renew_claim(s, holder_token) == 0
        assert renew_claim(s, token2, notification_id=rows[0].id) == 1


def test_the_claim_of_a_process_gone_from_this_machine_is_taken_over_at_once(database):
    _queue(2)
    with _at(0), session_scope() as s:
        token, _ = claim(s, limit=2)
    dead = Holder(Holder.parse(token).nonce, this_machine(), _dead_pid(), LEASE)  # type: ignore[union-attr]
    _hand_to(dead.token)
    assert dead.gone()
    with _at(1), session_scope() as s:  # one second later: no lease has lapsed
        _, rows = claim(s, limit=5)
    assert len(rows) == 2


def test_a_process_on_another_machine_is_only_judged_by_its_lease(database):
    _queue(1)
    with _at(0), session_scope() as s:
        claim(s, limit=1)
    elsewhere = Holder("feedfacecafebeef", "0ther000", _dead_pid(), LEASE)  # that pid means nothing here
    _hand_to(elsewhere.token)
    assert not elsewhere.gone()
    with _at(30), session_scope() as s:
        assert claim(s, limit=1)[1] == []
    with _at(61), session_scope() as s:
        assert len(claim(s, limit=1)[1]) == 1


def test_a_claim_from_before_leases_keeps_its_fifteen_minutes(database):
    _queue(1)
    with _at(0), session_scope() as s:
        claim(s, limit=1)
    _hand_to("0123456789abcdef0123456789abcdef")  # what a dispatcher of the last version writes
    with _at(14 * 60), session_scope() as s:
        assert claim(s, limit=1)[1] == []  # it never renews: taking it over early could send it twice
    with _at(15 * 60 + 1), session_scope() as s:
        assert len(claim(s, limit=1)[1]) == 1


def test_a_killed_process_not_yet_reaped_counts_as_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not process_alive(child.pid)  # a zombie until its parent waits: gone all the same
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid)
    assert process_alive(os.getpid())


def test_the_operator_sees_who_holds_what_and_which_claims_are_stale(database):
    with session_scope() as s:
        boss = factories.coordinator(s, "李局长", "leader")
        enqueue(s, dedupe_key="a", recipient_id=boss.id, channel="console", kind="alert", body="x")
    _queue(3)
    with _at(0), session_scope() as s:
        live, _ = claim(s, limit=2)  # this process: alive, lease fresh
    dead = Holder("0123456789abcdef", this_machine(), _dead_pid(), LEASE).token
    lapsed = Holder("fedcba9876543210", "0ther000", 4242, LEASE).token
    with _at(0), session_scope() as s:
        rows = list(s.execute(select(Notification).where(Notification.status == PENDING).order_by(Notification.id)).scalars())
        for row, token in zip(rows, (dead, lapsed), strict=True):
            row.status, row.claim_token, row.claimed_at = SENDING, token, clock.now().in_timezone("UTC")
        s.add(ChatMessage(notification_id=rows[0].id, part=0, chat_id=1, message_id=7))
    with _at(30), session_scope(read_only=True) as s:
        report = {r["id"]: r for r in claims_in_flight(s)}
    assert [r["status"] for r in report.values()] == ["sending", "sending", "stale", "sending"]
    first = next(iter(report.values()))
    assert first["recipient"] == "李局长" and first["holder"] == f"pid {os.getpid()} on this machine"
    assert first["reason"] == "lease renewed 30 s ago"
    gone = report[rows[0].id]
    assert gone["parts_sent"] == 1 and "is gone" in gone["reason"] and gone["holder"].endswith("on this machine")
    with _at(61), session_scope(read_only=True) as s:
        later = {r["id"]: r["status"] for r in claims_in_flight(s)}
    assert later[rows[1].id] == "stale" and report[rows[1].id]["holder"] == "pid 4242 on machine 0ther000"
    with _at(61), session_scope() as s:  # the next dispatcher takes over every stale one
        assert len(claim(s, limit=10)[1]) == 4
    assert live not in {t for _, t, _ in _statuses().values()}


def test_a_dispatcher_that_lost_its_claim_records_the_part_it_sent_and_sends_no_more(database):
    from flows.deliver import ClaimLost, _record_part
    from notifiers.base import PartSent

    _queue(1)
    with _at(0), session_scope() as s:
        mine, [row] = claim(s, limit=1)
    with _at(120), session_scope() as s:  # we stalled past the lease; another dispatcher took it over
        theirs, [_] = claim(s, limit=1)
    with _at(121), pytest.raises(ClaimLost):
        _record_part(mine, PartSent(row.id, 0, 1, 99))
    with session_scope() as s:
        assert s.execute(select(ChatMessage.message_id)).scalars().all() == [99]  # sent is sent: on record
        assert s.get(Notification, row.id).claim_token == theirs  # type: ignore[union-attr]


def test_the_lease_is_renewed_while_a_batch_is_out(database):
    from flows.deliver import ClaimLease

    _queue(2)
    with session_scope() as s:
        token, _ = claim(s, limit=2, lease=dt.timedelta(seconds=0.3))

    def renewed() -> set[Any]:
        with session_scope() as s:
            return set(s.execute(select(Notification.claimed_at)).scalars())

    before = renewed()
    with ClaimLease(token, dt.timedelta(seconds=0.3)):
        time.sleep(0.5)
    after = renewed()
    assert len(after) == 1 and min(after) > max(before)


def test_a_batch_that_reports_nothing_for_too_long_is_no_longer_renewed(database, monkeypatch):
    from flows.deliver import ClaimLease

    _queue(1)
    with session_scope() as s:
        token, _ = claim(s, limit=1, lease=dt.timedelta(seconds=0.3))

    def renewed() -> Any:
        with session_scope() as s:
            return s.execute(select(Notification.claimed_at)).scalar_one()

    monkeypatch.setattr(ClaimLease, "STALLED", 1.0)
    with ClaimLease(token, dt.timedelta(seconds=0.3)) as keeper:
        time.sleep(0.3)
        keeper.touch()  # a part went out: still moving
        time.sleep(0.3)
        moving = renewed()
        time.sleep(1.9)  # then nothing: the holder is alive but stuck (renewed until 1 s after the part)
        stuck = renewed()
        time.sleep(0.5)
        assert renewed() == stuck  # left to lapse: the next dispatcher takes the message over
    assert stuck > moving
