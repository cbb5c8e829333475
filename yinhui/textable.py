"""Plain-text tables that line up with Chinese characters (each is two columns wide)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, size: int, *, right: bool = False) -> str:
    gap = " " * max(size - width(text), 0)
    return gap + text if right else text + gap


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], *, numeric: Sequence[int] = ()) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    sizes = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(pad(v, sizes[i], right=i in numeric) for i, v in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)
