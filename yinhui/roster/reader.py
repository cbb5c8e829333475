"""Read a roster or staff sheet (.xlsx or .csv) into rows keyed by canonical field, streaming.

Real sheets carry a title line above the header (a merged 「XX县离退休干部花名册」), sometimes a
second header line, a 序号 column, blank separator rows and a closing 合计/填表人 line: the
header is looked for in the first rows, header lines are read together, only the columns
needed are read, and a row counts as data only when a known column holds something.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from yinhui.roster.columns import Column, with_vocabulary
from yinhui.roster.fields import cell_text, is_blank
from yinhui.roster.headers import HeaderMap, find_header
from yinhui.roster.limits import DEFAULT_OPTIONS, RosterLimits, RosterOptions
from yinhui.roster.messages import Lang
from yinhui.roster.problems import RosterFileError, RowError
from yinhui.roster.synonyms import CLOSING_WORDS, EMPTY_WORDS, RELATIVE_SHEETS, word_key
from yinhui.roster.workbook import check_workbook, column_letter, sheet_names

__all__ = ["RosterFileError", "Table", "detect_encoding", "read_table", "relatives_sheet", "table_from_source"]

RawRow = tuple[int, Sequence[object]]
Row = tuple[int, dict[str, object]]
Source = Callable[[int], Iterator[RawRow]]  # width -> (row number, the first ``width`` cells)

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv"})
_CHUNK = 1 << 18  # bytes per read while checking the encoding
_CLOSING_KEYS = tuple(word_key(w) for w in CLOSING_WORDS)
_EMPTY_KEYS = frozenset(word_key(w) for w in EMPTY_WORDS)
_MULTI_SEPARATOR = "；"


class _RowStream:
    """Data rows of a sheet; every iteration reads the source again, so nothing is held."""

    def __init__(self, source: Source, header: HeaderMap, limits: RosterLimits,
                 notes: list[RowError], path: Path | None) -> None:  # fmt: skip
        self._source, self._header, self._limits = source, header, limits
        self._notes, self._path = notes, path

    def __iter__(self) -> Iterator[Row]:
        header, limits = self._header, self._limits
        width = header.width
        positions = header.positions
        self._notes.clear()
        count = 0
        for number, values in self._source(width):
            if number <= header.last_row or not any(v is not None and v != "" for v in values):
                continue
            cells = {name: _cell(values, spots) for name, spots in positions.items()}
            if all(is_blank(v) for v in cells.values()):
                continue  # a separator row, or one with stray cells outside the known columns
            self._check_sizes(number, values, limits)
            closing = _closing_text(values)
            if closing is not None and is_blank(cells.get("id_number")):
                self._notes.append(RowError(number, "", "closing_line", {"value": closing}))
                continue
            count += 1
            if count > limits.max_rows:
                raise RosterFileError(self._path, "too_many_rows", limit=limits.max_rows)
            yield number, cells

    def _check_sizes(self, number: int, values: Sequence[object], limits: RosterLimits) -> None:
        for index, value in enumerate(values):
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                raise RosterFileError(
                    self._path, "cell_too_big", cell=f"{column_letter(index + 1)}{number}",
                    limit=limits.max_cell_chars,
                )  # fmt: skip


def _cell(values: Sequence[object], spots: tuple[int, ...]) -> object:
    """The value of a field; a field spread over several columns (two phone columns) is joined."""
    if len(spots) == 1:
        return values[spots[0]] if spots[0] < len(values) else None
    present = [
        values[i] for i in spots
        if i < len(values) and not is_blank(values[i]) and word_key(values[i]) not in _EMPTY_KEYS
    ]  # fmt: skip
    if len(present) <= 1:
        return present[0] if present else None
    return _MULTI_SEPARATOR.join(cell_text(v) for v in present)


def _closing_text(values: Sequence[object]) -> str | None:
    """The text of a closing line (合计: 240 人, 填表人: …), judged by its first non-empty cell."""
    for value in values:
        if not is_blank(value):
            text = cell_text(value)
            key = word_key(text[:12])
            return text[:40] if key.startswith(_CLOSING_KEYS) else None
    return None


@dataclass(frozen=True)
class Table:
    """A sheet: its header row as written, where each field sits, and its data rows.

    ``rows`` yields ``(row_number, {field: raw value})`` with the row numbers a user sees
    in Excel; fields whose (optional) column is absent are not in the dict. ``notes`` gets,
    while the rows are read, the lines read past (a closing 合计 line).
    """

    headers: tuple[str, ...]
    columns: Mapping[str, str]  # canonical field -> header as written
    rows: Iterable[Row] = field(repr=False)
    ignored: tuple[str, ...] = ()
    language: Lang = "zh"
    header_row: int = 1
    encoding: str | None = None
    path: Path | None = None
    notes: list[RowError] = field(default_factory=list, repr=False, compare=False)

    def header_for(self, name: str, spec: Sequence[Column] = ()) -> str:
        """The header the user wrote for ``name`` (or our own, in the file's language)."""
        if name in self.columns:
            return self.columns[name]
        for column in spec:
            if column.field == name:
                return column.header(self.language)
        return name


def table_from_source(
    source: Source,
    columns: Sequence[Column],
    *,
    path: Path | None = None,
    encoding: str | None = None,
    options: RosterOptions = DEFAULT_OPTIONS,
) -> Table:
    """Build a Table over a re-readable source of ``(row_number, values)``."""
    columns = with_vocabulary(columns, options.vocabulary)
    header = find_header(source(options.limits.max_columns), columns, options, path)
    notes: list[RowError] = []
    return Table(
        headers=header.headers,
        columns=header.written,
        rows=_RowStream(source, header, options.limits, notes, path),
        ignored=header.ignored,
        language=header.language,
        header_row=header.row,
        encoding=encoding,
        path=path,
        notes=notes,
    )


# -- .xlsx ------------------------------------------------------------------------------

_XLSX_READ_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError, EOFError)


