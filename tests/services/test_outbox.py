"""The outbox: claims are atomic, a message is sent once, failures stay visible with their reason."""

from __future__ import annotations

import threading

from sqlalchemy import select

from models.db import session_scope
from models.outbox import DEAD, FAILED, SENT, Notification
from yinhui.services.outbox import claim, enqueue, mark_failed, mark_sent, undelivered


def _queue(n: int) -> None:
    with session_scope() as s:
        for i in range(n):
            assert enqueue(s, dedupe_key=f"k{i}", recipient_id=None, channel="console", kind="notice", body=f"m{i}")
        assert not enqueue(s, dedupe_key="k0", recipient_id=None, channel="console", kind="notice", body="again")


def test_overlapping_claims_never_share_a_message(database):
    _queue(60)
    taken: list[list[int]] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        mine: list[int] = []
        while True:
            with session_scope() as s:
                _, rows = claim(s, limit=7)
            if not rows:
                break
            mine.extend(r.id for r in rows)  # type: ignore[misc]
        taken.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    everything = [i for mine in taken for i in mine]
    assert len(everything) == 60
    assert len(set(everything)) == 60


def test_a_failed_message_is_retried_later_and_a_permanent_one_stays_dead(database):
    _queue(2)
    with session_scope() as s:
        token, rows = claim(s, limit=10)
    first, second = rows
    with session_scope() as s:
        assert mark_failed(s, first.id, token, error="timed out", permanent=False) == FAILED
        assert mark_failed(s, second.id, token, error="bot was blocked", permanent=True) == DEAD
    with session_scope() as s:
        # The retry is not due yet (backoff), and the dead one never comes back.
        assert claim(s, limit=10)[1] == []
        assert [(n.status, n.last_error) for n in undelivered(s)] == [(FAILED, "timed out"), (DEAD, "bot was blocked")]


def test_only_the_claim_holder_can_mark_a_message_sent(database):
    _queue(1)
    with session_scope() as s:
        token, [row] = claim(s, limit=1)
    with session_scope() as s:
        assert not mark_sent(s, row.id, "someone-else", external_id="x")
        assert mark_sent(s, row.id, token, external_id="tg:42")
        assert not mark_sent(s, row.id, token, external_id="tg:43")  # already sent: no second send
    with session_scope() as s:
        stored = s.execute(select(Notification)).scalar_one()
        assert (stored.status, stored.external_id, stored.attempts) == (SENT, "tg:42", 1)
