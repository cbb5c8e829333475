"""A bounded stop for `yinhui serve`: gone within seconds of Ctrl-C or SIGTERM, whatever else runs on the machine.

Stopping serve takes several steps, each waiting on something else: Prefect's runner cancels the
runs in flight (it gives each process up to 30 s to exit) and pauses the schedules through the
API; the logs and events still queued are sent; the local Prefect server is stopped; at exit
Prefect drains its queues once more, without any time limit. On a busy machine (a Prefect
server slow to answer, another one sharing the machine) one of these can hang for minutes,
while a service manager allows some 10 s before it kills.

So the first stop request starts a deadline (`STOP_WITHIN`): the steps run as usual, and if the
process is still alive when it runs out, the last words registered here run (the local server
is killed, its pid file removed, runs still stopping killed) and the process exits at once.
What is lost then is what could not be sent anyway: queued run logs and events. A run killed
so is found Crashed later (flows/planning_slot.py), its slot freed and the leaders alerted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

STOP_WITHIN = 8.0  # seconds from the stop request to the process gone (a service manager allows about 10)


class ShutdownDeadline:
    """Started once, by the first stop request; exits the process if stopping outlasts it."""

    def __init__(self, seconds: float = STOP_WITHIN) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._last_words: list[Callable[[], None]] = []

    @property
    def started(self) -> bool:
        return self._started_at is not None

    def start(self) -> None:
        """Begin the countdown (again: nothing happens)."""
        with self._lock:
            if self._started_at is not None:
                return
            self._started_at = time.monotonic()
        timer = threading.Timer(self.seconds, self._overrun)
        timer.name, timer.daemon = "yinhui-stop-deadline", True
        timer.start()

    def remaining(self, at_most: float) -> float:
        """Seconds a step may still take: `at_most`, less once the deadline is near (never below 0.5 s)."""
        if self._started_at is None:
            return at_most
        left = self.seconds - (time.monotonic() - self._started_at) - 1.0  # a second for what follows
        return max(0.5, min(at_most, left))

    def last_word(self, action: Callable[[], None]) -> Callable[[], None]:
        """Run `action` before a forced exit (until the returned callable withdraws it)."""
        with self._lock:
            self._last_words.append(action)

        def withdraw() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._last_words.remove(action)

        return withdraw

    def _overrun(self) -> None:
        print(f"yinhui serve: stopping took more than {self.seconds:.0f} s; stopping now "
              "(run logs and events not yet sent to the Prefect server are dropped)", file=sys.stderr, flush=True)
        with self._lock:
            actions = list(reversed(self._last_words))
        for action in actions:
            with contextlib.suppress(Exception):
                action()
        os._exit(0)


def children(pid: int | None = None) -> list[int]:
    """The processes `pid` (this one by default) started and that still run (Linux: from /proc)."""
    parent = os.getpid() if pid is None else pid
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = entry.read_text().rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry.parent.name))
    return found


def kill_children() -> None:
    """Kill what this process started that still runs (flow runs stuck in their stop), with their groups."""
    for pid in children():
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)


SHUTDOWN = ShutdownDeadline()
