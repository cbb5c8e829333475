"""A dispatcher starved past its lease (stopped, a frozen VM) sends nothing another dispatcher took over.

A live dispatcher that gets no CPU for longer than its claim's lease loses its messages to the next
dispatcher, which sends them. When it runs again, each part it is about to send is checked first:
its lease has not been renewed for over half its time, so the claim is renewed for that message,
which fails, and that chat's sending stops. The only copy is the part it had in flight when it was
stopped (sent, never put on record: the next dispatcher rightly sends it again).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from models.chat import ChatMessage
from models.db import session_scope
from models.outbox import SENDING, SENT, Notification
from notifiers import NOTIFIERS
from notifiers.base import Outbound, PartSent, Progress, Result
from notifiers.rate_limit import ChatLimits
from tests.notifiers.conftest import IGNORE_RETRY_AFTER_WARNING, FastTelegram, deliver
from tests.support.bot_api_standin import BotApiStandIn
from tests.support.outbox_chats import queue_chat
from yinhui.services.outbox import claims_in_flight

ROOT = Path(__file__).resolve().parents[2]
pytestmark = IGNORE_RETRY_AFTER_WARNING

SECOND = 0.02  # the channel keeps Telegram's limits on a shrunk clock: 1 per chat per 20 ms
LEASE = 2  # seconds: the stopped dispatcher's lease (the playbook allows 10 s at least; a test has no time)
READ_TIMEOUT = 60.0  # far above any answer of the stand-in: a timed-out request would be sent again
CHATS, PER_CHAT = 4, 2
LONG_LINES = 260  # about 5,600 characters: two parts


def run_dispatcher() -> None:
    """The dispatcher process to be stopped (started by the test): a lease of LEASE seconds, one chat at a time."""
    import flows.deliver as deliver_module
    from notifiers import NOTIFIERS
    from notifiers.telegram import TelegramNotifier

    playbook = deliver_module.current_playbook()
    short = playbook.model_copy(update={"outbox": playbook.outbox.model_copy(update={"claim_lease_seconds": LEASE})})
    pytest.MonkeyPatch().setattr(deliver_module, "current_playbook", lambda: short)
    NOTIFIERS["telegram"] = lambda: TelegramNotifier(  # type: ignore[assignment]
        limits=ChatLimits(second=SECOND), read_timeout=READ_TIMEOUT, connect_timeout=10.0, concurrency=1,
    )
    sys.stdin.readline()  # sends nothing before the test has armed its stop
    while deliver_module.deliver_batch(limit=12).get("claimed"):
        pass


def _stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] in ("T", "t")


class StoppingStandIn(BotApiStandIn):
    """The stand-in, able to SIGSTOP a dispatcher as it accepts the n-th message, before the answer leaves."""

    def __init__(self) -> None:
        super().__init__()
        self._victim: tuple[int, int] | None = None
        self.stopped = threading.Event()

    def stop_at(self, accepted: int, pid: int) -> None:
        with self._lock:
            self._victim = (accepted, pid)

    def _send_message(self, call: Any) -> Any:
        message = super()._send_message(call)
        victim = self._victim
        if victim is not None and len(self._sent) >= victim[0]:
            self._victim = None
            os.kill(victim[1], signal.SIGSTOP)
            deadline = time.monotonic() + 30
            while not _stopped(victim[1]) and time.monotonic() < deadline:  # stopped before it hears the answer
                time.sleep(0.005)
            self.stopped.set()
        return message


@pytest.fixture
def stopping_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[StoppingStandIn]:
    """The stopping stand-in, with the real channel (Telegram's limits on the shrunk clock) for this process."""
    from yinhui.settings import reset_settings

    with StoppingStandIn() as api:
        monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN", api.token)
        monkeypatch.setenv("YINHUI_TELEGRAM_API_URL", api.base_url)
        reset_settings()
        monkeypatch.setitem(NOTIFIERS, "telegram", lambda: FastTelegram(
            limits=ChatLimits(second=SECOND), read_timeout=READ_TIMEOUT, connect_timeout=10.0))
        yield api
    reset_settings()


def _queue_chat(c: int, lines: tuple[int, ...]) -> list[int]:
    return queue_chat(c, lines, prefix="starved")


def _start_dispatcher(log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from tests.services.test_outbox_starved import run_dispatcher; run_dispatcher()"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
        )


def _all_stale(deadline: float) -> None:
    while True:
        with session_scope(read_only=True) as s:
            claims = claims_in_flight(s)
        if claims and {c["status"] for c in claims} == {"stale"}:
            return
        assert time.monotonic() < deadline, claims
        time.sleep(0.05)


def test_a_dispatcher_stopped_past_its_lease_sends_nothing_the_next_one_took_over(database, stopping_api, tmp_path):
    api, log = stopping_api, tmp_path / "dispatcher.log"
    for c in range(CHATS):
        _queue_chat(c, (2,) * PER_CHAT)
    child = _start_dispatcher(log)
    try:
        api.stop_at(1, child.pid)  # as its first part is accepted: it is never told, so never put on record
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.close()
        assert api.stopped.wait(120), log.read_text(errors="replace")[-3000:]
        in_flight = api.sent[0]
        _all_stale(time.monotonic() + 60)  # its lease lapsed: the process lives, but is held by nobody now
        while deliver(limit=50).get("claimed"):  # the next dispatcher takes every message over and sends it
            pass
        arrived = len(api.sent)
        assert arrived == CHATS * PER_CHAT + 1  # every message, and the part in flight once more
        os.kill(child.pid, signal.SIGCONT)  # it runs again, its batch still in hand
        assert child.wait(timeout=120) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            os.kill(child.pid, signal.SIGCONT)
            child.wait()
    assert len(api.sent) == arrived  # ... and sent nothing more: every chat it had not started stays untouched
    with session_scope() as s:
        rows = list(s.execute(select(Notification)).scalars())
        on_record = {(chat, mid) for chat, mid in s.execute(select(ChatMessage.chat_id, ChatMessage.message_id))}
    assert len(rows) == CHATS * PER_CHAT and {(n.status, n.attempts) for n in rows} == {(SENT, 2)}
    assert len(on_record) == len(rows)  # one part each, on record once
    [(key, copies)] = api.duplicates().items()  # the only copy: the part in flight at the stop
    assert key == (in_flight.chat_id, in_flight.text)
    assert [(m.chat_id, m.message_id) in on_record for m in copies] == [False, True]
    assert "ClaimLost" in log.read_text(errors="replace")


# -- the check itself, in this process ------------------------------------------------------------


@pytest.fixture
def renewals(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Each claim renewal the dispatch makes (the message it names, None for the whole claim), made for real."""
    import flows.deliver as deliver_module

    calls: list[int | None] = []
    real = deliver_module.renew_claim

    def counted(session: Any, token: str, *, notification_id: int | None = None) -> int:
        calls.append(notification_id)
        return real(session, token, notification_id=notification_id)

    monkeypatch.setattr(deliver_module, "renew_claim", counted)
    return calls


def test_with_a_fresh_lease_the_check_costs_no_round_trip(database, stopping_api, renewals):
    api = stopping_api
    long, alert = _queue_chat(0, (LONG_LINES, 2))
    [other] = _queue_chat(1, (2,))
    assert deliver()["sent"] == 3
    assert len(api.sent) == 4 and api.duplicates() == {}
    # One renewal per part on record, as before the check: being asked is free while the lease is fresh.
    assert Counter(n for n in renewals if n is not None) == {long: 2, alert: 1, other: 1}


def test_past_half_the_lease_each_message_is_renewed_before_it_goes_and_one_taken_over_is_refused(
    database, stopping_api, renewals, monkeypatch
):
    from flows.deliver import ClaimLease

    api = stopping_api
    first, second = _queue_chat(0, (2, 2))
    [taken] = _queue_chat(1, (2,))
    moved = [0.0]
    monkeypatch.setattr(ClaimLease, "monotonic", staticmethod(lambda: time.monotonic() + moved[0]))

    class Starved(FastTelegram):
        # Once the first part is on record, the dispatcher "sleeps" 31 s (half the lease is 30 s), during
        # which another dispatcher takes over the message to the second chat.
        def notify_all(self, messages: Sequence[Outbound], progress: Progress | None = None) -> list[Result]:
            def watch(event: Any) -> None:
                assert progress is not None
                progress(event)
                if isinstance(event, PartSent) and event.notification_id == first:
                    moved[0] = 31.0
                    with session_scope() as s:
                        s.execute(update(Notification).where(Notification.id == taken)
                                  .values(claim_token="feedfacecafebeef.0ther000.4242.60"))

            return super().notify_all(messages, watch)

    monkeypatch.setitem(NOTIFIERS, "telegram",
                        lambda: Starved(limits=ChatLimits(second=SECOND), read_timeout=READ_TIMEOUT, concurrency=1))
    result = deliver()
    assert (result["sent"], result["lost-claim"]) == (2, 1)
    assert [m.chat_id for m in api.sent] == [5000, 5000]  # nothing reached the chat whose message was taken over
    # The second message was renewed before it went (still ours), the taken one asked and refused.
    assert [n for n in renewals if n is not None] == [first, second, second, taken]
    with session_scope() as s:
        row = s.get(Notification, taken)
        assert row is not None and (row.status, row.claim_token) == (SENDING, "feedfacecafebeef.0ther000.4242.60")
