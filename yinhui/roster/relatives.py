"""Relatives in a roster (亲属): the next of kin beside the cadre's own columns, and a 亲属 sheet.

A roster names relatives in either of two ways, or both: columns on the cadre's row (紧急联系人,
与本人关系, 紧急联系人电话: that one relative is the next of kin), and a second sheet named 亲属
(家属, 亲属信息) with one relative a row and the cadre's ID number (干部身份证号). Both are checked
with the cadres' rows, so every problem comes out in the same one round; a relative on the sheet
whose cadre is not on the first sheet is a problem of its row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from yinhui.roster.columns import RELATIVE_COLUMNS
from yinhui.roster.fields import cell_text, parse_flag, parse_phones, parse_relation
from yinhui.roster.idcard import parse_id_number
from yinhui.roster.limits import RosterOptions
from yinhui.roster.problems import RowError
from yinhui.roster.reader import Table, read_table, relatives_sheet
from yinhui.roster.rows import RowCheck, clean_name

OTHER_RELATION = "其他"  # a next of kin named without a relation
_TEAM_SEPARATORS = str.maketrans({"，": "、", ",": "、", "；": "、", ";": "、", "/": "、"})


@dataclass(frozen=True, slots=True)
class RelativeRecord:
    """A relative as read: ``sheet`` is '' for the columns beside a cadre, else the sheet's name.

    ``next_of_kin`` / ``in_group`` are None where the file does not say (the column is absent):
    the stored value is then kept.
    """

    row: int
    sheet: str
    cadre_id_number: str
    name: str
    relation: str
    phones: tuple[str, ...]
    next_of_kin: bool | None
    in_group: bool | None


def parse_teams(value: object) -> tuple[str, ...]:
    """The team names in a 志愿服务队 cell: separated by 、 , ; or /, repeats dropped."""
    names = (" ".join(piece.split()) for piece in cell_text(value).translate(_TEAM_SEPARATORS).split("、"))
    return tuple(dict.fromkeys(name for name in names if name))


def check_kin(check: Any, options: RosterOptions) -> tuple[str, str | None, tuple[str, ...]] | None:
    """The next of kin on a cadre's row (``check`` is the row's checker), or None when the row names none.

    A phone or relation without a name is a problem of the name's cell.
    """

    name = check.parse("kin_name", clean_name, text=True)
    relation = check.parse("kin_relation", lambda v: parse_relation(v, options.vocabulary))
    phones = check.parse("kin_phone", parse_phones, text=True)
    if name is None:
        if (relation or phones) and check.blank("kin_name"):
            check.error("kin_name", "kin_name_missing")
        return None
    return name, relation, phones or ()


def kin_record(row: int, id_number: str, kin: tuple[str, str | None, tuple[str, ...]]) -> RelativeRecord:
    name, relation, phones = kin
    return RelativeRecord(row, "", id_number, name, relation or OTHER_RELATION, phones, True, None)


@dataclass
class RelativesCheck:
    """The relatives of a roster: the records, the problems, and the cadres whose relatives the sheet lists."""

    records: list[RelativeRecord]
    errors: list[RowError]
    listed: frozenset[str]  # ID numbers of cadres on the 亲属 sheet: the sheet is their whole list
    warnings: list[RowError] = field(default_factory=list)  # the sheet's unknown columns


def validate_relatives(
    table: Table | None,
    sheet: str,
    cadres: Mapping[str, str],
    kin: Sequence[RelativeRecord],
    *,
    today: date | None,
    options: RosterOptions,
) -> RelativesCheck:
    """Check a 亲属 sheet against the cadres of the first sheet (ID number → name) and merge in the
    next of kin named beside them. One relative per cadre and name; one next of kin per cadre."""
    records, errors = _sheet_rows(table, sheet, cadres, today=today, options=options) if table else ([], [])
    merged, problems = _merge(records, kin, table, sheet)
    listed = frozenset(r.cadre_id_number for r in records)
    ignored = [RowError(table.header_row, f"{sheet}!{h}", "column_ignored") for h in table.ignored] if table else []
    return RelativesCheck(merged, errors + problems, listed, ignored)


def _sheet_rows(
    table: Table, sheet: str, cadres: Mapping[str, str], *, today: date | None, options: RosterOptions
) -> tuple[list[RelativeRecord], list[RowError]]:
    """The relatives of a 亲属 sheet that pass their checks, and the problems of the others."""

    errors: list[RowError] = []
    records: list[RelativeRecord] = []
    given = {key: key in table.columns for key in ("next_of_kin", "in_group")}  # absent: the stored value is kept
    for number, cells in table.rows:
        check = RowCheck(number, cells, table, RELATIVE_COLUMNS)
        card = check.parse("cadre_id_number", lambda v: parse_id_number(v, today=today), required=True)
        named = check.parse("cadre_name", clean_name, text=True)
        name = check.parse("relative_name", clean_name, required=True, text=True)
        relation = check.parse("relation", lambda v: parse_relation(v, options.vocabulary), required=True)
        phones = check.parse("relative_phone", parse_phones, text=True)
        flags = {key: bool(check.parse(key, lambda v: parse_flag(v, options.vocabulary))) if wanted else None
                 for key, wanted in given.items()}
        if card is not None and card.value not in cadres:
            check.error("cadre_id_number", "relative_cadre_unknown")
        elif card is not None and named and named != cadres[card.value]:
            check.error("cadre_name", "relative_cadre_mismatch", name=named, cadre=cadres[card.value])
        errors.extend(_on_sheet(sheet, check.errors))
        if not check.errors and card is not None and name and relation:
            records.append(RelativeRecord(number, sheet, card.value, name, relation, phones or (),
                                          flags["next_of_kin"], flags["in_group"]))
    return records, errors


def _on_sheet(sheet: str, errors: Sequence[RowError]) -> list[RowError]:
    """A problem on the 亲属 sheet names the sheet with the column (亲属!姓名), as Excel does."""
    return [replace(e, column=f"{sheet}!{e.column}" if e.column else sheet) for e in errors]


def _merge(
    sheet_records: Sequence[RelativeRecord], kin: Sequence[RelativeRecord], table: Table | None, sheet: str
) -> tuple[list[RelativeRecord], list[RowError]]:
    """The sheet's relatives with the next of kin of the cadres' rows; a name twice, or two next of kin, is refused."""
    header = table.header_for("relative_name", RELATIVE_COLUMNS) if table is not None else ""
    errors: list[RowError] = []
    by_key: dict[tuple[str, str], RelativeRecord] = {}
    for record in sheet_records:
        key = (record.cadre_id_number, record.name)
        if key in by_key:
            errors.append(RowError(record.row, f"{sheet}!{header}", "relative_duplicate",
                                   {"name": record.name, "others": (str(by_key[key].row),)}))
            continue
        by_key[key] = record
    for record in kin:  # the name beside the cadre is the next of kin, whatever the sheet says of it
        key = (record.cadre_id_number, record.name)
        listed = by_key.get(key)
        if listed is None:
            by_key[key] = record
            continue
        relation = listed.relation if record.relation == OTHER_RELATION else record.relation
        by_key[key] = replace(listed, relation=relation, phones=listed.phones or record.phones, next_of_kin=True)
    kin_of: dict[str, RelativeRecord] = {}
    for record in by_key.values():
        if not record.next_of_kin:
            continue
        first = kin_of.setdefault(record.cadre_id_number, record)
        if first is not record:
            where = f"{sheet}!{table.header_for('next_of_kin', RELATIVE_COLUMNS)}" if record.sheet and table else ""
            errors.append(RowError(record.row, where, "next_of_kin_twice", {"name": record.name, "other": first.name}))
    return list(by_key.values()), errors


def relatives_table(path: Path | str, options: RosterOptions) -> tuple[Table, str] | None:
    """The workbook's 亲属 sheet as a table with its name, or None (no such sheet, or a .csv)."""
    sheet = relatives_sheet(path)
    return (read_table(path, RELATIVE_COLUMNS, options=options, sheet=sheet), sheet) if sheet else None
