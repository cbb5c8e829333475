"""Rosters as bureaus really keep them: their headers, their words, their title and closing lines."""

from datetime import date

import pytest
from openpyxl import Workbook

from tests.roster.sheets import (
    ID_FEMALE_1950,
    ID_MALE_1938,
    ROSTER_HEADERS_ZH,
    TODAY,
    roster_row,
    write_csv,
    write_xlsx,
)
from yinhui.roster import (
    DEFAULT_VOCABULARY,
    ROSTER_COLUMNS,
    RosterFileError,
    RosterOptions,
    Vocabulary,
    VocabularyError,
    load_roster,
    make_id_number,
    read_table,
)
from yinhui.roster.synonyms import ROSTER_HEADERS, STAFF_HEADERS, VALUE_WORDS, word_key

ID_X = next(
    n for n in (make_id_number("140802", date(1950, 11, 20), s, "F") for s in range(100))
    if n.endswith("X")
)  # fmt: skip
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def real_roster(path):
    """A 花名册 as a county office keeps it: merged title, two header lines, 序号, blank rows,
    full-width digits, spaces in numbers, lower-case x, its own words, closing lines."""
    book = Workbook()
    sheet = book.active
    sheet.append(["文喜县离退休干部花名册"])
    sheet.merge_cells("A1:N1")
    sheet.append(["序号", "基本情况", None, None, None, None, "联系方式", None, None, "所在网格"])
    sheet.append([None, "姓名", "公民身份号码", "性别", "出生年月", "离退休类别", "手机号码",
                  "固定电话", "现住址", "所在乡镇", "村（社区）", "所在党支部", "状态", "备注"])
    spaced = f"{ID_MALE_1938[:6]} {ID_MALE_1938[6:14]} {ID_MALE_1938[14:]}"
    sheet.append([1, "王 建国", spaced, "男", "1938.05", "离休干部", "139 0000 1111",
                  "0359-701 2345", "城关镇东街村3号", "城关镇", "东街村", "东街党支部", "在册", ""])
    sheet.append([None] * 14)
    sheet.append([2, "李秀英", ID_X.lower(), "女", 1950.11, "退休干部",
                  "13900002222".translate(FULL_WIDTH), "无", "城关镇西街村", "城关镇",
                  "西街村", "/", "健在", "老伴同住"])
    sheet.append([3, "赵德明", ID_FEMALE_1950, "女", "1950年11月", "退休", "", "", "",
                  "城关镇", "南关村", "", "已故", ""])
    sheet.append(["合计", "3人"])
    sheet.append(["填表人：张三", None, None, None, "审核人：李四"])
    book.save(path)
    return path


def test_a_real_roster_is_read_whole(tmp_path):
    check = load_roster(real_roster(tmp_path / "花名册.xlsx"), today=TODAY)
    assert check.errors == []
    wang, li, zhao = check.records
    assert (wang.row, wang.name, wang.id_number, wang.category, wang.status) == (
        4, "王建国", ID_MALE_1938, "lixiu", "active")
    assert wang.phones == ("13900001111", "0359-7012345")  # two phone columns, spaces dropped
    assert (li.id_number, li.phones, li.party_branch, li.status) == (ID_X, ("13900002222",), None, "active")
    assert (zhao.row, zhao.status, zhao.category) == (7, "deceased", "tuixiu")
    table = check.table
    assert (table.header_row, table.columns["phone"], table.columns["village"]) == (
        3, "手机号码/固定电话", "村（社区）")
    assert [w.message("zh") for w in check.warnings] == [
        "第 3 行「备注」：未识别的列，已忽略",
        "第 8 行：表尾行（「合计」），已跳过",
        "第 9 行：表尾行（「填表人:张三」），已跳过",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "word, status",
    [(w, value) for value, words in VALUE_WORDS["status"].items() for w in words],
)
def test_every_status_word(tmp_path, word, status):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(状态=word)])
    (record,) = load_roster(path, today=TODAY).records
    assert record.status == status


@pytest.mark.parametrize(
    "column, header",
    [(field, h) for field, headers in ROSTER_HEADERS.items() for h in headers],
)
def test_every_header_synonym(tmp_path, column, header):
    headers = [header if h == ROSTER_HEADERS[column][0] else h for h in ROSTER_HEADERS_ZH]
    extra = [] if header in headers else [header]  # a column our own roster does not write (紧急联系人 ...)
    table = read_table(write_csv(tmp_path / "r.csv", [headers + extra, roster_row() + [""] * len(extra)]),
                       ROSTER_COLUMNS)
    assert table.columns[column] == header
    assert table.ignored == ()


def test_no_word_of_the_table_means_two_things():
    for table in (ROSTER_HEADERS, STAFF_HEADERS):
        keys = [word_key(h) for headers in table.values() for h in headers]
        assert len(keys) == len(set(keys))
    for words in VALUE_WORDS.values():
        keys = [word_key(w) for ws in words.values() for w in ws]
        assert len(keys) == len(set(keys))


def test_an_unknown_value_is_reported_with_the_accepted_ones(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(状态="在编", 类别="离退")])
    check = load_roster(path, today=TODAY)
    status, category = sorted(check.errors, key=lambda e: e.code, reverse=True)
    assert status.message("zh").startswith("第 2 行「状态」：未知的状态「在编」；可填：正常/在册/健在/")
    assert "去世/已故/病故/死亡" in status.message("zh")
    assert "迁出/转出/外迁/异地安置" in status.message("zh")
    assert "accepted: 正常/在册" in status.message("en")
    assert category.message("zh").startswith("第 2 行「类别」：未知的类别「离退」；可填：离休/离休干部")


