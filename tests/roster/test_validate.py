import re
from datetime import date, datetime

import pytest

from tests.roster.sheets import (
    ID_FEMALE_1950,
    ID_MALE_1938,
    ID_MALE_1960,
    ROSTER_HEADERS_ZH,
    TODAY,
    roster_row,
    write_csv,
    write_xlsx,
)
from yinhui.roster import (
    CadreRecord,
    GridRef,
    RowError,
    StaffRecord,
    check_character,
    load_roster,
    load_staff,
    make_id_number,
)

BAD_CHECKSUM = ID_FEMALE_1950[:17] + ("0" if ID_FEMALE_1950[17] != "0" else "1")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 0 of Excel's 1900 system, after 1900-03-01
SERIAL_1950_11_20 = (date(1950, 11, 20) - EXCEL_EPOCH).days


def woman(seq: int = 3, **cells):
    """A valid row of a woman born 1950-11-20; ``seq`` tells apart her ID number."""
    defaults = {"姓名": "李秀英", "身份证号": make_id_number("140823", date(1950, 11, 20), seq, "F"),
                "性别": "女", "出生日期": "1950-11-20", "类别": "退休"}  # fmt: skip
    return roster_row(**{**defaults, **cells})


def man_1960(seq: int, **cells):
    return roster_row(身份证号=make_id_number("140802", date(1960, 2, 29), seq, "M"), **cells)


def bad_roster_rows():
    return [
        ROSTER_HEADERS_ZH,
        roster_row(),  # 2: fine, but its ID comes back on row 10
        woman(身份证号=BAD_CHECKSUM),  # 3
        woman(身份证号=ID_FEMALE_1950[:17]),  # 4
        woman(5, 性别="男"),  # 5
        man_1960(6, 出生日期="1960-03-01", 类别="退休"),  # 6
        man_1960(7, 出生日期="1960年二月", 联系电话="1391234567", 类别="在职"),  # 7: three
        woman(8, 姓名="", 乡镇社区=" ", 村小区=None),  # 8
        woman(9, 联系电话="0359-70123", 独居="也许", 状态="住院"),  # 9
        roster_row(姓名="王建国二"),  # 10: same ID as row 2
        woman(出生日期=SERIAL_1950_11_20),  # 11: Excel serial in a number cell
        woman(12, 出生日期=str(SERIAL_1950_11_20)),  # 12: serial as text
    ]


EXPECTED_PROBLEMS = {
    (2, "身份证号", "id_duplicate"),
    (3, "身份证号", "id_checksum"),
    (4, "身份证号", "id_length"),
    (5, "性别", "gender_mismatch"),
    (6, "出生日期", "birth_mismatch"),
    (7, "出生日期", "date_format"),
    (7, "联系电话", "phone_mobile"),
    (7, "类别", "category_invalid"),
    (8, "姓名", "required"),
    (8, "乡镇社区", "required"),
    (8, "村小区", "required"),
    (9, "联系电话", "phone_landline"),
    (9, "独居", "flag_invalid"),
    (9, "状态", "status_invalid"),
    (10, "身份证号", "id_duplicate"),
}


@pytest.fixture(params=["xlsx", "csv"])
def bad_roster(request, tmp_path):
    rows = bad_roster_rows()
    if request.param == "xlsx":
        return write_xlsx(tmp_path / "roster.xlsx", rows)
    return write_csv(tmp_path / "roster.csv", rows)


def test_every_problem_of_the_file_is_reported(bad_roster):
    check = load_roster(bad_roster, today=TODAY)
    assert {(e.row, e.column, e.code) for e in check.errors} == EXPECTED_PROBLEMS
    assert [e.row for e in check.errors] == sorted(e.row for e in check.errors)
    assert [r.row for r in check.records] == [11, 12]
    assert not check.ok


def test_good_rows_become_records(bad_roster):
    records = load_roster(bad_roster, today=TODAY).records
    assert records[0] == CadreRecord(
        row=11,
        name="李秀英",
        id_number=ID_FEMALE_1950,
        gender="F",
        birth_date=date(1950, 11, 20),
        category="tuixiu",
        phones=("13900001111",),
        address="城关镇东街村3号",
        township="城关镇",
        village="东街村",
        party_branch="城关镇离退休干部党支部",
        coordinator=None,
        lives_alone=False,
        hardship=False,
        status="active",
    )


