"""How a flow's steps run: each as its own Prefect run, or as plain calls inside one enclosing run.

The scheduled path runs every planning step as a task run (or a subflow run) so the Prefect UI
shows each one with its retries and logs. That bookkeeping costs about 0.1 s a task run and
close to a second a subflow run: nothing for a real day, most of the time of a simulated
quarter. Inside `inline_steps()` the very same step functions are called directly, within
whatever run encloses them (the demo's one task run per simulated day), so a simulated day
does exactly what a scheduled one does, without the per-step records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

R = TypeVar("R")

_inline: ContextVar[bool] = ContextVar("yinhui_inline_steps", default=False)


@contextlib.contextmanager
def inline_steps() -> Iterator[None]:
    """Within the block, `run_step` calls each task's or flow's function directly."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def steps_inline() -> bool:
    """True inside `inline_steps()`: the caller's run stands for every step it makes."""
    return _inline.get()


def run_step(unit: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a Prefect task or flow: as its own run normally, as a plain call inside `inline_steps()`."""
    if _inline.get():
        fn: Callable[..., R] = getattr(unit, "fn", unit)
        return fn(*args, **kwargs)
    return unit(*args, **kwargs)
