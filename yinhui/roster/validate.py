"""Check every row of a roster or staff sheet and turn the good ones into records."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

from yinhui.i18n import N_
from yinhui.roster.columns import ROSTER_COLUMNS, STAFF_COLUMNS, Column
from yinhui.roster.fields import (
    Category,
    FieldError,
    Gender,
    GridRef,
    Role,
    Status,
    cell_text,
    is_blank,
    parse_category,
    parse_date,
    parse_flag,
    parse_gender,
    parse_grid_refs,
    parse_phones,
    parse_role,
    parse_status,
)
from yinhui.roster.idcard import IdNumber, parse_id_number
from yinhui.roster.messages import ROW_ONLY_PREFIX, ROW_PREFIX, Lang, Term, render, translate
from yinhui.roster.reader import Table, read_table

T = TypeVar("T")
_CJK = re.compile(r"[\u3400-\u9fff]")
# The gender an ID number encodes, as a mismatch message names it.
_GENDER_WORD: dict[Gender, str] = {"M": N_("male"), "F": N_("female")}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell (or, with an empty column, one row).

    ``column`` is the header exactly as the file wrote it, so the user can find the cell.
    """

    row: int
    column: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def message(self, lang: Lang = "zh") -> str:
        prefix = ROW_PREFIX if self.column else ROW_ONLY_PREFIX
        where = translate(prefix, lang).format(row=self.row, column=self.column)
        return where + render(self.code, self.params, lang)


@dataclass(frozen=True, slots=True)
class CadreRecord:
    """A retired cadre (离退休干部) as read from a valid roster row."""

    row: int
    name: str
    id_number: str
    gender: Gender
    birth_date: date
    category: Category
    phones: tuple[str, ...]
    address: str
    township: str
    village: str
    party_branch: str | None
    coordinator: str | None
    lives_alone: bool
    hardship: bool
    status: Status


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A bureau staff member, grid coordinator or leader from a valid staff-sheet row."""

    row: int
    name: str
    role: Role
    grids: tuple[GridRef, ...]
    phone: str | None


@dataclass
class RosterCheck:
    """Result of checking a roster: records of the rows without errors, and all problems."""

    records: list[CadreRecord]
    errors: list[RowError]
    warnings: list[RowError]
    table: Table | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class StaffCheck:
    """Result of checking a staff sheet."""

    records: list[StaffRecord]
    errors: list[RowError]
    warnings: list[RowError]
    table: Table | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- per-row helpers --------------------------------------------------------------------


class _RowCheck:
    """Parses the cells of one row, collecting every error instead of stopping."""

    def __init__(
        self, number: int, cells: Mapping[str, object], table: Table, spec: Sequence[Column]
    ) -> None:
        self.number = number
        self.cells = cells
        self.table = table
        self.spec = spec
        self.errors: list[RowError] = []

    def error(self, name: str, code: str, **params: object) -> None:
        column = self.table.header_for(name, self.spec)
        self.errors.append(RowError(self.number, column, code, params))

    def blank(self, name: str) -> bool:
        return is_blank(self.cells.get(name))

    def parse(
        self, name: str, parser: Callable[[object], T], *, required: bool = False
    ) -> T | None:
        """The parsed cell, or None when it is empty or wrong (the error is recorded)."""
        raw = self.cells.get(name)
        if self.blank(name):
            if required:
                self.error(name, "required")
            return None
        try:
            return parser(raw)
        except FieldError as exc:
            self.error(name, exc.code, **exc.params)
            return None

    def text(self, name: str, *, required: bool = False) -> str | None:
        return self.parse(name, _clean_text, required=required)


def _present(value: T | None) -> T:
    """A required value of a row that had no errors (so it cannot be missing)."""
    assert value is not None
    return value


def _clean_text(value: object) -> str:
    # Repeated values (township, branch...) are interned so that a 100k-row roster
    # keeps one copy of each rather than one per row.
    return sys.intern(cell_text(value))


def clean_name(value: object) -> str:
    """A person's name; spaces used to pad two-character Chinese names are removed."""
    text = cell_text(value)
    return "".join(text.split()) if _CJK.search(text) else " ".join(text.split())