class _XlsxSource:
    """The first sheet's rows. The workbook opened to find the header is kept for the first
    pass over the rows (opening it again would parse its shared strings and styles again);
    every later pass opens the file anew, so nothing is held between passes."""

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        self.path, self.sheet = path, sheet
        self._kept: Any = None

    def _open(self) -> Any:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            return load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, *_XLSX_READ_ERRORS) as exc:
            raise RosterFileError(self.path, "file_unreadable", detail=type(exc).__name__) from exc

    def __call__(self, width: int) -> Iterator[RawRow]:
        workbook, self._kept = self._kept or self._open(), None
        finished = False
        try:
            sheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            # The stored dimension can be wrong (files written by other tools); trusting
            # it would silently cut rows off, so let openpyxl read to the real end.
            sheet.reset_dimensions()
            yield from enumerate(sheet.iter_rows(values_only=True, max_col=width), start=1)
            finished = True
        except _XLSX_READ_ERRORS as exc:
            raise RosterFileError(self.path, "file_unreadable", detail=type(exc).__name__) from exc
        finally:
            if finished or self._kept is not None:
                workbook.close()
            else:
                self._kept = workbook  # stopped early (the header search): the rows come next


# -- .csv -------------------------------------------------------------------------------


def _decodes_as(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes, read in chunks so a big file is never held."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' (with BOM), 'utf-8', 'gb18030' (which covers GBK and GB2312), or
    'utf-16' when a UTF-16 BOM is present (Excel's "Unicode text" export)."""
    with path.open("rb") as handle:
        start = handle.read(len(codecs.BOM_UTF8))
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and _decodes_as(path, "utf-16"):
        return "utf-16"
    if _decodes_as(path, "utf-8-sig"):
        return "utf-8-sig" if start == codecs.BOM_UTF8 else "utf-8"
    if _decodes_as(path, "gb18030"):
        return "gb18030"
    raise RosterFileError(path, "file_decode")


def _csv_source(path: Path, encoding: str, limits: RosterLimits) -> Source:
    # 'utf-8-sig' also reads files without a BOM; it only matters that a BOM is dropped.
    opener = "utf-8-sig" if encoding.startswith("utf-8") else encoding
    # No line of a roster is near this long; reading stops here rather than holding a huge one.
    line_limit = limits.max_cell_chars * 4

    def rows(width: int) -> Iterator[RawRow]:
        number = 0

        def lines(handle: TextIO) -> Iterator[str]:
            while line := handle.readline(line_limit):
                if len(line) >= line_limit and not line.endswith("\n"):
                    raise RosterFileError(
                        path, "row_cell_too_big", row=number + 1, limit=limits.max_cell_chars
                    )
                yield line

        with path.open(encoding=opener, newline="") as handle:
            first_line = handle.readline(line_limit)
            handle.seek(0)
            # Tab-separated text saved with a .csv name is common enough to honour.
            delimiter = "\t" if "," not in first_line and "\t" in first_line else ","
            reader = csv.reader(lines(handle), delimiter=delimiter)
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    code = "row_cell_too_big" if "field limit" in str(exc) else "csv_broken"
                    raise RosterFileError(
                        path, code, row=number + 1, limit=limits.max_cell_chars, detail=str(exc)[:60]
                    ) from None
                number += 1
                yield number, values[:width]

    return rows


def read_table(
    path: Path | str, columns: Sequence[Column], *, options: RosterOptions | None = None,
    sheet: str | None = None,
) -> Table:
    """Open a .xlsx (first sheet, or ``sheet``) or .csv file and map its header to ``columns``.

    ``options`` carry the words in force (a bureau's playbook adds its own) and the limits.
    Raises RosterFileError for problems with the whole file, also while its rows are read.
    """
    options = options or DEFAULT_OPTIONS
    path = Path(path)
    if not path.is_file():
        raise RosterFileError(path, "file_missing")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        check_workbook(path, options.limits, sheet=sheet)
        return table_from_source(_XlsxSource(path, sheet), columns, path=path, options=options)
    if suffix in CSV_SUFFIXES:
        encoding = detect_encoding(path)
        source = _csv_source(path, encoding, options.limits)
        return table_from_source(source, columns, path=path, encoding=encoding, options=options)
    raise RosterFileError(path, "file_extension", suffix=path.suffix or "(none)")


def relatives_sheet(path: Path | str) -> str | None:
    """The name of a workbook's relatives sheet (亲属, 家属, 亲属信息 ...) after its first, or None
    (a .csv has one sheet only)."""
    path = Path(path)
    if path.suffix.lower() not in XLSX_SUFFIXES or not path.is_file():
        return None
    wanted = {word_key(name) for name in RELATIVE_SHEETS}
    return next((name for name in sheet_names(path)[1:] if word_key(name) in wanted), None)
