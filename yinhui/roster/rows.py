"""Reading one row of a sheet: parse each cell, collect every error, clean names and texts.

Shared by the roster's main sheet (yinhui.roster.validate) and its relatives (yinhui.roster.relatives).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from yinhui.roster.columns import Column
from yinhui.roster.fields import FieldError, cell_text, is_blank
from yinhui.roster.problems import RowError
from yinhui.roster.reader import Table
from yinhui.roster.safety import find_unsafe, starts_like_formula
from yinhui.roster.synonyms import EMPTY_WORDS, word_key

T = TypeVar("T")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EMPTY_KEYS = frozenset(word_key(w) for w in EMPTY_WORDS)
# Optional cells where 无, / or — means "none" (in a yes/no or status cell they are words).
_MAY_SAY_NONE = frozenset({"phone", "address", "party_branch", "coordinator", "birth_date",
                           "gender", "grids"})  # fmt: skip


class RowCheck:
    """Parses the cells of one row, collecting every error instead of stopping."""

    def __init__(self, number: int, cells: Mapping[str, object], table: Table,
                 spec: Sequence[Column]) -> None:  # fmt: skip
        self.number, self.cells, self.table = number, cells, table
        self.spec = {column.field: column for column in spec}
        self.errors: list[RowError] = []

    def error(self, name: str, code: str, /, **params: object) -> None:
        column = self.table.header_for(name, tuple(self.spec.values()))
        self.errors.append(RowError(self.number, column, code, params))

    def blank(self, name: str) -> bool:
        return is_blank(self.cells.get(name))

    def parse(self, name: str, parser: Callable[[object], T], *, required: bool = False,
              text: bool = False) -> T | None:  # fmt: skip
        """The parsed cell, or None when it is empty or wrong (the error is recorded).

        Refused before parsing: an invisible character, a text far longer than the column
        holds; after: a stored text starting like a formula, or longer than the column holds.
        An optional cell saying "none" (无, /, —) counts as empty.
        """
        raw = self.cells.get(name)
        if self.blank(name) or (name in _MAY_SAY_NONE and word_key(raw) in _EMPTY_KEYS):
            if required:
                self.error(name, "required")
            return None
        limit = self.spec[name].max_length if name in self.spec else None
        if isinstance(raw, str):
            bad = find_unsafe(raw)
            if bad is not None:
                self.error(name, "unsafe_character", code=bad.code, name=bad.name,
                           position=bad.position)  # fmt: skip
                return None
            if limit is not None and len(raw) > 2 * limit + 20:
                self.error(name, "too_long", length=len(raw), limit=limit)
                return None
        try:
            value = parser(raw)
        except FieldError as exc:
            self.error(name, exc.code, **exc.params)
            return None
        if text and isinstance(raw, str) and isinstance(value, str) and starts_like_formula(value):
            self.error(name, "formula_text", start=value.lstrip()[0])
            return None
        stored = ";".join(map(str, value)) if isinstance(value, tuple) else value
        if limit is not None and isinstance(stored, str) and len(stored) > limit:
            self.error(name, "too_long", length=len(stored), limit=limit)
            return None
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        return self.parse(name, clean_text, required=required, text=True)


def present(value: T | None) -> T:
    """A required value of a row that had no errors (so it cannot be missing)."""
    assert value is not None
    return value


def clean_text(value: object) -> str:
    """A text cell: trimmed, runs of spaces and line breaks made one space.

    Repeated values (township, branch...) are interned so that a 100k-row roster keeps one
    copy of each rather than one per row.
    """
    return sys.intern(" ".join(cell_text(value).split()))


def clean_name(value: object) -> str:
    """A person's name; spaces used to pad two-character Chinese names are removed."""
    text = cell_text(value)
    return "".join(text.split()) if _CJK.search(text) else " ".join(text.split())