class _Duplicates:
    """Rows sharing a key (ID number, name). Only the first row of each key is kept until
    a second appears, which keeps a 100k-row roster from holding 100k lists."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}
        self._repeated: dict[str, list[int]] = {}

    def add(self, key: str, row: int) -> None:
        first = self._first.setdefault(key, row)
        if first != row:
            self._repeated.setdefault(key, [first]).append(row)

    def errors(self, column: str, code: str) -> list[RowError]:
        """One error per row whose key also appears on other rows, naming those rows."""
        errors = []
        for rows in self._repeated.values():
            for row in rows:
                others = tuple(str(other) for other in rows if other != row)
                errors.append(RowError(row, column, code, {"others": others}))
        return errors


def _header_warnings(table: Table, had_rows: bool) -> list[RowError]:
    warnings = [RowError(table.header_row, h, "column_ignored") for h in table.ignored]
    if not had_rows:
        warnings.append(RowError(table.header_row, "", "no_rows"))
    return warnings


class _HasRow(Protocol):
    @property
    def row(self) -> int: ...


R = TypeVar("R", bound=_HasRow)


def _finish(
    records: list[R], errors: list[RowError], duplicates: list[RowError]
) -> tuple[list[R], list[RowError]]:
    """Drop records of rows involved in duplicates and sort errors by row."""
    bad_rows = {error.row for error in duplicates}
    kept = [r for r in records if r.row not in bad_rows]
    return kept, sorted(errors + duplicates, key=lambda e: e.row)


# -- roster -----------------------------------------------------------------------------


def _agree_with_id(
    check: _RowCheck, card: IdNumber, gender: Gender | None, birth: date | None
) -> None:
    """The gender and birth date written in the row must match what the ID encodes."""
    if gender is not None and gender != card.gender:
        check.error(
            "gender",
            "gender_mismatch",
            expected=Term(_GENDER_WORD[card.gender]),
        )
    if birth is not None and birth != card.birth_date:
        check.error("birth_date", "birth_mismatch")


def _check_cadre(
    number: int, cells: Mapping[str, object], table: Table, today: date | None
) -> tuple[CadreRecord | None, IdNumber | None, list[RowError]]:
    check = _RowCheck(number, cells, table, ROSTER_COLUMNS)
    name = check.parse("name", clean_name, required=True)
    card = check.parse("id_number", lambda v: parse_id_number(v, today=today), required=True)
    gender = check.parse("gender", parse_gender)
    birth = check.parse("birth_date", lambda v: parse_date(v, today=today))
    phones = check.parse("phone", parse_phones)
    category = check.parse("category", parse_category, required=True)
    address = check.parse("address", cell_text)
    township = check.text("township", required=True)
    village = check.text("village", required=True)
    branch = check.text("party_branch")
    coordinator = check.parse("coordinator", clean_name)
    lives_alone = check.parse("lives_alone", parse_flag)
    hardship = check.parse("hardship", parse_flag)
    status = check.parse("status", parse_status)
    if card is None:
        return None, None, check.errors
    _agree_with_id(check, card, gender, birth)
    if check.errors:
        return None, card, check.errors
    record = CadreRecord(
        row=number,
        name=_present(name),
        id_number=card.value,
        gender=card.gender,
        birth_date=card.birth_date,
        category=_present(category),
        phones=phones or (),
        address=address or "",
        township=_present(township),
        village=_present(village),
        party_branch=branch,
        coordinator=coordinator,
        lives_alone=bool(lives_alone),
        hardship=bool(hardship),
        status=status or "active",
    )
    return record, card, []


def validate_roster(table: Table, *, today: date | None = None) -> RosterCheck:
    """Check every row of a roster table; all errors are collected, none stops the run."""
    records: list[CadreRecord] = []
    errors: list[RowError] = []
    duplicates = _Duplicates()
    had_rows = False
    for number, cells in table.rows:
        had_rows = True
        record, card, row_errors = _check_cadre(number, cells, table, today)
        errors.extend(row_errors)
        if record is not None:
            records.append(record)
        if card is not None:
            duplicates.add(card.value, number)
    id_header = table.header_for("id_number", ROSTER_COLUMNS)
    records, errors = _finish(records, errors, duplicates.errors(id_header, "id_duplicate"))
    return RosterCheck(records, errors, _header_warnings(table, had_rows), table)


# -- staff ------------------------------------------------------------------------------


def _single_phone(value: object) -> str:
    phones = parse_phones(value)
    if len(phones) > 1:
        raise FieldError("phone_multiple", count=len(phones))
    return phones[0]


def _check_staff(
    number: int, cells: Mapping[str, object], table: Table
) -> tuple[StaffRecord | None, list[RowError]]:
    check = _RowCheck(number, cells, table, STAFF_COLUMNS)
    name = check.parse("name", clean_name, required=True)
    role = check.parse("role", parse_role, required=True)
    grids = check.parse("grids", parse_grid_refs)
    phone = check.parse("phone", _single_phone)
    if role == "grid" and check.blank("grids"):
        check.error("grids", "grid_role_needs_grid")
    if check.errors:
        return None, check.errors
    record = StaffRecord(
        row=number, name=_present(name), role=_present(role), grids=grids or (), phone=phone
    )
    return record, []


def validate_staff(table: Table) -> StaffCheck:
    """Check every row of a staff sheet; a name may appear only once."""
    records: list[StaffRecord] = []
    errors: list[RowError] = []
    duplicates = _Duplicates()
    had_rows = False
    for number, cells in table.rows:
        had_rows = True
        record, row_errors = _check_staff(number, cells, table)
        errors.extend(row_errors)
        if record is not None:
            records.append(record)
        name = clean_name(cells.get("name"))
        if name:
            duplicates.add(name, number)
    name_header = table.header_for("name", STAFF_COLUMNS)
    records, errors = _finish(records, errors, duplicates.errors(name_header, "name_duplicate"))
    return StaffCheck(records, errors, _header_warnings(table, had_rows), table)


# -- convenience ------------------------------------------------------------------------


def load_roster(path: Path | str, *, today: date | None = None) -> RosterCheck:
    """Read and check a roster file; RosterFileError if the file itself is unusable."""
    return validate_roster(read_table(path, ROSTER_COLUMNS), today=today)


def load_staff(path: Path | str) -> StaffCheck:
    """Read and check a staff sheet; RosterFileError if the file itself is unusable."""
    return validate_staff(read_table(path, STAFF_COLUMNS))

