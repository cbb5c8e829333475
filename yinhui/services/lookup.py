"""Fetching the one row a request names, or raising the domain error that says it is not there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


class _Named(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def name(self) -> str: ...


Named = TypeVar("Named", bound=_Named)


def get_or_raise(
    session: Session,
    model: type[Row],
    key: int | ColumnElement[bool],
    error: Exception,
    *,
    for_update: bool = False,
) -> Row:
    """The ``model`` row whose id is ``key`` (or the one row matching the condition ``key``), else raise ``error``.

    ``for_update`` locks the row for the change the caller is about to make.
    """
    condition = key if isinstance(key, ColumnElement) else inspect(model).primary_key[0] == key
    query = select(model).where(condition)
    if for_update:
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise error
    return found


def matching_name(rows: Sequence[Named], ref: str) -> list[Named]:
    """The rows a reference names: ``#id`` (or a bare id), the full name, else every name containing it."""
    text = ref.strip()
    if text.lstrip("#").isdigit():
        return [r for r in rows if r.id == int(text.lstrip("#"))]
    return [r for r in rows if r.name == text] or [r for r in rows if text and text in r.name]
