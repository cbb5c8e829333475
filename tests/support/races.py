"""The race harness: `WORKERS` spawned processes play rounds, meeting at a barrier before every call.

Each round is a true race however loaded the machine is (no sleep decides any order), and every
wait is bounded, so a hung worker fails the test instead of hanging it. A test gives the rounds and
a module-level `play(worker, number, round)` that makes the call in the worker (it runs with
YINHUI_DATABASE_URL pointing at the test's database) and returns what it did; a refusal (a
`DomainError`) comes back as its class name and English message, anything else fails the test.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest

WORKERS = 4
WAIT_S = 120  # the longest any worker waits at a barrier, and the parent for a result

Round = TypeVar("Round")
Result = tuple[str, str]  # ("ok", what) or (error class name, message)
Play = Callable[[int, int, Any], str]


def _worker(url: str, index: int, rounds: Sequence[Any], play: Play, barrier: Any, results: Any) -> None:
    os.environ["YINHUI_DATABASE_URL"] = url
    try:
        from yinhui.services.errors import DomainError
    except Exception:  # noqa: BLE001  (a worker that cannot start breaks the barrier for all)
        results.put((-1, index, ("crash", traceback.format_exc())))
        barrier.abort()
        return
    for number, one in enumerate(rounds):
        try:
            barrier.wait(WAIT_S)
        except Exception:  # noqa: BLE001
            results.put((number, index, ("crash", "the barrier broke: another worker failed")))
            return
        try:
            outcome: Result = ("ok", play(index, number, one))
        except DomainError as exc:
            outcome = (type(exc).__name__, str(exc))
        except Exception:  # noqa: BLE001
            outcome = ("crash", traceback.format_exc())
        results.put((number, index, outcome))


def race(url: str, rounds: Sequence[Round], play: Callable[[int, int, Round], str]) -> list[list[Result]]:
    """Play ``rounds`` in `WORKERS` processes (each calls ``play`` once a round); each round's results by worker."""
    context = mp.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=_worker, args=(url, i, rounds, play, barrier, results), daemon=True)
               for i in range(WORKERS)]
    for worker in workers:
        worker.start()
    got: dict[tuple[int, int], Result] = {}
    try:
        while len(got) < len(rounds) * WORKERS:
            try:
                number, index, outcome = results.get(timeout=WAIT_S)
            except queue.Empty:
                pytest.fail(f"no answer from the workers for {WAIT_S} s ({len(got)} results so far)")
            assert outcome[0] != "crash", outcome[1]
            got[(number, index)] = outcome
    finally:
        deadline = time.monotonic() + 30
        for worker in workers:
            worker.join(max(0.1, deadline - time.monotonic()))
            if worker.is_alive():
                worker.terminate()
    return [[got[(n, i)] for i in range(WORKERS)] for n in range(len(rounds))]
