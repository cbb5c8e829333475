"""Helpers that write small roster and staff files for the tests."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from yinhui.roster import make_id_number

TODAY = date(2026, 1, 1)
ROSTER_HEADERS_ZH = [
    "姓名", "身份证号", "性别", "出生日期", "类别", "联系电话", "住址",
    "乡镇社区", "村小区", "党支部", "责任人", "独居", "特殊困难", "状态",
]  # fmt: skip

# Three people with valid, distinct ID numbers.
ID_MALE_1938 = make_id_number("140823", date(1938, 5, 1), 7, "M")
ID_FEMALE_1950 = make_id_number("140823", date(1950, 11, 20), 3, "F")
ID_MALE_1960 = make_id_number("140802", date(1960, 2, 29), 12, "M")


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def roster_row(**cells: object) -> list[object]:
    """A complete, valid Chinese-header row; keyword arguments (by Chinese header) override."""
    row: dict[str, object] = {
        "姓名": "王建国",
        "身份证号": ID_MALE_1938,
        "性别": "男",
        "出生日期": "1938-05-01",
        "类别": "离休",
        "联系电话": "13900001111",
        "住址": "城关镇东街村3号",
        "乡镇社区": "城关镇",
        "村小区": "东街村",
        "党支部": "城关镇离退休干部党支部",
        "责任人": "",
        "独居": "否",
        "特殊困难": "否",
        "状态": "正常",
    }
    row.update(cells)
    return [row[header] for header in ROSTER_HEADERS_ZH]