def test_duplicates_name_the_other_rows(tmp_path):
    rows = [ROSTER_HEADERS_ZH, roster_row(), woman(), roster_row(), woman(), roster_row(), woman(1)]
    check = load_roster(write_csv(tmp_path / "r.csv", rows), today=TODAY)
    duplicates = {e.row: e.params["others"] for e in check.errors if e.code == "id_duplicate"}
    assert duplicates == {2: ("4", "6"), 4: ("2", "6"), 6: ("2", "4"), 3: ("5",), 5: ("3",)}
    assert [r.row for r in check.records] == [7]
    assert "第 4 行「身份证号」：身份证号与第 2、6 行重复" in [e.message("zh") for e in check.errors]


def test_messages_in_both_languages(bad_roster):
    check = load_roster(bad_roster, today=TODAY)
    (checksum,) = [e for e in check.errors if e.code == "id_checksum"]
    expected = check_character(ID_FEMALE_1950[:17])
    assert checksum.message("zh") == f"第 3 行「身份证号」：校验位应为 {expected}"
    assert checksum.message("en") == f"row 3, column 身份证号: check character should be {expected}"


def test_messages_never_show_an_id_or_phone(tmp_path):
    phone, landline = "13987654321", "0359-7654321"
    rows = [
        ROSTER_HEADERS_ZH,
        woman(身份证号=BAD_CHECKSUM, 联系电话=f"{phone}；{landline}；139876543"),
        # Shifted columns: an ID number in the date column, a phone in the category column.
        woman(4, 出生日期=ID_MALE_1960, 类别=phone, 状态=landline),
        woman(5, 性别="男", 独居=ID_MALE_1938),
        roster_row(),
        roster_row(),
    ]
    check = load_roster(write_csv(tmp_path / "r.csv", rows), today=TODAY)
    texts = [e.message(lang) for e in check.errors for lang in ("zh", "en")]
    assert len(check.errors) >= 8
    for text in texts:
        for secret in (BAD_CHECKSUM, ID_FEMALE_1950, ID_MALE_1960, ID_MALE_1938, phone,
                       landline, "7654321", "139876543"):  # fmt: skip
            assert secret not in text, text
        assert not re.search(r"\d{9,}", text), text
    assert any("139****4321" in t for t in texts)


def test_birth_date_and_gender_come_from_the_id_when_absent(tmp_path):
    headers = ["姓名", "身份证号", "类别", "乡镇社区", "村小区"]
    path = write_csv(
        tmp_path / "r.csv", [headers, ["赵德明", ID_MALE_1960, "退休", "城关镇", "南关村"]]
    )
    (record,) = load_roster(path, today=TODAY).records
    assert (record.birth_date, record.gender) == (date(1960, 2, 29), "M")
    assert (record.phones, record.address, record.party_branch, record.status) == (
        (), "", None, "active",
    )  # fmt: skip


def test_xlsx_date_cells_and_numeric_phones(tmp_path):
    row = woman(出生日期=datetime(1950, 11, 20), 联系电话=13912345678)
    check = load_roster(write_xlsx(tmp_path / "r.xlsx", [ROSTER_HEADERS_ZH, row]), today=TODAY)
    assert check.ok
    assert check.records[0].phones == ("13912345678",)


def test_id_number_stored_as_a_number_in_xlsx(tmp_path):
    all_digits = next(n for n in (woman(seq)[1] for seq in range(20)) if not n.endswith("X"))
    row = woman(身份证号=float(all_digits))
    check = load_roster(write_xlsx(tmp_path / "r.xlsx", [ROSTER_HEADERS_ZH, row]), today=TODAY)
    assert [(e.row, e.code) for e in check.errors] == [(2, "id_as_number")]


