import csv
import tracemalloc
from datetime import datetime

import pytest

from tests.roster.sheets import ROSTER_HEADERS_ZH, roster_row, write_csv, write_xlsx
from yinhui.roster import (
    ROSTER_COLUMNS,
    STAFF_COLUMNS,
    RosterFileError,
    read_table,
)


def file_error(path, columns=ROSTER_COLUMNS) -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        read_table(path, columns)
    return caught.value


def test_xlsx_rows_keep_excel_row_numbers_and_skip_blank_rows(tmp_path):
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [ROSTER_HEADERS_ZH, roster_row(姓名="甲"), [None] * 14, [], roster_row(姓名="乙")],
    )
    table = read_table(path, ROSTER_COLUMNS)
    assert [(n, cells["name"]) for n, cells in table.rows] == [(2, "甲"), (5, "乙")]
    assert table.headers == tuple(ROSTER_HEADERS_ZH)
    assert table.language == "zh"


def test_title_line_above_the_header_is_allowed(tmp_path):
    path = write_xlsx(
        tmp_path / "r.xlsx", [["某县离退休干部花名册"], ROSTER_HEADERS_ZH, roster_row()]
    )
    table = read_table(path, ROSTER_COLUMNS)
    assert table.header_row == 2
    assert [n for n, _ in table.rows] == [3]


def test_rows_can_be_read_twice(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(), roster_row()])
    table = read_table(path, ROSTER_COLUMNS)
    assert list(table.rows) == list(table.rows)
    assert len(list(table.rows)) == 2


def test_xlsx_cell_types_are_passed_through(tmp_path):
    born = datetime(1938, 5, 1)
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [ROSTER_HEADERS_ZH, roster_row(出生日期=born, 联系电话=13912345678)],
    )
    ((_, cells),) = read_table(path, ROSTER_COLUMNS).rows
    assert cells["birth_date"] == born
    assert cells["phone"] == 13912345678


def test_gbk_csv_with_chinese_headers(tmp_path):
    path = write_csv(
        tmp_path / "gbk.csv", [ROSTER_HEADERS_ZH, roster_row(姓名="薛淑珍")], encoding="gbk"
    )
    table = read_table(path, ROSTER_COLUMNS)
    assert table.encoding == "gb18030"
    assert [cells["name"] for _, cells in table.rows] == ["薛淑珍"]


@pytest.mark.parametrize(
    "encoding, reported", [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("utf-16", "utf-16")]
)
def test_unicode_csv_encodings(tmp_path, encoding, reported):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row()], encoding=encoding)
    table = read_table(path, ROSTER_COLUMNS)
    assert table.encoding == reported
    assert [cells["name"] for _, cells in table.rows] == ["王建国"]


def test_tab_separated_text_named_csv(tmp_path):
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows([ROSTER_HEADERS_ZH, roster_row()])
    assert [cells["township"] for _, cells in read_table(path, ROSTER_COLUMNS).rows] == ["城关镇"]


def test_header_spelling_is_forgiving(tmp_path):
    headers = ["  Name ", "ID_Number", "CATEGORY", "Township", "village", "Party Branch"]
    path = write_csv(tmp_path / "en.csv", [headers, ["A", "1", "2", "3", "4", "5"]])
    table = read_table(path, ROSTER_COLUMNS)
    assert table.language == "en"
    assert table.columns["party_branch"] == "Party Branch"
    assert table.columns["name"] == "Name"
    ((_, cells),) = table.rows
    assert cells == {
        "name": "A", "id_number": "1", "category": "2", "township": "3", "village": "4",
        "party_branch": "5",
    }  # fmt: skip


def test_full_width_spaces_in_chinese_headers(tmp_path):
    headers = ["姓　名", "身份证号", "类　别", "乡镇社区", "村小区"]
    path = write_xlsx(tmp_path / "r.xlsx", [headers, ["甲", "x", "离休", "镇", "村"]])
    table = read_table(path, ROSTER_COLUMNS)
    assert table.columns["name"] == "姓　名"
    assert [cells["category"] for _, cells in table.rows] == ["离休"]


def test_absent_optional_columns_are_absent_from_rows(tmp_path):
    headers = ["姓名", "身份证号", "类别", "乡镇社区", "村小区"]
    path = write_csv(tmp_path / "r.csv", [headers, ["甲", "x", "离休", "镇", "村"]])
    ((_, cells),) = read_table(path, ROSTER_COLUMNS).rows
    assert set(cells) == {"name", "id_number", "category", "township", "village"}


def test_unknown_columns_are_listed(tmp_path):
    path = write_csv(tmp_path / "r.csv", [[*ROSTER_HEADERS_ZH, "备注", "工龄"], roster_row()])
    assert read_table(path, ROSTER_COLUMNS).ignored == ("备注", "工龄")


def test_missing_required_columns_in_the_files_language(tmp_path):
    zh = write_csv(tmp_path / "zh.csv", [["姓名", "性别", "乡镇社区"], ["甲", "男", "镇"]])
    en = write_csv(tmp_path / "en.csv", [["name", "gender", "township"], ["A", "M", "T"]])
    zh_error, en_error = file_error(zh), file_error(en)
    assert zh_error.code == en_error.code == "missing_columns"
    assert zh_error.params["columns"] == ("身份证号", "类别", "村小区")
    assert en_error.params["columns"] == ("id_number", "category", "village")
    assert "身份证号、类别、村小区" in zh_error.message("zh")
    assert str(zh) in zh_error.message("zh")


def test_duplicated_header(tmp_path):
    path = write_csv(tmp_path / "r.csv", [[*ROSTER_HEADERS_ZH, "Name"], roster_row()])
    problem = file_error(path)
    assert problem.code == "duplicate_header"
    assert problem.params == {"header": "Name", "other": "姓名"}


def test_missing_file(tmp_path):
    assert file_error(tmp_path / "nope.xlsx").code == "file_missing"


def test_unsupported_extension(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    problem = file_error(path)
    assert problem.code == "file_extension"
    assert ".xls" in problem.message("zh")


def test_empty_files(tmp_path):
    empty_csv = tmp_path / "e.csv"
    empty_csv.write_bytes(b"")
    blank_xlsx = write_xlsx(tmp_path / "e.xlsx", [[None], []])
    assert file_error(empty_csv).code == "file_empty"
    assert file_error(blank_xlsx).code == "file_empty"


def test_undecodable_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("姓名,身份证号\n".encode() + b"\x80\xff\n")
    assert file_error(path).code == "file_decode"


def test_xlsx_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("姓名,身份证号\n", encoding="utf-8")
    assert file_error(path).code == "file_unreadable"


def test_staff_columns(tmp_path):
    path = write_csv(tmp_path / "s.csv", [["姓名", "角色", "网格", "电话"], ["甲", "领导", "", ""]])
    table = read_table(path, STAFF_COLUMNS)
    assert [cells["role"] for _, cells in table.rows] == ["领导"]


def test_an_english_staff_sheet(tmp_path):
    table = read_table(write_csv(tmp_path / "s.csv", [["Name", "Role"], ["A", "staff"]]), STAFF_COLUMNS)
    assert table.language == "en"
    assert list(table.rows) == [(2, {"name": "A", "role": "staff"})]


def test_reading_streams_a_large_csv(tmp_path):
    """100k rows must not be held in memory: peak use stays well under the file size."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_HEADERS_ZH)
        row = roster_row()
        for _ in range(100_000):
            writer.writerow(row)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        table = read_table(path, ROSTER_COLUMNS)
        count = sum(1 for _ in table.rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < size / 4
