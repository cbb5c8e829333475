"""Killed dispatchers: real processes, SIGKILLed in the middle of a Telegram batch, are taken over at once.

Each test runs dispatcher processes against the Bot API stand-in, which kills one when it accepts
a chosen message (or a moment later), then lets the next dispatcher finish. Every part arrives,
and no lease (an hour here) has to lapse. The only extra copies are the parts a dispatcher had sent
and not yet put on record when it was killed: a part is resent only while it is not on record, so
each kill adds at most one copy per chat it was sending to, and a part resent by a dispatcher that
is killed in turn arrives a third time (`test_a_part_resent_by_a_dispatcher_killed_in_turn_...`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.chat import ChatMessage
from models.db import session_scope
from models.outbox import SENT, Notification
from tests.notifiers.conftest import IGNORE_RETRY_AFTER_WARNING
from tests.support.bot_api_standin import BotApiStandIn
from tests.support.outbox_chats import queue_chat
from yinhui.services.outbox import claims_in_flight

ROOT = Path(__file__).resolve().parents[2]
pytestmark = IGNORE_RETRY_AFTER_WARNING

SECOND = 0.02  # the channel keeps Telegram's limits on a shrunk clock: 1 per chat per 20 ms
CHATS = 10
LONG_LINES = 260  # about 5,600 characters: two parts
# Far above any answer of the stand-in, however busy the machine: a request timed out is sent again
# (Telegram has no idempotency key), a copy no kill made, which these tests would count against one.
READ_TIMEOUT = 60.0


def run_dispatcher() -> None:
    """A dispatcher process for the crash tests (started by them): deliver until nothing is left."""
    from flows.deliver import deliver_batch
    from notifiers import NOTIFIERS
    from notifiers.rate_limit import ChatLimits
    from notifiers.telegram import TelegramNotifier

    concurrency = int(os.environ["CRASH_TEST_CONCURRENCY"])
    NOTIFIERS["telegram"] = lambda: TelegramNotifier(  # type: ignore[assignment]
        limits=ChatLimits(second=SECOND), read_timeout=READ_TIMEOUT, connect_timeout=10.0, backoff=(0.05, 0.1),
        concurrency=concurrency,
    )
    sys.stdin.readline()  # sends nothing before the test has armed its kill
    while deliver_batch(limit=12).get("claimed"):
        pass


class KillingStandIn(BotApiStandIn):
    """The stand-in, able to SIGKILL a dispatcher when it accepts the n-th message (or a moment after)."""

    def __init__(self) -> None:
        super().__init__()
        self._victim: tuple[int, int, float] | None = None
        self.kills: list[int] = []  # how many messages were accepted when each kill was sent

    def kill_at(self, accepted: int, pid: int, delay: float) -> None:
        with self._lock:
            self._victim = (accepted, pid, delay)

    def _send_message(self, call: Any) -> Any:
        message = super()._send_message(call)
        victim = self._victim
        if victim is not None and len(self._sent) >= victim[0]:
            self._victim = None
            _, pid, delay = victim
            if delay <= 0:  # before the answer leaves: sent, and the dispatcher never hears of it
                self._kill(pid)
            else:
                threading.Timer(delay, self._kill, (pid,)).start()
        return message

    def _kill(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        with self._lock:
            self.kills.append(len(self._sent))


@pytest.fixture
def crash_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[KillingStandIn]:
    """The killing stand-in; a playbook whose lease is an hour, so nothing may wait for one to lapse."""
    from notifiers import NOTIFIERS
    from notifiers.rate_limit import ChatLimits
    from tests.notifiers.conftest import FastTelegram
    from yinhui.playbook_loader import DEFAULT_PLAYBOOK
    from yinhui.settings import reset_settings

    playbook = tmp_path / "playbook.toml"
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8")
    assert "claim_lease_seconds = 60" in text
    playbook.write_text(text.replace("claim_lease_seconds = 60", "claim_lease_seconds = 3600"), encoding="utf-8")
    with KillingStandIn() as api:
        monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN", api.token)
        monkeypatch.setenv("YINHUI_TELEGRAM_API_URL", api.base_url)
        monkeypatch.setenv("YINHUI_PLAYBOOK", str(playbook))
        reset_settings()
        monkeypatch.setitem(NOTIFIERS, "telegram", lambda: FastTelegram(
            limits=ChatLimits(second=SECOND), read_timeout=READ_TIMEOUT, connect_timeout=10.0))
        yield api
    reset_settings()


def _start_dispatcher(log: Path, concurrency: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CRASH_TEST_CONCURRENCY": str(concurrency), "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from tests.services.test_outbox_crashes import run_dispatcher; run_dispatcher()"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
        )


def _left() -> int:
    with session_scope() as s:
        return len(s.execute(select(Notification.id).where(Notification.status != SENT)).all())


def _run_killed(api: KillingStandIn, log: Path, concurrency: int, kill_after: int, delay: float) -> bool:
    """One dispatcher, killed when the stand-in has accepted `kill_after` more messages; True if it was."""
    child = _start_dispatcher(log, concurrency)
    api.kill_at(len(api.sent) + kill_after, child.pid, delay)
    assert child.stdin is not None
    child.stdin.write(b"go\n")  # armed: now it may send
    child.stdin.close()
    code = child.wait(timeout=180)
    assert code in (0, -signal.SIGKILL), log.read_text(errors="replace")[-3000:]
    with session_scope(read_only=True) as s:  # what the killed one held shows as stale, to be taken over
        assert {r["status"] for r in claims_in_flight(s)} <= {"stale"}
    return code == -signal.SIGKILL


def _finish_and_check(api: KillingStandIn, messages: int, kills: int, concurrency: int) -> dict[tuple[int, str], int]:
    """Deliver what is left here, then check every part; returns how often each part arrived."""
    from tests.notifiers.conftest import deliver

    started = time.monotonic()
    while deliver(limit=50).get("claimed"):
        pass
    assert time.monotonic() - started < 120  # taken over at once: no lease (an hour here) had to lapse

    with session_scope() as s:
        rows = list(s.execute(select(Notification)).scalars())
        parts = s.execute(select(ChatMessage.notification_id, ChatMessage.part, ChatMessage.chat_id,
                                 ChatMessage.message_id)).all()
    assert len(rows) == messages and {n.status for n in rows} == {SENT}  # none left "sending"
    on_record = {(chat, mid) for _, _, chat, mid in parts}
    by_message: dict[int, dict[int, int]] = {}
    for nid, part, _, mid in parts:
        by_message.setdefault(nid, {})[part] = mid
    for n in rows:  # every part of every message on record once, in order, and named by the message
        numbers = sorted(by_message[n.id])
        assert numbers == list(range(len(numbers)))
        assert len(numbers) > 1 if n.body.count("\n") > 100 else len(numbers) == 1
        assert n.external_id is not None and n.external_id.endswith(",".join(str(by_message[n.id][p]) for p in numbers))
    sent = api.sent
    assert len({(m.chat_id, m.text) for m in sent}) == len(parts)  # every part arrived
    for copies in api.duplicates().values():  # sent again only while not on record: the last copy is
        assert [(m.chat_id, m.message_id) in on_record for m in copies] == [False] * (len(copies) - 1) + [True]
    # A copy not on record is what a dispatcher had sent when it was killed: it waits for each part
    # to be on record before the next goes to that chat, so one per kill and chat, one per kill and worker.
    unrecorded = Counter(m.chat_id for m in sent if (m.chat_id, m.message_id) not in on_record)
    assert max(unrecorded.values(), default=0) <= kills, (api.kills, unrecorded)
    assert sum(unrecorded.values()) <= kills * concurrency, (api.kills, unrecorded)
    return Counter((m.chat_id, m.text) for m in sent)


@pytest.mark.parametrize(
    ("when", "concurrency", "seed"),
    [("as a part is accepted", 1, 10), ("at any moment", 4, 23)],
)
def test_a_killed_dispatcher_is_taken_over_at_once_and_every_part_arrives(database, crash_api, tmp_path, when,
                                                                           concurrency, seed):
    seed = int(os.environ.get("CRASH_TEST_SEED", seed))  # another seed, other kill points
    api, rng, log = crash_api, random.Random(seed), tmp_path / "dispatchers.log"
    messages = sum(len(queue_chat(c, (2, LONG_LINES, 2))) for c in range(CHATS))  # per chat: alert, long one, alert
    kills = 0
    for _ in range(3):
        if not _left():
            break
        delay = 0.0 if when == "as a part is accepted" else rng.uniform(0.0, 0.15)
        kills += _run_killed(api, log, concurrency, rng.randint(1, 8), delay)
    assert kills >= 2, f"seed {seed}: the dispatchers finished before they could be killed"
    _finish_and_check(api, messages, kills, concurrency)


def test_a_part_resent_by_a_dispatcher_killed_in_turn_arrives_once_more_and_no_more(database, crash_api, tmp_path):
    """The interleaving a busy machine makes likely, step by step: two kills, one part, three copies.

    The first dispatcher is killed as its second part (the long message's last) is accepted, so that
    part is not on record; the next resumes with it and is killed as it is accepted again; the third
    puts it on record and sends the alert. Each kill cost one copy: the part arrived three times.
    """
    api, log = crash_api, tmp_path / "dispatchers.log"
    messages = len(queue_chat(0, (LONG_LINES, 2)))
    assert _run_killed(api, log, 1, 2, 0.0)
    assert _run_killed(api, log, 1, 1, 0.0)
    arrived = _finish_and_check(api, messages, kills=2, concurrency=1)
    assert sorted(arrived.values()) == [1, 1, 3]  # the long message's two parts and the alert
    assert [text for (_, text), times in arrived.items() if times == 3] == [api.sent[1].text]
