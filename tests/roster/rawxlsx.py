"""Writes .xlsx files part by part, as a hostile tool could: huge cells, stray cells, inline strings.

openpyxl cannot write such files cheaply (it would hold a 50-million-character string several
times); here every part is streamed into the zip, so the test itself stays small.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""


class Huge:
    """A cell of ``length`` copies of ``char``, written in pieces, never built whole."""

    def __init__(self, length: int, char: str = "路") -> None:
        self.length, self.char = length, char

    def pieces(self) -> Iterator[str]:
        left = self.length
        while left > 0:
            step = min(left, 1 << 20)
            yield self.char * step
            left -= step


def column_letter(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


Cell = object  # str, int, float, Huge or None


def write_raw_xlsx(path: Path, rows: Iterable[tuple[int, Sequence[tuple[int, Cell]]]]) -> Path:
    """``rows``: (row number, [(column number, value), ...]); text goes to the shared strings."""
    strings: list[str | Huge] = []
    index: dict[str, int] = {}  # repeated text is stored once, as spreadsheets do
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b"<sheetData>")
            for number, cells in rows:
                parts = [f'<row r="{number}">']
                for column, value in cells:
                    ref = f"{column_letter(column)}{number}"
                    if value is None:
                        continue
                    if isinstance(value, int | float):
                        parts.append(f'<c r="{ref}"><v>{value}</v></c>')
                    else:
                        text = value if isinstance(value, Huge) else str(value)
                        if isinstance(text, Huge) or text not in index:
                            strings.append(text)
                            if isinstance(text, str):
                                index[text] = len(strings) - 1
                        at = index[text] if isinstance(text, str) else len(strings) - 1
                        parts.append(f'<c r="{ref}" t="s"><v>{at}</v></c>')
                parts.append("</row>")
                sheet.write("".join(parts).encode())
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
            shared.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for text in strings:
                shared.write(b"<si><t>")
                for piece in text.pieces() if isinstance(text, Huge) else [text]:
                    shared.write(escape(piece).encode())
                shared.write(b"</t></si>")
            shared.write(b"</sst>")
    return path


def numbered(rows: Sequence[Sequence[Cell]], first: int = 1) -> list[tuple[int, list[tuple[int, Cell]]]]:
    """Plain rows (lists of cells from column A) in the form ``write_raw_xlsx`` takes."""
    return [(first + i, [(c + 1, v) for c, v in enumerate(row)]) for i, row in enumerate(rows)]