def test_a_bureau_adds_its_own_words(tmp_path):
    words = DEFAULT_VOCABULARY.extended(
        column_synonyms={"id_number": ["证件号"], "township": ["片区"]},
        value_synonyms={"status": {"active": ["在编"]}, "category": {"lixiu": ["老红军"]}},
    )
    headers = ["证件号" if h == "身份证号" else "片区" if h == "乡镇社区" else h for h in ROSTER_HEADERS_ZH]
    path = write_csv(tmp_path / "r.csv", [headers, roster_row(状态="在编", 类别="老红军")])
    check = load_roster(path, today=TODAY, options=RosterOptions(vocabulary=words))
    assert check.errors == []
    assert (check.records[0].status, check.records[0].category) == ("active", "lixiu")
    with pytest.raises(RosterFileError):  # the shipped table alone does not know them
        load_roster(path, today=TODAY)


@pytest.mark.parametrize(
    "change, key",
    [
        ({"column_synonyms": {"id_number": ["姓名"]}}, "roster.column_synonyms.id_number"),
        ({"column_synonyms": {"idnumber": ["证件号"]}}, "roster.column_synonyms.idnumber"),
        ({"value_synonyms": {"status": {"active": ["已故"]}}}, "roster.value_synonyms.status.active"),
        ({"value_synonyms": {"status": {"alive": ["在编"]}}}, "roster.value_synonyms.status.alive"),
        ({"ignore_columns": ["身份证号"]}, "roster.ignore_columns"),
    ],
)
def test_a_word_may_mean_one_thing_only(change, key):
    with pytest.raises(VocabularyError) as caught:
        DEFAULT_VOCABULARY.extended(**change)
    assert caught.value.key == key


def test_ignored_columns_are_read_past(tmp_path):
    headers = [*ROSTER_HEADERS_ZH[:10], "联系人", *ROSTER_HEADERS_ZH[11:]]  # not our 责任人
    path = write_csv(tmp_path / "r.csv", [headers, roster_row(责任人="李四的儿子")])
    words = DEFAULT_VOCABULARY.extended(ignore_columns=["联系人"])
    check = load_roster(path, today=TODAY, options=RosterOptions(vocabulary=words))
    assert check.records[0].coordinator is None and check.warnings == []
    assert load_roster(path, today=TODAY).records[0].coordinator == "李四的儿子"


def test_the_header_is_looked_for_in_the_first_ten_rows(tmp_path):
    title = [["某县离退休干部花名册"], ["（截至2025年12月31日）"], ["单位：县委老干部局"]]
    found = read_table(write_xlsx(tmp_path / "a.xlsx", [*title, ROSTER_HEADERS_ZH, roster_row()]),
                       ROSTER_COLUMNS)  # fmt: skip
    assert (found.header_row, [n for n, _ in found.rows]) == (4, [5])
    lost = write_xlsx(tmp_path / "b.xlsx", [*[[f"说明{i}"] for i in range(10)], ROSTER_HEADERS_ZH])
    with pytest.raises(RosterFileError) as caught:
        read_table(lost, ROSTER_COLUMNS)
    assert caught.value.code == "missing_columns"


def test_a_second_header_line_in_english_is_read_with_the_first(tmp_path):
    english = [c.en for c in ROSTER_COLUMNS][: len(ROSTER_HEADERS_ZH)]
    table = read_table(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, english, roster_row()]),
                       ROSTER_COLUMNS)  # fmt: skip
    assert (table.header_row, table.language, table.columns["name"]) == (1, "zh", "姓名")
    assert [n for n, _ in table.rows] == [3]


def test_a_header_merged_down_from_the_line_above(tmp_path):
    # 姓名 and 身份证号 are merged over two header lines: the lower line is empty there.
    top = ["姓名", "身份证号", "类别", "联系方式", None, "所在网格", None]
    low = [None, None, None, "手机号码", "固定电话", "乡镇", "村"]
    row = ["王建国", ID_MALE_1938, "离休", "13900001111", "", "城关镇", "东街村"]
    check = load_roster(write_xlsx(tmp_path / "r.xlsx", [top, low, row]), today=TODAY)
    assert check.errors == [] and check.records[0].village == "东街村"
    assert check.table.columns["phone"] == "联系方式/固定电话"


def test_two_columns_for_one_field_other_than_phone_are_refused(tmp_path):
    path = write_csv(tmp_path / "r.csv", [[*ROSTER_HEADERS_ZH, "身份证号码"], roster_row()])
    with pytest.raises(RosterFileError) as caught:
        read_table(path, ROSTER_COLUMNS)
    assert caught.value.params == {"header": "身份证号码", "other": "身份证号"}


def test_birth_month_columns_agree_by_month(tmp_path):
    rows = [ROSTER_HEADERS_ZH, roster_row(出生日期="1938年5月"), roster_row(出生日期="1938.06")]
    check = load_roster(write_csv(tmp_path / "r.csv", rows), today=TODAY)
    assert [(e.row, e.code) for e in check.errors] == [(2, "id_duplicate"), (3, "birth_mismatch"),
                                                       (3, "id_duplicate")]  # fmt: skip


def test_none_written_in_an_optional_cell(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(联系电话="无", 党支部="—", 住址="/")])
    (record,) = load_roster(path, today=TODAY).records
    assert (record.phones, record.party_branch, record.address) == ((), None, "")


def test_a_vocabulary_is_plain_data():
    assert Vocabulary() == DEFAULT_VOCABULARY
    assert DEFAULT_VOCABULARY.value("status", " 异地 安置 ") == "moved"
    assert DEFAULT_VOCABULARY.written("status", "deceased") == "去世"
