"""Tests for yinhui.rules.calendar_nodes: festival dates pinned against published tables.

Sources of the expected dates (typed by hand below, never produced by the code under test):

- Hong Kong Observatory, Gregorian-Lunar Calendar Conversion Tables
  (https://www.hko.gov.hk/en/gts/time/conversion.htm, yearly files T2024e.txt .. T2030e.txt):
  the "1st Lunar month" start gives 春节 and, 14 days on, 元宵; the 5th day of the 5th lunar
  month 端午, 15th of the 8th 中秋, 9th of the 9th 重阳; the "Bright & Clear" solar term 清明.
- State Council holiday notices (国务院办公厅关于 2024/2025/2026 年部分节假日安排的通知, issued
  2023-10-25, 2024-11-12 and 2025-11-04), which name 除夕 2024-02-09, 除夕 2025-01-28 and
  腊月二十八 2026-02-15, and place 清明, 端午, 中秋 inside their breaks.
- Hong Kong general holidays 2024 and 2025 (Tuen Ng, day following Mid-Autumn, Chung Yeung).

When this module was written the HKO yearly files themselves were not reachable offline; each
row was checked against the notices and holiday lists above and, for 2026-2027, NOTES.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from yinhui.rules.calendar_nodes import (
    MAX_YEAR,
    MIN_YEAR,
    BureauNode,
    NotInYearError,
    builtin_keys,
    node_date,
    nodes_for_year,
)

D = dt.date

# year: (春节, 元宵节, 清明节, 端午节, 中秋节, 重阳节)
# fmt: off
PUBLISHED = {
    2024: (D(2024, 2, 10), D(2024, 2, 24), D(2024, 4, 4), D(2024, 6, 10), D(2024, 9, 17), D(2024, 10, 11)),
    2025: (D(2025, 1, 29), D(2025, 2, 12), D(2025, 4, 4), D(2025, 5, 31), D(2025, 10, 6), D(2025, 10, 29)),
    2026: (D(2026, 2, 17), D(2026, 3, 3), D(2026, 4, 5), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 18)),
    2027: (D(2027, 2, 6), D(2027, 2, 20), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 8)),
    2028: (D(2028, 1, 26), D(2028, 2, 9), D(2028, 4, 4), D(2028, 5, 28), D(2028, 10, 3), D(2028, 10, 26)),
    2029: (D(2029, 2, 13), D(2029, 2, 27), D(2029, 4, 4), D(2029, 6, 16), D(2029, 9, 22), D(2029, 10, 16)),
    # 2030: the new moon starting the year is close to midnight Beijing time, so some folk
    # calendars print another day (HKO blog, "Which day is the Tuen Ng Festival for this year
    # (2013)?"); the official almanacs say 02-03.
    2030: (D(2030, 2, 3), D(2030, 2, 17), D(2030, 4, 5), D(2030, 6, 5), D(2030, 9, 12), D(2030, 10, 5)),
}
# fmt: on
FESTIVAL_KEYS = (
    "spring_festival",
    "lantern_festival",
    "qingming",
    "dragon_boat_festival",
    "mid_autumn_festival",
    "double_ninth_festival",
)


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_festivals_match_the_published_table(year: int) -> None:
    computed = {node.key: node.date for node in nodes_for_year(year)}
    assert tuple(computed[key] for key in FESTIVAL_KEYS) == PUBLISHED[year]


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_node_date_agrees_with_nodes_for_year(year: int) -> None:
    for key, expected in zip(FESTIVAL_KEYS, PUBLISHED[year], strict=True):
        assert node_date(key, year) == expected


@pytest.mark.parametrize(
    ("year", "eve"),
    [
        (2024, D(2024, 2, 9)),  # 腊月三十: the 12th month had 30 days
        (2025, D(2025, 1, 28)),
        (2026, D(2026, 2, 16)),  # 腊月二十九: the notice puts 腊月二十八 on 02-15
    ],
)
def test_spring_festival_eve_is_the_last_day_of_the_12th_month(year: int, eve: D) -> None:
    assert node_date("spring_festival_eve", year) == eve


def test_fixed_nodes() -> None:
    computed = {node.key: node.date for node in nodes_for_year(2031)}
    assert computed["new_years_day"] == D(2031, 1, 1)
    assert computed["arbor_day"] == D(2031, 3, 12)
    assert computed["party_founding_day"] == D(2031, 7, 1)
    assert computed["army_day"] == D(2031, 8, 1)
    assert computed["national_day"] == D(2031, 10, 1)


def test_kinds_and_names() -> None:
    by_key = {node.key: node for node in nodes_for_year(2026)}
    assert by_key["qingming"].kind == "solar_term"
    assert by_key["mid_autumn_festival"].kind == "lunar_festival"
    assert by_key["national_day"].kind == "fixed"
    assert (by_key["double_ninth_festival"].name_zh, by_key["double_ninth_festival"].name_en) == (
        "重阳节",
        "Double Ninth Festival",
    )


@pytest.mark.parametrize("year", [MIN_YEAR, 1988, 2063, MAX_YEAR])
def test_every_builtin_once_per_year_sorted(year: int) -> None:
    nodes = nodes_for_year(year)
    assert sorted(node.key for node in nodes) == sorted(builtin_keys())
    assert [node.date for node in nodes] == sorted(node.date for node in nodes)
    assert all(node.date.year == year for node in nodes)


@pytest.mark.parametrize("year", [MIN_YEAR - 1, MAX_YEAR + 1])
def test_years_outside_the_range_are_refused(year: int) -> None:
    with pytest.raises(ValueError, match=str(year)):
        nodes_for_year(year)


def test_node_is_frozen() -> None:
    node = nodes_for_year(2026)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.date = D(2000, 1, 1)  # type: ignore[misc]


def test_unknown_key_lists_the_known_keys() -> None:
    extra = BureauNode("yearly_assessment", "年度考核", "Yearly assessment", 12, 20)
    with pytest.raises(KeyError) as caught:
        node_date("spring_festivel", 2026, [extra])
    message = str(caught.value)
    assert "spring_festivel" in message
    assert "spring_festival," in message
    assert "yearly_assessment" in message


ASSESSMENT = BureauNode("yearly_assessment", "年度考核", "Yearly assessment", 12, 20)
CENTENARY = BureauNode("party_centenary", "建党百年", "Party centenary", 7, 1, year=2021)
LABA = BureauNode("laba", "腊八节", "Laba Festival", 12, 8, lunar=True)


def test_yearly_bureau_node_appears_every_year() -> None:
    for year in (2026, 2027):
        nodes = nodes_for_year(year, [ASSESSMENT])
        assert [n.date for n in nodes if n.key == "yearly_assessment"] == [D(year, 12, 20)]
        assert next(n for n in nodes if n.key == "yearly_assessment").kind == "bureau"


def test_one_off_bureau_node_only_in_its_year() -> None:
    assert node_date("party_centenary", 2021, [CENTENARY]) == D(2021, 7, 1)
    assert "party_centenary" not in {n.key for n in nodes_for_year(2022, [CENTENARY])}
    with pytest.raises(NotInYearError, match="party_centenary"):
        node_date("party_centenary", 2022, [CENTENARY])


def test_lunar_bureau_node_can_fall_twice_or_not_at_all_in_a_year() -> None:
    # 腊八 (lunar 12-8) of lunar 2021 and of lunar 2022 both fell in Gregorian 2022,
    # so Gregorian 2023 had none.
    assert [n.date for n in nodes_for_year(2022, [LABA]) if n.key == "laba"] == [
        D(2022, 1, 10),
        D(2022, 12, 30),
    ]
    assert node_date("laba", 2022, [LABA]) == D(2022, 1, 10)
    assert not [n for n in nodes_for_year(2023, [LABA]) if n.key == "laba"]
    assert node_date("laba", 2024, [LABA]) == D(2024, 1, 18)


def test_lunar_day_30_moves_to_29_in_a_short_month_with_a_note() -> None:
    eve = BureauNode("new_year_greetings", "文体大拜年", "New Year greetings", 12, 30, lunar=True)
    [found] = [n for n in nodes_for_year(2026, [eve]) if n.key == "new_year_greetings"]
    assert found.date == D(2026, 2, 16)  # 腊月二十九, the last day of that 12th month
    assert found.note is not None and "12-29" in found.note


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"key": "Bad Key", "month": 1, "day": 1}, "key"),
        ({"key": "spring_festival", "month": 1, "day": 1}, "built-in"),
        ({"key": "x", "month": 13, "day": 1}, "month 13"),
        ({"key": "x", "month": 2, "day": 30}, "02-30"),
        ({"key": "x", "month": 2, "day": 29}, "02-29"),
        ({"key": "x", "month": 1, "day": 31, "lunar": True}, "lunar day 31"),
        ({"key": "x", "month": 1, "day": 1, "year": 2200}, "2200"),
    ],
)
def test_bad_bureau_nodes_are_refused(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        BureauNode(name_zh="节点", name_en="node", **kwargs)  # type: ignore[arg-type]


def test_a_one_off_may_fall_on_02_29() -> None:
    leap = BureauNode("leap_day_visit", "闰日走访", "Leap-day visit", 2, 29, year=2028)
    assert node_date("leap_day_visit", 2028, [leap]) == D(2028, 2, 29)


def test_duplicate_bureau_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        nodes_for_year(2026, [ASSESSMENT, ASSESSMENT])
