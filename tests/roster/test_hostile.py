"""Hostile and oversized rosters: nothing wrong gets in, and reading them stays small."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.roster.rawxlsx import Huge, numbered, write_raw_xlsx
from tests.roster.sheets import ROSTER_HEADERS_ZH, TODAY, roster_row, write_csv, write_xlsx
from yinhui.roster import (
    ROSTER_COLUMNS,
    RosterFileError,
    RosterLimits,
    RosterOptions,
    escape_for_spreadsheet,
    load_roster,
    make_id_number,
    read_table,
)

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = ROSTER_HEADERS_ZH.index("住址")


def people(count: int, **cells: object) -> list[list[object]]:
    """``count`` valid rows with distinct ID numbers."""
    rows = []
    for i in range(count):
        born = date(1940, 1, 1 + i // 500)
        rows.append(roster_row(身份证号=make_id_number("140823", born, i % 500, "M"),
                               出生日期=born.isoformat(), **cells))  # fmt: skip
    return rows


def refusal(path: Path, options: RosterOptions | None = None) -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        load_roster(path, today=TODAY, options=options)
    return caught.value


# -- lengths ----------------------------------------------------------------------------


def test_texts_longer_than_their_column_are_reported_on_their_row(tmp_path):
    rows = [ROSTER_HEADERS_ZH, roster_row(住址="路" * 2000), roster_row(姓名="王" * 300, 身份证号="")]
    check = load_roster(write_xlsx(tmp_path / "r.xlsx", rows), today=TODAY)
    messages = [e.message("en") for e in check.errors]
    assert "row 2, column 住址: 2,000 characters; at most 200 fit" in messages
    assert "row 3, column 姓名: 300 characters; at most 50 fit" in messages
    assert check.records == []
    assert "第 2 行「住址」：共 2,000 个字符，最多 200 个" in [e.message("zh") for e in check.errors]


def test_phones_must_fit_their_column_once_normalised(tmp_path):
    many = "；".join(f"1390000{i:04d}" for i in range(20))  # 20 × 11 digits + separators > 200
    check = load_roster(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(联系电话=many)]),
                        today=TODAY)  # fmt: skip
    ((row, column, code, length),) = [(e.row, e.column, e.code, e.params["length"]) for e in check.errors]
    assert (row, column, code, length) == (2, "联系电话", "too_long", 239)


def test_a_csv_field_over_the_csv_module_limit_names_its_row(tmp_path):
    row = roster_row()
    row[ADDRESS] = "路" * 200_000
    problem = refusal(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(), row]))
    assert problem.code == "row_cell_too_big"
    assert problem.message("en").endswith(
        "row 3: a cell holds more than 32,767 characters, more than a spreadsheet cell can hold; "
        "the file is damaged or was not written by a spreadsheet")


def test_a_csv_field_over_a_spreadsheet_cell_names_its_cell(tmp_path):
    row = roster_row()
    row[ADDRESS] = "路" * 40_000
    problem = refusal(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, row]))
    assert (problem.code, problem.params["cell"]) == ("cell_too_big", "G2")


def test_a_huge_cell_in_a_small_workbook_is_refused_before_it_is_unpacked(tmp_path):
    row = roster_row()
    row[ADDRESS] = Huge(50_000_000, "a")
    path = write_raw_xlsx(tmp_path / "r.xlsx", numbered([ROSTER_HEADERS_ZH, row]))
    assert path.stat().st_size < 200_000
    problem = refusal(path)
    assert problem.code == "cell_too_big"
    assert "cell G2 holds more than 32,767 characters" in problem.message("en")


def test_the_unpacked_size_and_the_cells_of_a_workbook_are_capped(tmp_path):
    path = write_raw_xlsx(tmp_path / "r.xlsx", numbered([ROSTER_HEADERS_ZH, *people(300)]))
    small = RosterOptions(limits=RosterLimits(max_unpacked_mb=1))
    assert load_roster(path, today=TODAY, options=small).ok
    few_cells = RosterOptions(limits=RosterLimits(max_cells=2000))
    assert refusal(path, few_cells).message("en").endswith("the sheet holds more than 2,000 cells; a roster is far smaller")
    cjk = roster_row()
    cjk[ADDRESS] = Huge(2_000_000, "路")  # 6 MB of text, unpacked
    big = write_raw_xlsx(tmp_path / "big.xlsx", numbered([ROSTER_HEADERS_ZH, cjk]))
    problem = refusal(big, small)
    assert (problem.code, problem.params) == ("xlsx_too_big", {"size": 6, "limit": 1})


def test_rows_are_capped(tmp_path):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, *people(30)])
    problem = refusal(path, RosterOptions(limits=RosterLimits(max_rows=20)))
    assert problem.code == "too_many_rows" and "max_rows" in problem.message("en")


def test_stray_cells_far_right_do_not_make_rows(tmp_path):
    rows = numbered([ROSTER_HEADERS_ZH, *people(3)])
    rows += [(n, [(16384, "x")]) for n in range(5, 5005)]  # column XFD, the last Excel has
    rows += [(5005, [(c + 1, v) for c, v in enumerate(people(4)[3])])]
    check = load_roster(write_raw_xlsx(tmp_path / "r.xlsx", rows), today=TODAY)
    assert check.errors == []
    assert [r.row for r in check.records] == [2, 3, 4, 5005]


def test_rows_are_blank_when_their_known_columns_are(tmp_path):
    rows = [[*ROSTER_HEADERS_ZH, "备注"], roster_row(), [""] * 14 + ["见附件"], ["", "", " "] + [""] * 12]
    check = load_roster(write_csv(tmp_path / "r.csv", rows), today=TODAY)
    assert check.errors == [] and len(check.records) == 1


# -- characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, code, position",
    [
        ("王\x00建国", "U+0000", 2),
        ("\x1b[31m王建国", "U+001B", 1),
        ("王建\u202e国", "U+202E", 3),
        ("王\u200b建国", "U+200B", 2),
        ("\ufeff王建国", "U+FEFF", 1),
    ],
)
def test_invisible_characters_are_refused_and_named(tmp_path, name, code, position):
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(姓名=name)])
    check = load_roster(path, today=TODAY)
    (problem,) = check.errors
    assert (problem.row, problem.column, problem.code) == (2, "姓名", "unsafe_character")
    assert (problem.params["code"], problem.params["position"]) == (code, position)
    for lang in ("zh", "en"):
        text = problem.message(lang)
        assert code in text
        assert name[position - 1] not in text and "\x1b" not in text
    assert check.records == []


def test_line_breaks_and_tabs_in_a_cell_are_spaces(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [ROSTER_HEADERS_ZH, roster_row(住址="城关镇\n东街村\t3号")])
    assert load_roster(path, today=TODAY).records[0].address == "城关镇 东街村 3号"


def test_invisible_characters_in_a_header_never_reach_a_message(tmp_path):
    path = write_csv(tmp_path / "r.csv", [[*ROSTER_HEADERS_ZH, "备\x1b[2J注"], roster_row()])
    (warning,) = load_roster(path, today=TODAY).warnings
    assert warning.column == "备⟨U+001B⟩[2J注" and "\x1b" not in warning.message("zh")


@pytest.mark.parametrize(
    "column, value, start",
    [("姓名", "=HYPERLINK(\"http://x\")", "="), ("住址", "+3号楼", "+"), ("村小区", "@SUM(A1)", "@"),
     ("党支部", "-1+1", "-"), ("责任人", " =1+1", "=")],
)  # fmt: skip
def test_text_starting_like_a_formula_is_refused(tmp_path, column, value, start):
    check = load_roster(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(**{column: value})]),
                        today=TODAY)  # fmt: skip
    (problem,) = check.errors
    assert (problem.row, problem.column, problem.code) == (2, column, "formula_text")
    assert problem.message("en").startswith(f"row 2, column {column}: starts with '{start}'")


def test_a_phone_with_a_country_code_and_a_negative_number_are_not_formulas(tmp_path):
    rows = [ROSTER_HEADERS_ZH, roster_row(联系电话="+86 139 0000 1111", 住址=-5)]
    (record,) = load_roster(write_xlsx(tmp_path / "r.xlsx", rows), today=TODAY).records
    assert (record.phones, record.address) == (("13900001111",), "-5")


@pytest.mark.parametrize(
    "value, expected",
    [("=1+1", "'=1+1"), ("+86 139", "'+86 139"), ("-x", "'-x"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
     (" =1", "' =1"), ("｜cmd", "'｜cmd"), ("%0A", "'%0A"), ("王建国", "王建国"), ("-5", "-5"),
     ("+3.5", "+3.5"), (-5, -5), (None, None), (date(2026, 1, 1), date(2026, 1, 1)), ("", "")],
)  # fmt: skip
def test_escape_for_spreadsheet(value, expected):
    assert escape_for_spreadsheet(value) == expected


# -- the list of problems ---------------------------------------------------------------


def test_the_list_is_capped_and_the_rest_counted_by_kind(tmp_path):
    bad = roster_row(姓名="", 身份证号="", 类别="", 乡镇社区="", 村小区="", 住址="某地")
    path = write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, *([bad] * 1000)])
    check = load_roster(path, today=TODAY)
    assert len(check.errors) == 200 and check.error_count == 5000
    assert [e.row for e in check.errors] == sorted(e.row for e in check.errors)
    assert check.errors[-1].row == 41  # the first rows, all their problems
    assert check.omitted == {"required": 4800}
    assert check.omitted_line("zh") == "……另有 4,800 处问题未列出：不能为空（4,800 处）"
    assert check.omitted_line("en") == "… and 4,800 more not listed: must not be empty (4,800)"
    few = load_roster(path, today=TODAY, options=RosterOptions(limits=RosterLimits(max_errors=10)))
    assert len(few.errors) == 10 and few.error_count == 5000


def test_a_short_list_has_no_closing_line(tmp_path):
    check = load_roster(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row(类别="")]), today=TODAY)
    assert check.error_count == 1 and check.omitted_line() is None


# -- memory -----------------------------------------------------------------------------

_CHILD = """
import json, sys
from yinhui.roster import RosterFileError, load_roster

