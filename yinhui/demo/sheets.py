"""The demo county as the files an operator imports: the roster (花名册) and the staff sheet, .xlsx or .csv."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from yinhui.demo.county import County
from yinhui.demo.relatives import kin_cells
from yinhui.roster import (
    CATEGORY_ZH,
    FLAG_ZH,
    GENDER_ZH,
    ROLE_ZH,
    ROSTER_COLUMNS,
    STAFF_COLUMNS,
    STATUS_ZH,
    CadreRecord,
    StaffRecord,
)


def _roster_row(cadre: CadreRecord) -> list[object]:
    # Same order as ROSTER_COLUMNS.
    return [
        cadre.name,
        cadre.id_number,
        GENDER_ZH[cadre.gender],
        cadre.birth_date,
        CATEGORY_ZH[cadre.category],
        "；".join(cadre.phones),
        cadre.address,
        cadre.township,
        cadre.village,
        cadre.party_branch or "",
        cadre.coordinator or "",
        FLAG_ZH[cadre.lives_alone],
        FLAG_ZH[cadre.hardship],
        STATUS_ZH[cadre.status],
        *kin_cells(cadre),  # 紧急联系人, 与本人关系, 紧急联系人电话
        "、".join(cadre.teams or ()),
    ]


def _staff_row(person: StaffRecord) -> list[object]:
    # Same order as STAFF_COLUMNS.
    return [
        person.name,
        ROLE_ZH[person.role],
        "；".join(str(grid) for grid in person.grids),
        person.phone or "",
    ]


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[list[object]]) -> None:
    # UTF-8 with BOM: Excel on a Chinese Windows opens it without garbling the text.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(v.isoformat() if isinstance(v, date) else v for v in row)


def _write_xlsx(
    path: Path, title: str, headers: Sequence[str], rows: Iterable[list[object]]
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    for row in rows:
        cells: list[object] = []
        for value in row:
            if isinstance(value, date):
                # A real date cell, shown the way Chinese offices write dates.
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(path)


def _write(
    path: Path | str, title: str, headers: Sequence[str], rows: Iterable[list[object]]
) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv(path, headers, rows)
    elif suffix == ".xlsx":
        _write_xlsx(path, title, headers, rows)
    else:
        raise ValueError(f"cannot write {path.suffix!r}: use .xlsx or .csv")


def write_roster(county: County, path: Path | str) -> None:
    """Write the cadre roster (花名册) with Chinese headers to .xlsx or .csv (UTF-8 BOM)."""
    headers = [column.zh for column in ROSTER_COLUMNS]
    if not any(c.teams is not None for c in county.cadres):  # no 志愿服务队 column: team rosters are kept as they are
        headers = headers[:-1]
    rows = (_roster_row(c)[: len(headers)] for c in county.cadres)
    _write(path, "花名册", headers, rows)


def write_staff(county: County, path: Path | str) -> None:
    """Write the staff sheet (姓名, 角色, 网格, 电话) to .xlsx or .csv (UTF-8 BOM)."""
    headers = [column.zh for column in STAFF_COLUMNS]
    _write(path, "工作人员", headers, (_staff_row(s) for s in county.staff))