def test_english_headers(tmp_path):
    headers = ["Name", "ID_Number", "Gender", "Birth_Date", "Category", "Phone", "Township",
               "Village", "Lives_Alone", "Hardship", "Status"]  # fmt: skip
    rows = [
        headers,
        ["Li Xiuying", ID_FEMALE_1950.lower(), "female", "1950/11/20", "retired",
         "+86 139 0000 1111", "Chengguan", "Dongjie", "yes", "no", "active"],
        ["Wang", ID_MALE_1938, "M", "1938.5.1", "lixiu", "", "Chengguan", "Dongjie", "", "",
         "moved away"],
        ["Zhao", BAD_CHECKSUM, "F", "", "tuixiu", "", "Chengguan", "Dongjie", "", "", ""],
    ]  # fmt: skip
    check = load_roster(write_csv(tmp_path / "en.csv", rows), today=TODAY)
    assert [(e.row, e.column, e.code) for e in check.errors] == [(4, "ID_Number", "id_checksum")]
    first, second = check.records
    assert first.id_number == ID_FEMALE_1950  # upper-case X
    assert (first.category, first.lives_alone, first.phones) == ("tuixiu", True, ("13900001111",))
    assert (second.category, second.status) == ("lixiu", "moved")


def test_warnings_for_ignored_columns_and_no_rows(tmp_path):
    path = write_csv(tmp_path / "r.csv", [[*ROSTER_HEADERS_ZH, "备注"]])
    check = load_roster(path, today=TODAY)
    assert check.ok and check.records == []
    assert [(w.row, w.column, w.code) for w in check.warnings] == [
        (1, "备注", "column_ignored"),
        (1, "", "no_rows"),
    ]
    assert check.warnings[1].message("zh") == "第 1 行：表头下没有数据行"


def test_padded_chinese_names_are_joined(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(姓名="王　芳", 性别="男")])
    assert load_roster(path, today=TODAY).records[0].name == "王芳"


# -- staff sheet ------------------------------------------------------------------------

STAFF_HEADERS = ["姓名", "角色", "网格", "电话"]


def test_staff_sheet(tmp_path):
    rows = [
        STAFF_HEADERS,
        ["程文", "局长", "", "13900002222"],
        ["卫红", "工作人员", "", ""],
        ["畅德", "网格员", "城关镇；城关镇/东街村", "0359-7012345"],
    ]
    check = load_staff(write_xlsx(tmp_path / "staff.xlsx", rows))
    assert check.ok
    assert check.records == [
        StaffRecord(2, "程文", "leader", (), "13900002222"),
        StaffRecord(3, "卫红", "staff", (), None),
        StaffRecord(4, "畅德", "grid", (GridRef("城关镇"), GridRef("城关镇", "东街村")),
                    "0359-7012345"),
    ]  # fmt: skip


def test_staff_sheet_problems(tmp_path):
    rows = [
        STAFF_HEADERS,
        ["程文", "司机", "", ""],  # 2: unknown role
        ["卫红", "网格员", "", ""],  # 3: grid coordinator without a grid
        ["畅德", "网格员", "城关镇/东街村/一组", "13900002222；13900003333"],  # 4
        ["程文", "工作人员", "", ""],  # 5: same name as row 2
        ["", "领导", "", "12345"],  # 6
    ]
    check = load_staff(write_csv(tmp_path / "staff.csv", rows))
    assert {(e.row, e.column, e.code) for e in check.errors} == {
        (2, "角色", "role_invalid"),
        (2, "姓名", "name_duplicate"),
        (3, "网格", "grid_role_needs_grid"),
        (4, "网格", "grid_ref_invalid"),
        (4, "电话", "phone_multiple"),
        (5, "姓名", "name_duplicate"),
        (6, "姓名", "required"),
        (6, "电话", "phone_mobile"),
    }
    assert check.records == []


def test_grid_coordinator_without_a_grid_column(tmp_path):
    path = write_csv(tmp_path / "staff.csv", [["name", "role"], ["Wei", "grid"]])
    (problem,) = load_staff(path).errors
    assert problem == RowError(2, "grids", "grid_role_needs_grid")


def test_gender_mismatch_names_the_gender_in_each_language(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, woman(性别="M")])
    (problem,) = load_roster(path, today=TODAY).errors
    assert problem.message("zh") == "第 2 行「性别」：性别与身份证号不符（按身份证号应为女）"
    assert problem.message("en").endswith("(the ID says female)")
