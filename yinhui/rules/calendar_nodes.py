"""The bureau's calendar nodes (两个节点): festivals and holidays, plus its own task dates.

Festival dates are computed for any year in ``MIN_YEAR..MAX_YEAR`` with lunar_python (农历 and
二十四节气 tables); nothing here is typed in per year. Bureau task nodes (anniversaries, the
yearly assessment, campaign deadlines) are plain data the caller passes in as ``BureauNode``.

A node belongs to the Gregorian year its date falls in. Every built-in node occurs exactly once a
year; a bureau node may occur zero times (a one-off in another year) or, when it is a lunar date
late in the lunar year (冬月/腊月), twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from lunar_python import Lunar, LunarMonth, Solar

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "BureauNode",
    "Node",
    "NodeKind",
    "NotInYearError",
    "builtin_keys",
    "node_date",
    "nodes_for_year",
]

MIN_YEAR = 1950
MAX_YEAR = 2100

NodeKind = Literal["lunar_festival", "solar_term", "fixed", "bureau"]

_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


class NotInYearError(LookupError):
    """A known node has no occurrence where one was asked for (e.g. a one-off in another year)."""


@dataclass(frozen=True)
class Node:
    """One dated occurrence of a calendar node (节点)."""

    key: str
    name_zh: str
    name_en: str
    date: dt.date
    kind: NodeKind
    note: str | None = None


@dataclass(frozen=True)
class BureauNode:
    """A bureau task node (重要任务节点) entered as data.

    ``year=None`` means it recurs every year; a year makes it a one-off. With ``lunar=True``,
    month and day are a lunar date (regular month, never the leap month 闰月) and ``year`` is the
    lunar year.
    """

    key: str
    name_zh: str
    name_en: str
    month: int
    day: int
    year: int | None = None
    lunar: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        problem = _bureau_node_problem(self)
        if problem:
            raise ValueError(f"bureau node {self.key!r}: {problem}")


@dataclass(frozen=True)
class _Builtin:
    key: str
    name_zh: str
    name_en: str
    kind: NodeKind
    compute: Callable[[int], dt.date]
    note: str | None = None


def _bureau_node_problem(node: BureauNode) -> str | None:
    if not _KEY_PATTERN.fullmatch(node.key):
        # Keys end up in ICS UIDs and in config files; keep them boring.
        return "key must be lower-case letters, digits and '_', starting with a letter"
    if node.key in _BUILTINS:
        return "key is already a built-in node"
    if not 1 <= node.month <= 12:
        return f"month {node.month} is not 1..12"
    if node.year is not None and not MIN_YEAR <= node.year <= MAX_YEAR:
        return f"year {node.year} is outside {MIN_YEAR}..{MAX_YEAR}"
    if node.lunar:
        # Lunar months have 29 or 30 days; day 30 is moved to 29 in short months.
        return None if 1 <= node.day <= 30 else f"lunar day {node.day} is not 1..30"
    if node.year is None and (node.month, node.day) == (2, 29):
        return "a yearly node cannot fall on 02-29; choose 02-28 or 03-01"
    try:
        dt.date(node.year or 2000, node.month, node.day)  # 2000 is a leap year
    except ValueError:
        return f"{node.month:02d}-{node.day:02d} is not a calendar date"
    return None


def _lunar_to_solar(lunar_year: int, month: int, day: int) -> dt.date:
    solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_month_length(lunar_year: int, month: int) -> int:
    return int(LunarMonth.fromYm(lunar_year, month).getDayCount())


def _lunar(month: int, day: int) -> Callable[[int], dt.date]:
    # Every built-in lunar festival is in months 1..9, so lunar year Y lands in Gregorian Y.
    return lambda year: _lunar_to_solar(year, month, day)


def _fixed(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


def _spring_festival_eve(year: int) -> dt.date:
    # 除夕 is the last day of the 12th month, which has 29 or 30 days: the day before 春节
    # is right either way, and needs no month-length lookup.
    return _lunar_to_solar(year, 1, 1) - dt.timedelta(days=1)


def _qingming(year: int) -> dt.date:
    # 清明 is a solar term, not a lunar date. A Lunar built from a spring day of `year` carries
    # that Gregorian year's 节气 table (moments in Beijing time).
    table = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()
    term = table["清明"]
    return dt.date(term.getYear(), term.getMonth(), term.getDay())


# fmt: off
_BUILTINS: dict[str, _Builtin] = {
    spec.key: spec
    for spec in (
        _Builtin("new_years_day", "元旦", "New Year's Day", "fixed", _fixed(1, 1)),
        _Builtin(
            "spring_festival_eve", "除夕", "Spring Festival Eve", "lunar_festival",
            _spring_festival_eve, "last day of the 12th lunar month (腊月二十九 or 三十)",
        ),
        _Builtin("spring_festival", "春节", "Spring Festival", "lunar_festival", _lunar(1, 1)),
        _Builtin("lantern_festival", "元宵节", "Lantern Festival", "lunar_festival", _lunar(1, 15)),
        _Builtin("arbor_day", "植树节", "Arbor Day", "fixed", _fixed(3, 12)),
        _Builtin("qingming", "清明节", "Qingming Festival", "solar_term", _qingming),
        _Builtin(
            "dragon_boat_festival", "端午节", "Dragon Boat Festival", "lunar_festival",
            _lunar(5, 5),
        ),
        _Builtin("party_founding_day", "建党节", "Party Founding Day", "fixed", _fixed(7, 1)),
        _Builtin("army_day", "建军节", "Army Day", "fixed", _fixed(8, 1)),
        _Builtin(
            "mid_autumn_festival", "中秋节", "Mid-Autumn Festival", "lunar_festival",
            _lunar(8, 15),
        ),
        _Builtin(
            "double_ninth_festival", "重阳节", "Double Ninth Festival", "lunar_festival",
            _lunar(9, 9), "老年节: seniors' day",
        ),
        _Builtin("national_day", "国庆节", "National Day", "fixed", _fixed(10, 1)),
    )
}
# fmt: on


def builtin_keys() -> tuple[str, ...]:
    """Keys of the computed festival and holiday nodes, in calendar order."""
    return tuple(_BUILTINS)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} is outside the supported range {MIN_YEAR}..{MAX_YEAR}")


@cache
def _builtin_nodes(year: int) -> tuple[Node, ...]:
    return tuple(
        Node(spec.key, spec.name_zh, spec.name_en, spec.compute(year), spec.kind, spec.note)
        for spec in _BUILTINS.values()
    )


def _index_bureau_nodes(bureau_nodes: Iterable[BureauNode]) -> dict[str, BureauNode]:
    index: dict[str, BureauNode] = {}
    for node in bureau_nodes:
        if node.key in index:
            raise ValueError(f"bureau node key {node.key!r} is given twice")
        index[node.key] = node
    return index


def _lunar_bureau_date(node: BureauNode, lunar_year: int) -> Node:
    length = _lunar_month_length(lunar_year, node.month)
    day = min(node.day, length)
    note = node.note
    if day != node.day:
        shift = f"lunar {node.month}-{node.day} does not exist in {lunar_year}; using {node.month}-{day}"
        note = f"{note}; {shift}" if note else shift
    date = _lunar_to_solar(lunar_year, node.month, day)
    return Node(node.key, node.name_zh, node.name_en, date, "bureau", note)


def _bureau_occurrences(node: BureauNode, year: int) -> list[Node]:
    if not node.lunar:
        if node.year is not None and node.year != year:
            return []
        date = dt.date(year, node.month, node.day)
        return [Node(node.key, node.name_zh, node.name_en, date, "bureau", node.note)]
    # A lunar date of lunar year L falls in Gregorian L, or in early L+1 for late months, so
    # Gregorian `year` can hold the dates of lunar years year-1 and year.
    lunar_years = [node.year] if node.year is not None else [year - 1, year]
    candidates = (_lunar_bureau_date(node, lunar_year) for lunar_year in lunar_years)
    return [found for found in candidates if found.date.year == year]


def _unknown_key(key: str, bureau: dict[str, BureauNode]) -> KeyError:
    known = ", ".join([*_BUILTINS, *sorted(bureau)])
    return KeyError(f"unknown calendar node {key!r}; known keys: {known}")


def _occurrences(key: str, year: int, bureau: dict[str, BureauNode]) -> list[Node]:
    if key in _BUILTINS:
        return [node for node in _builtin_nodes(year) if node.key == key]
    if key in bureau:
        return _bureau_occurrences(bureau[key], year)
    raise _unknown_key(key, bureau)


def nodes_for_year(year: int, bureau_nodes: Iterable[BureauNode] = ()) -> list[Node]:
    """Every node falling in Gregorian ``year``, sorted by date (then key)."""
    _check_year(year)
    bureau = _index_bureau_nodes(bureau_nodes)
    nodes = list(_builtin_nodes(year))
    for node in bureau.values():
        nodes.extend(_bureau_occurrences(node, year))
    return sorted(nodes, key=lambda node: (node.date, node.key))


def node_date(key: str, year: int, bureau_nodes: Iterable[BureauNode] = ()) -> dt.date:
    """The date of node ``key`` in Gregorian ``year``.

    Raises KeyError for an unknown key and NotInYearError when the node does not fall in that
    year. A lunar bureau node late in the lunar year can fall twice in one Gregorian year; the
    earlier date is returned (``nodes_for_year`` lists both).
    """
    _check_year(year)
    bureau = _index_bureau_nodes(bureau_nodes)
    found = _occurrences(key, year, bureau)
    if not found:
        raise NotInYearError(f"calendar node {key!r} does not fall in {year}")
    return min(node.date for node in found)

