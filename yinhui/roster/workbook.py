"""Looks inside an .xlsx before openpyxl opens it, so a hostile file is refused cheaply.

An .xlsx is a zip of XML parts. openpyxl, even read-only, holds the shared-strings table and the
styles whole and builds every cell of a row before handing it over; a 151 KB file holding one
50,000,000-character string cost 675 MB that way. Here the zip directory gives every part's
unpacked size (zipfile never inflates a part past the size it declares), and the shared strings
and the first worksheet are streamed through expat with no text kept: the cells are counted and
any cell whose XML is larger than the longest cell a spreadsheet can hold is found, with where it
is, before anything is built. The reader then checks every value it does read exactly.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

from yinhui.roster.limits import RosterLimits
from yinhui.roster.problems import RosterFileError

_MB = 1024 * 1024
_CHUNK = 1 << 16
_OVERLAP = 64  # bytes kept from one chunk to the next, longer than any element's start
# Bytes of XML one cell of ``max_cell_chars`` characters may take: up to 4 bytes a character,
# 6 for an escaped one (&quot;), and the markup around it (rich-text runs, phonetic hints).
_BYTES_PER_CHAR = 6
_MARKUP_SLACK = 8192
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
# Where a cell (<c ...>, <x:c ...>) or a shared string (<si>) begins, in the raw bytes.
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_STRING_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


class _Stop(Exception):
    """Ends a scan early (the answer is known)."""


def sheet_names(path: Path) -> list[str]:
    """The names of a workbook's sheets, in order, read from its directory (nothing else is parsed)."""
    names: list[str] = []

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet":
            names.append(attrs.get("name", ""))

    try:
        with zipfile.ZipFile(path) as archive:
            _stream(archive, {i.filename: i for i in archive.infolist()}.get("xl/workbook.xml"), on_sheet, None)
    except (zipfile.BadZipFile, OSError, ValueError):
        return []
    return names


def check_workbook(path: Path, limits: RosterLimits, *, sheet: str | None = None) -> None:
    """Refuse an .xlsx that is too big unpacked, has too many cells or an over-long cell.

    ``sheet``: the sheet to be read (by name), when it is not the first.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RosterFileError(path, "file_unreadable", detail=type(exc).__name__) from exc
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        total = sum(info.file_size for info in infos.values())
        if total > limits.max_unpacked_bytes:
            raise RosterFileError(
                path, "xlsx_too_big", size=-(-total // _MB), limit=limits.max_unpacked_mb
            )
        part, shared = _parts(archive, infos, sheet)
        cell_bytes = limits.max_cell_chars * _BYTES_PER_CHAR + _MARKUP_SLACK
        # A quick pass over the bytes counts the elements and spots a suspicious gap; only
        # then does the slower, exact pass run (it finds which string, which cell).
        long_strings: set[int] = set()
        if shared and _suspicious(archive, shared, _STRING_START, cell_bytes, limits, path):
            long_strings = _SharedStrings(archive, shared, cell_bytes, limits, path).run()
        if part is not None and (
            long_strings or _suspicious(archive, part, _CELL_START, cell_bytes, limits, path)
        ):
            where = _Sheet(archive, part, cell_bytes, limits, path).run(long_strings)
            if where:
                raise RosterFileError(path, "cell_too_big", cell=where, limit=limits.max_cell_chars)
        if long_strings:
            # Not on the first sheet, but openpyxl would still load it.
            raise RosterFileError(path, "cell_too_big", cell="?", limit=limits.max_cell_chars)
        whole_limit = limits.max_unpacked_bytes // 4
        for name, info in infos.items():
            # Parts openpyxl reads whole into memory (shared strings, styles): a quarter at most.
            if not name.startswith("xl/worksheets/") and info.file_size > whole_limit:
                raise RosterFileError(
                    path, "xlsx_too_big", size=-(-info.file_size // _MB), limit=whole_limit // _MB
                )


def _suspicious(archive: zipfile.ZipFile, part: str, start: re.Pattern[bytes], cell_bytes: int,
                limits: RosterLimits, path: Path) -> bool:  # fmt: skip
    """Whether two starts of ``start`` (a cell, a shared string) lie further apart than any cell
    may take; refuses more of them than ``max_cells``. Bytes only, no XML is parsed."""
    count, last, base, data = 0, 0, 0, b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK * 16)
            data += chunk
            # A start in the last bytes may be cut by the chunk's end: it waits for the next.
            limit = len(data) if not chunk else len(data) - _OVERLAP
            for match in start.finditer(data):
                if match.start() >= limit:
                    break
                position = base + match.start()
                if count and position - last > cell_bytes:
                    return True
                count, last = count + 1, position
            if count > limits.max_cells:
                raise RosterFileError(path, "too_many_cells", limit=limits.max_cells)
            if not chunk:
                return count > 0 and base + len(data) - last > cell_bytes
            base, data = base + limit, data[limit:]


def _parts(
    archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], wanted: str | None = None
) -> tuple[str | None, str | None]:
    """The first worksheet (or the one named ``wanted``) and the shared strings, as the
    workbook's relations name them."""
    first_id: list[str] = []

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet" and (wanted is None or attrs.get("name") == wanted):
            first_id.append(attrs.get(f"{_REL_NS} id") or attrs.get("r:id", ""))
            raise _Stop

    targets: dict[str, str] = {}
    shared: list[str] = []

    def on_rel(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            target = posixpath.normpath(posixpath.join("xl", attrs.get("Target", "")))
            if attrs.get("Target", "").startswith("/"):
                target = attrs["Target"].lstrip("/")
            targets[attrs.get("Id", "")] = target
            if attrs.get("Type", "").endswith("/sharedStrings"):
                shared.append(target)

    _stream(archive, infos.get("xl/workbook.xml"), on_sheet, None)
    _stream(archive, infos.get("xl/_rels/workbook.xml.rels"), on_rel, None)
    sheet = targets.get(first_id[0]) if first_id else None
    shared_part = shared[0] if shared else "xl/sharedStrings.xml"
    return (
        sheet if sheet in infos else None,
        shared_part if shared_part in infos else None,
    )


def _stream(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo | None,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None,
    setup: Callable[[expat.XMLParserType], None] | None = None,
) -> None:
    """Feed a part through expat in chunks; handlers may raise _Stop to end early."""
    if info is None:
        return
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if setup is not None:
        setup(parser)
    try:
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError):
        return  # a broken part: openpyxl will say so, as it does for any damaged file


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


