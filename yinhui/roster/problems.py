"""What can be wrong with a roster: the whole file (RosterFileError) or one cell (RowError), and
the list a user reads: every problem of the file in one round, the first ones listed, the rest
counted by kind."""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yinhui.roster.messages import (
    ROW_ONLY_PREFIX,
    ROW_PREFIX,
    Lang,
    more_problems,
    render,
    translate,
)


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


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell (or, with an empty column, one row).

    ``column`` is the header exactly as the file wrote it, so the user can find the cell.
    """

    row: int
    column: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def message(self, lang: Lang = "zh") -> str:
        prefix = ROW_PREFIX if self.column else ROW_ONLY_PREFIX
        where = translate(prefix, lang).format(row=self.row, column=self.column)
        return where + render(self.code, self.params, lang)


class ProblemList:
    """Collects problems in any order and keeps the ``limit`` with the lowest row numbers;
    every problem, kept or not, is counted by kind. Memory stays bounded however bad the file."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 0)
        self._heap: list[tuple[int, int, RowError]] = []  # (-row, -order, error): a max-heap
        self._order = itertools.count()
        self.counts: Counter[str] = Counter()

    def add(self, error: RowError) -> None:
        self.counts[error.code] += 1
        item = (-error.row, -next(self._order), error)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        elif self._heap and item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.add(error)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def listed(self) -> list[RowError]:
        """The problems kept, by row (and, within a row, in the order found)."""
        return [error for _, _, error in sorted(self._heap, key=lambda i: (-i[0], -i[1]))]

    def omitted(self) -> dict[str, int]:
        """Kind → how many problems of that kind are not in ``listed()``."""
        left = self.counts - Counter(error.code for error in self.listed())
        return dict(left)


def omitted_line(omitted: Mapping[str, int], lang: Lang = "zh") -> str | None:
    """The line printed after a cut list, or None when nothing was left out."""
    return more_problems(omitted, lang) if any(omitted.values()) else None
