"""Tables for people: plain text that lines up with Chinese characters (each is two columns wide),
and the same table drawn by Rich on a terminal.

Plain text goes to pipes, files, tests and Markdown artifacts: no colours, no box characters, two
spaces between columns, a dashed line under the header, nothing cut or wrapped. On a terminal
Rich draws it with a bold header over a rule, when it fits the window; a table wider than the
window, or longer than RICH_ROWS rows (Rich needs about 0.3 ms a row; nobody reads ten thousand
rows on screen), is printed plain there too, so no cell is ever cut or folded.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, TextIO

if TYPE_CHECKING:
    from rich.table import Table as RichTable

RICH_ROWS = 2000


class Table(NamedTuple):
    """A table to print: its headers, its rows and which columns are numbers (right-aligned)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    numeric: Sequence[int] = ()

    def __str__(self) -> str:
        return render(self.headers, self.rows, numeric=self.numeric)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, size: int, *, right: bool = False) -> str:
    gap = " " * max(size - width(text), 0)
    return gap + text if right else text + gap


def _cells(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[list[str]]:
    return [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], *, numeric: Sequence[int] = ()) -> str:
    """The table as plain text (what a pipe, a file or a Markdown code block gets)."""
    cells = _cells(headers, rows)
    sizes = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(pad(v, sizes[i], right=i in numeric) for i, v in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


def rich_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, numeric: Sequence[int] = ()) -> RichTable:
    """The table for Rich: bold header over a rule, no vertical lines, cells taken literally (no markup)."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    cells = _cells(headers, rows)
    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for i, header in enumerate(cells[0]):
        table.add_column(Text(header), justify="right" if i in numeric else "left", no_wrap=True)
    for row in cells[1:]:
        table.add_row(*(Text(value) for value in row))
    return table


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = (), *, file: TextIO | None = None
) -> None:
    """Print the table to `file` (stdout): Rich on a terminal, plain text anywhere else."""
    stream = file or sys.stdout
    if is_terminal(stream) and len(rows) <= RICH_ROWS:
        from rich.console import Console
        from rich.measure import Measurement

        console = Console(file=stream, highlight=False, emoji=False, markup=False)
        table = rich_table(headers, rows, numeric=numeric)
        if Measurement.get(console, console.options.update_width(10**6), table).maximum <= console.width:
            console.print(table)
            return
    print(render(headers, rows, numeric=numeric), file=stream)
