"""The relatives a roster names: the 亲属 sheet found by its name, its headers and words (a bureau's too),
and the next of kin beside a cadre's row."""

from __future__ import annotations

from openpyxl import Workbook

from tests.roster.sheets import (
    ID_FEMALE_1950,
    ID_MALE_1938,
    ROSTER_HEADERS_ZH,
    TODAY,
    roster_row,
    write_csv,
)
from yinhui.roster import load_roster
from yinhui.roster.limits import RosterOptions
from yinhui.roster.reader import relatives_sheet
from yinhui.roster.relatives import parse_teams
from yinhui.roster.synonyms import DEFAULT_VOCABULARY

LI = roster_row(姓名="李秀英", 身份证号=ID_FEMALE_1950, 性别="女", 出生日期="1950-11-20", 类别="退休")


def _book(path, second: str, rows: list[list[object]]):  # noqa: ANN001, ANN202
    book = Workbook()
    book.active.append(ROSTER_HEADERS_ZH)
    book.active.append(roster_row())
    book.active.append(LI)
    book.create_sheet("说明").append(["填表说明"])
    sheet = book.create_sheet(second)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_the_relatives_sheet_is_found_by_its_name_and_read_in_english_too(tmp_path):
    path = _book(tmp_path / "r.xlsx", "家属信息 ", [
        ["cadre_id_number", "cadre", "name", "relation", "phone", "next_of_kin"],
        [ID_MALE_1938, "王建国", "王明", "son", "139 1111 2222", "yes"],
        [ID_FEMALE_1950, "李秀英", "李华", "女婿", "", ""],
    ])
    assert relatives_sheet(path) == "家属信息 "
    check = load_roster(path, today=TODAY)
    assert check.errors == []
    assert [(r.name, r.relation, r.phones, r.next_of_kin, r.in_group) for r in check.relatives] == [
        ("王明", "儿子", ("13911112222",), True, None), ("李华", "女婿", (), False, None)]
    assert check.relatives_listed == {ID_MALE_1938, ID_FEMALE_1950}
    assert relatives_sheet(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row()])) is None


def test_a_bureau_adds_its_own_headers_and_relations(tmp_path):
    words = DEFAULT_VOCABULARY.extended(column_synonyms={"relative_name": ["家人姓名"], "kin_phone": ["家人电话"]},
                                        value_synonyms={"relation": {"其他": ["干女儿"]}})
    path = _book(tmp_path / "r.xlsx", "亲属", [["干部身份证号", "家人姓名", "与本人关系"], [ID_MALE_1938, "赵兰", "干女儿"]])
    check = load_roster(path, today=TODAY, options=RosterOptions(words))
    assert [(r.name, r.relation) for r in check.relatives] == [("赵兰", "其他")]
    rows = [[*ROSTER_HEADERS_ZH, "紧急联系人", "家人电话"], [*roster_row(), "王明", "13911112222"]]
    check = load_roster(write_csv(tmp_path / "k.csv", rows), today=TODAY, options=RosterOptions(words))
    [kin] = check.relatives
    assert (kin.name, kin.relation, kin.phones, kin.next_of_kin, kin.sheet) == ("王明", "其他", ("13911112222",), True, "")


def test_a_relative_cell_starting_like_a_formula_is_refused_on_its_sheet(tmp_path):
    path = _book(tmp_path / "r.xlsx", "亲属", [["干部身份证号", "姓名", "与本人关系"], [ID_MALE_1938, "@王明", "儿子"]])
    [error] = load_roster(path, today=TODAY).errors
    assert error.message("en").startswith("row 2, column 亲属!姓名: starts with '@'")


def test_team_cells_are_split_on_the_usual_separators():
    assert parse_teams("宣讲团、 绿色生态团，宣讲团; 老专家团") == ("宣讲团", "绿色生态团", "老专家团")
    assert parse_teams(None) == ()