class _Scan:
    """One streamed part: where the current element began, the parser that reads it."""

    def __init__(self, archive: zipfile.ZipFile, part: str, cell_bytes: int,
                 limits: RosterLimits, path: Path) -> None:  # fmt: skip
        self.archive, self.info = archive, archive.getinfo(part)
        self.cell_bytes, self.limits, self.path = cell_bytes, limits, path
        self.parser: expat.XMLParserType | None = None
        self.count = 0
        self.began = 0

    def setup(self, parser: expat.XMLParserType) -> None:
        self.parser = parser

    def here(self) -> int:
        assert self.parser is not None
        return self.parser.CurrentByteIndex

    def counted(self) -> None:
        self.count += 1
        if self.count > self.limits.max_cells:
            raise RosterFileError(self.path, "too_many_cells", limit=self.limits.max_cells)
        self.began = self.here()

    def too_big(self) -> bool:
        return self.here() - self.began > self.cell_bytes


class _SharedStrings(_Scan):
    """Indexes of the shared strings too long for a cell; too many strings are refused."""

    def run(self) -> set[int]:
        self.long: set[int] = set()
        _stream(self.archive, self.info, self.start, self.end, self.setup)
        return self.long

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "si":
            self.counted()

    def end(self, name: str) -> None:
        if _local(name) == "si" and self.too_big():
            self.long.add(self.count - 1)


class _Sheet(_Scan):
    """Counts the cells of a sheet (refusing too many); finds the first over-long cell."""

    def run(self, long_strings: set[int]) -> str | None:
        self.long_strings = long_strings
        self.row = self.column = 0
        self.ref = ""
        self.shared = False
        self.text: list[str] = []
        self.found: str | None = None
        _stream(self.archive, self.info, self.start, self.end, self.setup)
        return self.found

    def setup(self, parser: expat.XMLParserType) -> None:
        super().setup(parser)
        if self.long_strings:
            # Only when a shared string is too long: read cell values to find where it is used.
            parser.CharacterDataHandler = self.data

    def data(self, text: str) -> None:
        if self.shared and len(self.text) < 8:
            self.text.append(text)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            self.column = 0
        elif local == "c":
            self.counted()
            self.shared = attrs.get("t") == "s"
            self.ref = self._reference(attrs.get("r"))
            self.text.clear()

    def end(self, name: str) -> None:
        if _local(name) != "c":
            return
        value = "".join(self.text).strip()
        if self.too_big() or (value.isdigit() and int(value) in self.long_strings):
            self.found = self.ref
            raise _Stop

    def _reference(self, ref: str | None) -> str:
        """The cell's A1 reference: as written, or counted when the file leaves it out."""
        match = _CELL_REF.match(ref or "")
        self.column = _column_number(match.group(1)) if match else self.column + 1
        return ref if match and ref else f"{column_letter(self.column)}{self.row}"


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letter(number: int) -> str:
    """1 → A, 27 → AA: the letters Excel shows above a column."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
