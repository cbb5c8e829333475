"""The one place the wall clock is read, so tests and the demo can move it."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

import pendulum

from yinhui.settings import get_settings

_frozen: ContextVar[pendulum.DateTime | None] = ContextVar("yinhui_frozen_now", default=None)


def tz() -> pendulum.Timezone:
    return pendulum.timezone(get_settings().timezone)


def now() -> pendulum.DateTime:
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return pendulum.now(tz())


def local(moment: dt.datetime) -> pendulum.DateTime:
    """An aware moment of any datetime class (Prefect's own included) as a plain pendulum DateTime in
    the bureau's time zone."""
    return pendulum.from_timestamp(moment.timestamp(), tz=tz())


def today() -> dt.date:
    return now().date()


@contextlib.contextmanager
def frozen_at(moment: pendulum.DateTime | dt.date) -> Iterator[pendulum.DateTime]:
    """Pretend it is `moment` (a date means 09:00 local time that day)."""
    if isinstance(moment, pendulum.DateTime):
        value = moment
    else:
        value = pendulum.datetime(moment.year, moment.month, moment.day, 9, tz=tz())
    token = _frozen.set(value)
    try:
        yield value
    finally:
        _frozen.reset(token)
