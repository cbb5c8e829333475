"""Read a roster or staff sheet (.xlsx or .csv) into rows keyed by canonical field, streaming."""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yinhui.roster.columns import Column
from yinhui.roster.fields import is_blank
from yinhui.roster.messages import Lang, render

RawRow = tuple[int, Sequence[object]]
Row = tuple[int, dict[str, object]]

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv"})
# Some bureaus put a title line ("××县离退休干部花名册") above the header; look this far down.
HEADER_SEARCH_ROWS = 10
_CHUNK = 1 << 18  # bytes per read while checking the encoding
_HEADER_NOISE = re.compile(r"[\s_\-*]")


class RosterFileError(Exception):
    """A problem with the file as a whole: nothing in it can be read as rows."""

    def __init__(self, path: Path | str | None, code: str, **params: object) -> None:
        self.path = Path(path) if path is not None else None
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: Lang = "zh") -> str:
        text = render(self.code, self.params, lang)
        return f"{self.path}: {text}" if self.path is not None else text

    def __str__(self) -> str:
        return self.message("en")


class _RowStream:
    """Data rows of a sheet; every iteration reads the source again, so nothing is held."""

    def __init__(
        self,
        source: Callable[[], Iterator[RawRow]],
        header_row: int,
        positions: Mapping[str, int],
        resume: Iterator[RawRow] | None = None,
    ) -> None:
        self._source = source
        self._header_row = header_row
        self._positions = positions
        # The reader that found the header, already past it: the first pass continues it
        # rather than opening (and for .xlsx, parsing the styles of) the file again.
        self._resume = resume

    def __iter__(self) -> Iterator[Row]:
        raw, self._resume = self._resume or self._source(), None
        for number, values in raw:
            if number <= self._header_row or all(is_blank(v) for v in values):
                continue
            yield (
                number,
                {
                    name: values[index] if index < len(values) else None
                    for name, index in self._positions.items()
                },
            )


@dataclass(frozen=True)
class Table:
    """A sheet: its header row as written, where each field sits, and its data rows.

    ``rows`` yields ``(row_number, {field: raw value})`` with the row numbers a user sees
    in Excel; fields whose (optional) column is absent are not in the dict.
    """

    headers: tuple[str, ...]
    columns: Mapping[str, str]  # canonical field -> header as written
    rows: Iterable[Row] = field(repr=False)
    ignored: tuple[str, ...] = ()
    language: Lang = "zh"
    header_row: int = 1
    encoding: str | None = None
    path: Path | None = None

    def header_for(self, name: str, spec: Sequence[Column] = ()) -> str:
        """The header the user wrote for ``name`` (or our own, in the file's language)."""
        if name in self.columns:
            return self.columns[name]
        for column in spec:
            if column.field == name:
                return column.header(self.language)
        return name


def header_key(text: object) -> str:
    """Matching key for a header: full-width folded, case, spaces, '_', '-', '*' ignored."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(text or ""))).casefold()


def _header_index(columns: Sequence[Column]) -> dict[str, tuple[Column, Lang]]:
    """Header key -> (column, language of that spelling); ASCII spellings count as English."""
    index: dict[str, tuple[Column, Lang]] = {}
    for column in columns:
        for spelling in (column.zh, column.en, *column.aliases):
            key = header_key(spelling)
            index[key] = (column, "en" if key.isascii() else "zh")
    return index


def _matches(values: Sequence[object], index: Mapping[str, object]) -> int:
    return sum(1 for v in values if header_key(v) in index)


def _find_header(
    raw: Iterator[RawRow], index: Mapping[str, object], path: Path | None
) -> tuple[RawRow, bool]:
    """The header row: the first of the first rows naming two known columns, else the
    first non-blank row; and whether ``raw`` stopped right after it (so can go on)."""
    first: RawRow | None = None
    seen = 0
    for number, values in raw:
        if all(is_blank(v) for v in values):
            continue
        first = first or (number, values)
        if _matches(values, index) >= 2:
            return (number, values), True
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise RosterFileError(path, "file_empty")
    return first, seen == 1


def _map_headers(
    headers: Sequence[str], columns: Sequence[Column], path: Path | None
) -> tuple[dict[str, int], dict[str, str], list[str], Lang]:
    index = _header_index(columns)
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    votes = {"zh": 0, "en": 0}
    for position, header in enumerate(headers):
        if not header:
            continue
        found = index.get(header_key(header))
        if found is None:
            ignored.append(header)
            continue
        column, lang = found
        if column.field in positions:
            raise RosterFileError(
                path, "duplicate_header", header=header, other=written[column.field]
            )
        positions[column.field] = position
        written[column.field] = header
        votes[lang] += 1
    language: Lang = "en" if votes["en"] > votes["zh"] else "zh"
    missing = [c.header(language) for c in columns if c.required and c.field not in positions]
    if missing:
        raise RosterFileError(path, "missing_columns", columns=tuple(missing))
    return positions, written, ignored, language


def table_from_source(
    source: Callable[[], Iterator[RawRow]],
    columns: Sequence[Column],
    *,
    path: Path | None = None,
    encoding: str | None = None,
) -> Table:
    """Build a Table over a re-readable source of ``(row_number, values)``."""
    index = _header_index(columns)
    raw = source()
    (header_row, header_values), resumable = _find_header(raw, index, path)
    headers = tuple("" if is_blank(v) else str(v).strip() for v in header_values)
    positions, written, ignored, language = _map_headers(headers, columns, path)
    return Table(
        headers=headers,
        columns=written,
        rows=_RowStream(source, header_row, positions, resume=raw if resumable else None),
        ignored=tuple(ignored),
        language=language,
        header_row=header_row,
        encoding=encoding,
        path=path,
    )


# -- .xlsx ------------------------------------------------------------------------------


def _xlsx_source(path: Path) -> Callable[[], Iterator[RawRow]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    def rows() -> Iterator[RawRow]:
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise RosterFileError(path, "file_unreadable", detail=type(exc).__name__) from exc
        try:
            sheet = workbook.worksheets[0]
            # The stored dimension can be wrong (files written by other tools); trusting
            # it would silently cut rows off, so let openpyxl read to the real end.
            sheet.reset_dimensions()
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        finally:
            workbook.close()

    return rows


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


def _csv_source(path: Path, encoding: str) -> Callable[[], Iterator[RawRow]]:
    # 'utf-8-sig' also reads files without a BOM; it only matters that a BOM is dropped.
    opener = "utf-8-sig" if encoding.startswith("utf-8") else encoding

    def rows() -> Iterator[RawRow]:
        with path.open(encoding=opener, newline="") as handle:
            first_line = handle.readline()
            handle.seek(0)
            # Tab-separated text saved with a .csv name is common enough to honour.
            delimiter = "\t" if "," not in first_line and "\t" in first_line else ","
            yield from enumerate(csv.reader(handle, delimiter=delimiter), start=1)

    return rows


def read_table(path: Path | str, columns: Sequence[Column]) -> Table:
    """Open a .xlsx (first sheet) or .csv file and map its header to ``columns``.

    Raises RosterFileError for problems with the whole file.
    """
    path = Path(path)
    if not path.is_file():
        raise RosterFileError(path, "file_missing")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return table_from_source(_xlsx_source(path), columns, path=path)
    if suffix in CSV_SUFFIXES:
        encoding = detect_encoding(path)
        return table_from_source(_csv_source(path, encoding), columns, path=path, encoding=encoding)
    raise RosterFileError(path, "file_extension", suffix=path.suffix or "(none)")
