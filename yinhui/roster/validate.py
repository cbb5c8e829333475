"""Check every row of a roster or staff sheet and turn the good ones into records.

Every problem of the file comes out in one round (an unknown 责任人 too, when the caller gives the
coordinators it knows); the list keeps the first ``max_errors`` and counts the rest by kind.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

from yinhui.i18n import N_
from yinhui.roster.columns import ROSTER_COLUMNS, STAFF_COLUMNS
from yinhui.roster.fields import (
    BirthMonth,
    Category,
    FieldError,
    Gender,
    GridRef,
    Role,
    Status,
    parse_birth,
    parse_category,
    parse_flag,
    parse_gender,
    parse_grid_refs,
    parse_phones,
    parse_role,
    parse_status,
)
from yinhui.roster.idcard import IdNumber, parse_id_number
from yinhui.roster.limits import DEFAULT_OPTIONS, RosterOptions
from yinhui.roster.messages import Lang, Term
from yinhui.roster.problems import ProblemList, RowError, omitted_line
from yinhui.roster.reader import Table, read_table
from yinhui.roster.relatives import (
    RelativeRecord,
    check_kin,
    kin_record,
    parse_teams,
    relatives_table,
    validate_relatives,
)
from yinhui.roster.rows import RowCheck as _RowCheck
from yinhui.roster.rows import clean_name
from yinhui.roster.rows import present as _present

__all__ = [
    "CadreRecord", "RosterCheck", "RowError", "StaffCheck", "StaffRecord", "clean_name",
    "load_roster", "load_staff", "validate_roster", "validate_staff",
]  # fmt: skip

T = TypeVar("T")
# The gender an ID number encodes, as a mismatch message names it.
_GENDER_WORD: dict[Gender, str] = {"M": N_("male"), "F": N_("female")}


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
    kin: RelativeRecord | None = None  # the next of kin named beside the cadre (紧急联系人)
    teams: tuple[str, ...] | None = None  # 志愿服务队, when the roster has the column


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A bureau staff member, grid coordinator or leader from a valid staff-sheet row."""

    row: int
    name: str
    role: Role
    grids: tuple[GridRef, ...]
    phone: str | None


class _Outcome:
    """What checking a sheet found: the listed problems, and how many more of each kind."""

    errors: list[RowError]
    omitted: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.errors) + sum(self.omitted.values())

    def omitted_line(self, lang: Lang = "zh") -> str | None:
        """'… and 49,800 more not listed: …' to print after the list, or None."""
        return omitted_line(self.omitted, lang)


@dataclass
class RosterCheck(_Outcome):
    """Result of checking a roster: records of the rows without errors, and all problems
    (``errors`` lists the first ``max_errors``; ``omitted`` counts the rest by kind)."""

    records: list[CadreRecord]
    errors: list[RowError]
    warnings: list[RowError]
    table: Table | None = field(default=None, repr=False)
    omitted: dict[str, int] = field(default_factory=dict)
    relatives: list[RelativeRecord] = field(default_factory=list)  # both forms, merged (roster.relatives)
    relatives_listed: frozenset[str] = frozenset()  # cadres (ID numbers) whose relatives a 亲属 sheet lists


@dataclass
class StaffCheck(_Outcome):
    """Result of checking a staff sheet."""

    records: list[StaffRecord]
    errors: list[RowError]
    warnings: list[RowError]
    table: Table | None = field(default=None, repr=False)
    omitted: dict[str, int] = field(default_factory=dict)


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


class _HasRow(Protocol):
    @property
    def row(self) -> int: ...


R = TypeVar("R", bound=_HasRow)


def _finish(records: list[R], problems: ProblemList, duplicates: list[RowError],
            table: Table, had_rows: bool) -> tuple[list[R], list[RowError]]:  # fmt: skip
    """Drop the records of duplicated rows; the warnings of the sheet (capped like errors)."""
    problems.extend(duplicates)
    bad_rows = {error.row for error in duplicates}
    warnings = ProblemList(problems.limit)
    warnings.extend(RowError(table.header_row, h, "column_ignored") for h in table.ignored)
    warnings.extend(table.notes)
    if not had_rows:
        warnings.add(RowError(table.header_row, "", "no_rows"))
    return [r for r in records if r.row not in bad_rows], warnings.listed()


