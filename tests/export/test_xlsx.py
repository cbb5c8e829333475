"""The xlsx writer on its own: cell types, escaping, widths, tab names, and a file that appears whole or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from yinhui.export.xlsx import Column, Sheet, display_width, grid_levels, sheet_title, write_xlsx


def test_cells_keep_their_types_and_text_never_runs(tmp_path):
    target = tmp_path / "out.xlsx"
    sheet = Sheet("名单", [Column("姓名"), Column("日期", "date"), Column("次数", "number"), Column("比率", "percent"),
                         Column("时间", "datetime")],
                  [["=SUM(A1:A9)", "2026-11-03", 3, 0.5, dt.datetime(2026, 11, 3, 2, 30, tzinfo=dt.UTC)],
                   ["@cmd", dt.date(2026, 11, 4), 2.5, None, None],
                   ["-5", "", None, 1, None],
                   ["按\x1b[31m键", None, None, None, None]])
    write_xlsx(target, [sheet])
    ws = load_workbook(target)["名单"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("'=SUM(A1:A9)", dt.datetime(2026, 11, 3), 3, 0.5, dt.datetime(2026, 11, 3, 10, 30))  # Beijing time
    assert rows[1][:3] == ("'@cmd", dt.datetime(2026, 11, 4), 2.5)
    assert rows[2][:2] == ("-5", None)  # a plain number written as text stays as it was
    assert rows[3][0] == "按\ufffd[31m键"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws["B2"].number_format == "yyyy-mm-dd" and ws["D2"].number_format == "0.0%"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E5" and ws["A1"].font.bold


def test_widths_count_chinese_characters_twice():
    assert display_width("东街村") == 6 and display_width("abc") == 3 and display_width("（%）") == 5


def test_column_widths_fit_the_widest_cell(tmp_path):
    target = tmp_path / "w.xlsx"
    write_xlsx(target, [Sheet("s", [Column("a"), Column("b")], [["城关镇东街村社区居委会", "x" * 200]])])
    ws = load_workbook(target)["s"]
    assert ws.column_dimensions["A"].width == 24 and ws.column_dimensions["B"].width == 60  # capped


def test_grid_levels_and_tab_names():
    assert grid_levels("城关镇/东街村", "老干部局") == ("老干部局", "城关镇", "东街村")
    assert grid_levels("城关镇", "老干部局") == ("老干部局", "城关镇", "")
    assert grid_levels("老干部局", "老干部局") == ("老干部局", "", "")
    assert grid_levels(None, "老干部局") == ("", "", "")
    taken: set[str] = set()
    assert sheet_title("week 2026-11-09..2026-11-15: a/b", taken) == "week 2026-11-09..2026-11-15_ a_"
    assert sheet_title("Tasks", taken) == "Tasks" and sheet_title("tasks", taken) == "tasks (2)"


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    in_the_way = folder / "报表.xlsx"
    in_the_way.mkdir()  # the target is a folder: the rename at the end fails
    with pytest.raises(OSError):
        write_xlsx(in_the_way, [Sheet("s", [Column("a")], [["x"]])])
    assert [p.name for p in folder.iterdir()] == ["报表.xlsx"] and not any(in_the_way.iterdir())
    existing = folder / "old.xlsx"
    write_xlsx(existing, [Sheet("old", [Column("a")], [["1"]])])
    write_xlsx(existing, [Sheet("new", [Column("a")], [["2"]])])
    assert load_workbook(existing).sheetnames == ["new"]
    assert sorted(p.name for p in folder.iterdir()) == ["old.xlsx", "报表.xlsx"]
