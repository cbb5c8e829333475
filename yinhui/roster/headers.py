"""Finding the header of a sheet among its first rows and mapping each column to a field.

The header is the row naming the most known columns within the first ``header_rows`` non-blank
rows (a title line names none). Header lines next to it are read with it: a line above that
names a column or two (a grouped header, 「联系方式」 over 手机号码 and 固定电话), or a line
below naming two or more (a second, English header line); where the header row itself is empty
(a cell merged down from the line above) the other line's header is taken.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from yinhui.roster.columns import Column
from yinhui.roster.fields import is_blank
from yinhui.roster.limits import RosterOptions
from yinhui.roster.messages import Lang
from yinhui.roster.problems import RosterFileError
from yinhui.roster.safety import show_safely
from yinhui.roster.synonyms import CONTEXT_HEADERS, MULTI_COLUMN_FIELDS, word_key

RawRow = tuple[int, Sequence[object]]
_SHOWN = 40  # characters of a header shown in a message
_ROWS_PER_HEADER_ROW = 10  # rows looked at (blank ones included) per non-blank row wanted


@dataclass(frozen=True)
class HeaderMap:
    """Where each field sits: the header block's rows, its headers as written, the positions."""

    row: int  # the header row (the one naming the most columns)
    last_row: int  # the last header line; data starts below it
    headers: tuple[str, ...]
    positions: Mapping[str, tuple[int, ...]]  # field -> column positions (0-based)
    written: Mapping[str, str]  # field -> header(s) as written
    ignored: tuple[str, ...]
    language: Lang

    @property
    def width(self) -> int:
        """Columns to read: up to the last known one."""
        return max((p for spots in self.positions.values() for p in spots), default=-1) + 1


def header_key(text: object) -> str:
    """Matching key for a header (see ``synonyms.word_key``)."""
    return word_key(text)


def _header_index(columns: Sequence[Column]) -> dict[str, tuple[Column, Lang]]:
    """Header key -> (column, language of that spelling); ASCII spellings count as English."""
    index: dict[str, tuple[Column, Lang]] = {}
    for column in columns:
        for spelling in column.spellings:
            key = header_key(spelling)
            index.setdefault(key, (column, "en" if key.isascii() else "zh"))
    return index


def _text(value: object) -> str:
    return "" if is_blank(value) else str(value).strip()


def _score(values: Sequence[object], index: Mapping[str, tuple[Column, Lang]]) -> int:
    """How many distinct fields a row names."""
    return len({index[k][0].field for k in map(header_key, values) if k in index})


def _first_rows(raw: Iterator[RawRow], count: int) -> list[RawRow]:
    """The first ``count`` non-blank rows, looking no further than ``count`` * 10 rows down
    (a sheet whose rows hold only a stray cell far to the right must not be read to its end)."""
    rows: list[RawRow] = []
    try:
        for number, values in raw:
            if number > count * _ROWS_PER_HEADER_ROW:
                break
            if any(v is not None and v != "" for v in values) and not all(map(is_blank, values)):
                rows.append((number, values))
                if len(rows) >= count:
                    break
    finally:
        close = getattr(raw, "close", None)
        if close is not None:
            close()  # releases the workbook the rows came from
    return rows


def _block(rows: list[RawRow], scores: list[int], best: int) -> list[int]:
    """The header lines read together: the best row and its adjacent header-like lines."""
    block = [best]
    if scores[best] < 2:
        return block
    above = best - 1
    while above >= 0 and rows[above][0] == rows[above + 1][0] - 1 and scores[above] >= 1:
        block.insert(0, above)
        above -= 1
    below = best + 1
    while below < len(rows) and rows[below][0] == rows[below - 1][0] + 1 and scores[below] >= 2:
        block.append(below)
        below += 1
    return block


def find_header(
    raw: Iterator[RawRow], columns: Sequence[Column], options: RosterOptions, path: Path | None
) -> HeaderMap:
    """Find and map the header; RosterFileError if the file is empty or lacks a required column."""
    index = _header_index(columns)
    rows = _first_rows(raw, options.limits.header_rows)
    if not rows:
        raise RosterFileError(path, "file_empty")
    scores = [_score(values, index) for _, values in rows]
    best = max(range(len(rows)), key=lambda i: (scores[i], -i))
    if scores[best] < 2:
        best = 0  # nothing looks like a header: the first row is, and its gaps are reported
    block = _block(rows, scores, best)
    width = max(len(rows[i][1]) for i in block)
    chosen: list[str] = []
    for position in range(width):
        line = [_text(rows[i][1][position]) if position < len(rows[i][1]) else "" for i in block]
        own = line[block.index(best)]
        known = [text for text in line if header_key(text) in index]
        chosen.append(own if own and header_key(own) in index else (known[-1] if known else own))
    while chosen and not chosen[-1]:
        chosen.pop()  # the row was read wide; the header ends at its last filled cell
    return _map(chosen, columns, options, (rows[best][0], rows[block[-1]][0]), path)


def _in_context(
    chosen: Sequence[str], columns: Sequence[Column], index: Mapping[str, tuple[Column, Lang]]
) -> dict[str, tuple[Column, Lang]]:
    """Headers that name another column beside certain others (联系人 beside 联系人电话: the next of kin)."""
    present = {index[key][0].field for key in map(header_key, chosen) if key in index}
    by_field = {column.field: column for column in columns}
    moved: dict[str, tuple[Column, Lang]] = {}
    for header, (field, beside) in CONTEXT_HEADERS.items():
        key = header_key(header)
        if key in map(header_key, chosen) and field in by_field and field not in present and present & beside:
            moved[key] = (by_field[field], "zh")
    return moved


def _map(
    chosen: list[str],
    columns: Sequence[Column],
    options: RosterOptions,
    header_rows: tuple[int, int],
    path: Path | None,
) -> HeaderMap:
    index = _header_index(columns)
    index.update(_in_context(chosen, columns, index))
    positions: dict[str, list[int]] = {}
    written: dict[str, list[str]] = {}
    ignored: list[str] = []
    votes = {"zh": 0, "en": 0}
    for position, header in enumerate(chosen):
        if not header:
            continue
        found = index.get(header_key(header))
        shown = show_safely(header)[:_SHOWN]
        if found is None:
            if not options.vocabulary.quiet(header):
                ignored.append(shown)
            continue
        column, lang = found
        if column.field in positions and column.field not in MULTI_COLUMN_FIELDS:
            raise RosterFileError(
                path, "duplicate_header", header=shown, other=written[column.field][0]
            )
        positions.setdefault(column.field, []).append(position)
        written.setdefault(column.field, []).append(shown)
        votes[lang] += 1
    language: Lang = "en" if votes["en"] > votes["zh"] else "zh"
    missing = [c.header(language) for c in columns if c.required and c.field not in positions]
    if missing:
        raise RosterFileError(path, "missing_columns", columns=tuple(missing))
    return HeaderMap(
        row=header_rows[0],
        last_row=header_rows[1],
        headers=tuple(show_safely(h)[:_SHOWN] for h in chosen),
        positions={f: tuple(p) for f, p in positions.items()},
        written={f: "/".join(w) for f, w in written.items()},
        ignored=tuple(ignored),
        language=language,
    )