# -- roster -----------------------------------------------------------------------------


def _agree_with_id(
    check: _RowCheck, card: IdNumber, gender: Gender | None, birth: date | BirthMonth | None
) -> None:
    """The gender and birth date written in the row must match what the ID encodes.

    A year and month (出生年月), or a date on the 1st that Excel made of one, agrees when the
    month does.
    """
    if gender is not None and gender != card.gender:
        check.error("gender", "gender_mismatch", expected=Term(_GENDER_WORD[card.gender]))
    if birth is None:
        return
    born = card.birth_date
    if isinstance(birth, BirthMonth) or birth.day == 1:
        agrees = (birth.year, birth.month) == (born.year, born.month)
    else:
        agrees = birth == born
    if not agrees:
        check.error("birth_date", "birth_mismatch")


def _check_cadre(number: int, cells: Mapping[str, object], table: Table, today: date | None,
                 options: RosterOptions, coordinators: Collection[str] | None,
                 teams: Collection[str] | None = None,
                 ) -> tuple[CadreRecord | None, IdNumber | None, list[RowError]]:  # fmt: skip
    words = options.vocabulary
    check = _RowCheck(number, cells, table, ROSTER_COLUMNS)
    name = check.parse("name", clean_name, required=True, text=True)
    card = check.parse("id_number", lambda v: parse_id_number(v, today=today), required=True)
    gender = check.parse("gender", lambda v: parse_gender(v, words))
    birth = check.parse("birth_date", lambda v: parse_birth(v, today=today))
    phones = check.parse("phone", parse_phones, text=True)
    category = check.parse("category", lambda v: parse_category(v, words), required=True)
    address = check.text("address")
    township = check.text("township", required=True)
    village = check.text("village", required=True)
    branch = check.text("party_branch")
    coordinator = check.parse("coordinator", clean_name, text=True)
    if coordinator and coordinators is not None and coordinator not in coordinators:
        check.error("coordinator", "coordinator_unknown", name=coordinator)
    lives_alone = check.parse("lives_alone", lambda v: parse_flag(v, words))
    hardship = check.parse("hardship", lambda v: parse_flag(v, words))
    status = check.parse("status", lambda v: parse_status(v, words))
    kin = check_kin(check, options)
    team_names = check.parse("volunteer_teams", parse_teams) if "volunteer_teams" in table.columns else None
    for team in team_names or ():
        if teams is not None and team not in teams:
            check.error("volunteer_teams", "team_unknown", name=team, known=tuple(sorted(teams)) or ("-",))
    if card is None:
        return None, None, check.errors
    _agree_with_id(check, card, gender, birth)
    if check.errors:
        return None, card, check.errors
    record = CadreRecord(
        row=number, name=_present(name), id_number=card.value, gender=card.gender,
        birth_date=card.birth_date, category=_present(category), phones=phones or (),
        address=address or "", township=_present(township), village=_present(village),
        party_branch=branch, coordinator=coordinator, lives_alone=bool(lives_alone),
        hardship=bool(hardship), status=status or "active",
        kin=kin_record(number, card.value, kin) if kin else None,
        teams=(team_names or ()) if "volunteer_teams" in table.columns else None,
    )  # fmt: skip
    return record, card, []


