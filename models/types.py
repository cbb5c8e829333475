"""Column types shared by all tables (UTC timestamps alike on SQLite and PostgreSQL) and typed table access."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import DateTime, Table
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC; always hands back an aware datetime.

    SQLite has no time-zone type, so without this a value written as aware comes back naive and
    comparisons with `clock.now()` break in one database but not the other.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; read the time through yinhui.clock")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """Now as an aware UTC datetime, through the movable clock."""
    from yinhui import clock

    return clock.now().in_timezone("UTC")


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for set-based SQL: SQLModel's types do not declare `__table__`."""
    table = sa_inspect(model).local_table
    assert isinstance(table, Table), f"{model.__name__} is not a table model"
    return table


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Stored) -> int:
    """The primary key of a row already in the database: SQLModel types `id` as `int | None` until a flush."""
    assert row.id is not None, f"{type(row).__name__} has no id yet: add and flush it first"
    return row.id