def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss would carry the parent's over fork and exec.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

base = peak_mb()
try:
    check = load_roster(sys.argv[1])
    outcome = check.error_count
except RosterFileError as exc:
    outcome = exc.code
print(json.dumps({"outcome": outcome, "grew_mb": peak_mb() - base}))
"""


def _grew(path: Path) -> dict[str, object]:
    # A fresh process: what reading this one file cost, not the test run's history.
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                          check=True, cwd=ROOT)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_hostile_files_are_read_in_little_memory(tmp_path):
    huge = roster_row()
    huge[ADDRESS] = Huge(50_000_000, "a")
    stray = numbered([ROSTER_HEADERS_ZH, roster_row()]) + [(n, [(16384, "x")]) for n in range(3, 50_003)]
    long_field = roster_row()
    long_field[ADDRESS] = "路" * 200_000
    files = {
        "huge": write_raw_xlsx(tmp_path / "huge.xlsx", numbered([ROSTER_HEADERS_ZH, huge])),
        "stray": write_raw_xlsx(tmp_path / "stray.xlsx", stray),
        "long": write_csv(tmp_path / "long.csv", [ROSTER_HEADERS_ZH, long_field]),
    }
    results = {name: _grew(path) for name, path in files.items()}
    assert [results[n]["outcome"] for n in files] == ["cell_too_big", 0, "row_cell_too_big"]
    for name, result in results.items():
        assert result["grew_mb"] < 40, (name, result)  # 675 MB for the huge cell before


def test_read_table_still_reads_a_header_it_was_given(tmp_path):
    table = read_table(write_csv(tmp_path / "r.csv", [ROSTER_HEADERS_ZH, roster_row()]), ROSTER_COLUMNS)
    assert [n for n, _ in table.rows] == [2]