def validate_roster(
    table: Table,
    *,
    today: date | None = None,
    options: RosterOptions | None = None,
    coordinators: Collection[str] | None = None,
    teams: Collection[str] | None = None,
    relatives: tuple[Table, str] | None = None,
) -> RosterCheck:
    """Check every row of a roster table; all errors are collected, none stops the run.

    ``coordinators``: the names a 责任人 may take (the staff in the database); when given, an
    unknown one is reported with the row's other problems. Without it, it is not checked; so with
    ``teams`` (志愿服务队). ``relatives``: the 亲属 sheet and its name (yinhui.roster.relatives).
    """
    options = options or DEFAULT_OPTIONS
    records: list[CadreRecord] = []
    problems = ProblemList(options.limits.max_errors)
    duplicates = _Duplicates()
    had_rows = False
    names: dict[str, str] = {}
    for number, cells in table.rows:
        had_rows = True
        record, card, row_errors = _check_cadre(number, cells, table, today, options, coordinators, teams)
        problems.extend(row_errors)
        if record is not None:
            records.append(record)
        if card is not None:
            duplicates.add(card.value, number)
            names[card.value] = clean_name(cells.get("name"))
    id_header = table.header_for("id_number", ROSTER_COLUMNS)
    records, warnings = _finish(records, problems, duplicates.errors(id_header, "id_duplicate"),
                                table, had_rows)  # fmt: skip
    sheet, name = relatives if relatives is not None else (None, "")
    kin = [r.kin for r in records if r.kin is not None]
    family = validate_relatives(sheet, name, names, kin, today=today, options=options)
    problems.extend(family.errors)
    return RosterCheck(records, problems.listed(), warnings + family.warnings, table, problems.omitted(),
                       family.records, family.listed)


# -- staff ------------------------------------------------------------------------------


def _single_phone(value: object) -> str:
    phones = parse_phones(value)
    if len(phones) > 1:
        raise FieldError("phone_multiple", count=len(phones))
    return phones[0]


def _check_staff(number: int, cells: Mapping[str, object], table: Table,
                 options: RosterOptions) -> tuple[StaffRecord | None, list[RowError]]:  # fmt: skip
    check = _RowCheck(number, cells, table, STAFF_COLUMNS)
    name = check.parse("name", clean_name, required=True, text=True)
    role = check.parse("role", lambda v: parse_role(v, options.vocabulary), required=True)
    grids = check.parse("grids", parse_grid_refs)
    phone = check.parse("phone", _single_phone, text=True)
    if role == "grid" and check.blank("grids"):
        check.error("grids", "grid_role_needs_grid")
    if check.errors:
        return None, check.errors
    record = StaffRecord(
        row=number, name=_present(name), role=_present(role), grids=grids or (), phone=phone
    )
    return record, []


def validate_staff(table: Table, *, options: RosterOptions | None = None) -> StaffCheck:
    """Check every row of a staff sheet; a name may appear only once."""
    options = options or DEFAULT_OPTIONS
    records: list[StaffRecord] = []
    problems = ProblemList(options.limits.max_errors)
    duplicates = _Duplicates()
    had_rows = False
    for number, cells in table.rows:
        had_rows = True
        record, row_errors = _check_staff(number, cells, table, options)
        problems.extend(row_errors)
        if record is not None:
            records.append(record)
        name = clean_name(cells.get("name"))
        if name:
            duplicates.add(name, number)
    name_header = table.header_for("name", STAFF_COLUMNS)
    records, warnings = _finish(records, problems, duplicates.errors(name_header, "name_duplicate"),
                                table, had_rows)  # fmt: skip
    return StaffCheck(records, problems.listed(), warnings, table, problems.omitted())


# -- convenience ------------------------------------------------------------------------


def load_roster(
    path: Path | str,
    *,
    today: date | None = None,
    options: RosterOptions | None = None,
    coordinators: Collection[str] | None = None,
    teams: Collection[str] | None = None,
) -> RosterCheck:
    """Read and check a roster file (its 亲属 sheet too); RosterFileError if the file itself is unusable."""
    options = options or DEFAULT_OPTIONS
    return validate_roster(read_table(path, ROSTER_COLUMNS, options=options), today=today, options=options,
                           coordinators=coordinators, teams=teams, relatives=relatives_table(path, options))


def load_staff(path: Path | str, *, options: RosterOptions | None = None) -> StaffCheck:
    """Read and check a staff sheet; RosterFileError if the file itself is unusable."""
    return validate_staff(read_table(path, STAFF_COLUMNS, options=options), options=options)
