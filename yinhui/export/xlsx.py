"""Excel workbooks of reports and task lists: one sheet per table, as a leader reading them expects.

The header row is bold, shaded, frozen and filtered; columns are as wide as their widest cell
(a Chinese character counts as two); dates are date cells and figures number cells, so a
spreadsheet sorts and sums them; every text cell goes through ``escape_for_spreadsheet``, so a
name that looks like a formula shows as text and never runs. The file appears whole or not at
all: it is written beside the target under a temporary name and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from yinhui.roster.safety import escape_for_spreadsheet, is_number

Kind = Literal["text", "number", "date", "datetime", "percent"]

MIN_WIDTH, MAX_WIDTH = 6, 60
SHEET_TITLE_LIMIT = 31  # Excel's
_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
FORMATS: dict[str, str] = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "percent": "0.0%"}
HEADER_FILL = "DDEBF7"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what the xlsx format cannot hold


@dataclass(frozen=True)
class Column:
    """A column: its header as the reader sees it, and what its cells hold."""

    header: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Sheet:
    """One table of a workbook: a title (its tab), the columns and the rows (one value per column)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]


def display_width(text: str) -> int:
    """How many columns ``text`` takes in a spreadsheet's default font: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def grid_levels(path: str | None, county: str) -> tuple[str, str, str]:
    """The three grid levels (县, 乡镇/社区, 村/小区) of a grid path such as 城关镇/东街村, one per column."""
    if not path or path == "?":
        return "", "", ""
    if path == county:
        return county, "", ""
    township, _, base = path.partition("/")
    return county, township, base


def _as_date(value: object) -> object:
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _as_datetime(value: object) -> object:
    if isinstance(value, str) and value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from yinhui import clock

        return value.astimezone(clock.tz()).replace(tzinfo=None)  # Excel has no time zones: local time
    return value


def cell_value(value: object, kind: Kind) -> object:
    """What a cell stores: a date for a date column (ISO text is read), a number stays a number, text escaped."""
    if value is None or value == "":
        return None
    if kind == "date":
        value = _as_date(value)
        if isinstance(value, dt.datetime):
            value = value.date()
    elif kind == "datetime":
        value = _as_datetime(value)
    if isinstance(value, dt.date | bool) or is_number(value):
        return value
    # A control character (an escape sequence pasted into a chat note) cannot be stored in xlsx at all.
    return escape_for_spreadsheet(_ILLEGAL.sub("\ufffd", str(value)))


def _shown(value: object, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "date" and isinstance(value, dt.date):
        return "2026-01-01"
    if kind == "datetime" and isinstance(value, dt.datetime):
        return "2026-01-01 00:00"
    if kind == "percent" and is_number(value):
        return "100.0%"
    return str(value)


def sheet_title(title: str, taken: set[str]) -> str:
    """A tab name Excel accepts (31 characters, none of []:*?/\\), unique within the workbook."""
    base = (title.translate(_TITLE_FORBIDDEN).strip("' ") or "Sheet")[:SHEET_TITLE_LIMIT]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` to ``path`` as one workbook, all at once: a failure leaves no file behind.

    The folder must exist (the caller says so beforehand, in the reader's words).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(sheet_title(sheet.title, taken))
        kinds = [c.kind for c in sheet.columns]
        ws.append([escape_for_spreadsheet(c.header) for c in sheet.columns])
        widths = [display_width(c.header) for c in sheet.columns]
        for row in sheet.rows:
            values = [cell_value(v, k) for v, k in zip(row, kinds, strict=True)]
            ws.append(values)
            for n, (value, kind) in enumerate(zip(values, kinds, strict=True)):
                widths[n] = max(widths[n], display_width(_shown(value, kind)))
        for n, kind in enumerate(kinds, start=1):
            if kind in FORMATS:
                for (cell,) in ws.iter_rows(min_row=2, min_col=n, max_col=n):
                    cell.number_format = FORMATS[kind]
        bold, fill = Font(bold=True), PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(vertical="center")
        for n, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(n)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
        ws.freeze_panes = "A2"
        if sheet.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(len(sheet.rows) + 1, 1)}"
    if not sheets:
        book.create_sheet("Sheet")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        book.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
