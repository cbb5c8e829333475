"""Relatives and volunteer teams from a roster: the 亲属 sheet and the columns beside a cadre, bad rows
in the same one round, a dry run listing what would change, and re-imports that change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from models.organisations import VolunteerMember
from models.people import Cadre, CadreEvent, Relative
from tests import factories
from tests.roster.sheets import ROSTER_HEADERS_ZH, roster_row, write_csv
from yinhui import clock
from yinhui.roster import make_id_number
from yinhui.services.relatives import check_relative, list_relatives, save_relative
from yinhui.services.roster_import import import_roster_file
from yinhui.services.volunteering import add_team

D = dt.date.fromisoformat
WANG = make_id_number("142623", D("1938-05-01"), 7, "M")
LI = make_id_number("142623", D("1950-11-20"), 4, "F")
KIN = ["紧急联系人", "与本人关系", "紧急联系人电话", "志愿服务队"]
SHEET = ["干部身份证号", "所属干部", "姓名", "与本人关系", "联系电话", "紧急联系人", "亲人群"]


def cadre_rows(wang_kin: list[object], li_kin: list[object]) -> list[list[object]]:
    return [
        [*ROSTER_HEADERS_ZH, *KIN],
        [*roster_row(姓名="王建国", 身份证号=WANG), *wang_kin],
        [*roster_row(姓名="李秀英", 身份证号=LI, 性别="女", 出生日期="1950-11-20", 类别="退休"), *li_kin],
    ]


def workbook(path: Path, cadres: list[list[object]], relatives: list[list[object]] | None) -> Path:
    book = Workbook()
    first = book.active
    first.title = "花名册"
    for row in cadres:
        first.append(row)
    if relatives is not None:
        sheet = book.create_sheet("亲属")
        for row in [SHEET, *relatives]:
            sheet.append(row)
    book.save(path)
    return path


def run(session, path: Path, **kwargs):  # noqa: ANN201
    with clock.frozen_at(D("2026-01-02")):
        return import_roster_file(session, path, actor="cli:import-roster", on=D("2026-01-02"), **kwargs)


def relatives(session, name: str) -> list[tuple[str, str, str, bool, bool]]:
    cadre = session.execute(select(Cadre).where(Cadre.name == name)).scalar_one()
    return [(r.name, r.relation, r.phones, r.next_of_kin, r.in_group) for r in list_relatives(session, cadre.id)]


def test_both_forms_are_read_and_a_reimport_changes_nothing(session, tmp_path):
    add_team(session, "宣讲团")
    path = workbook(tmp_path / "r.xlsx",
                    cadre_rows(["王明", "长子", "13900005555", "宣讲团"], ["李华", "女儿", "13900007777", ""]),
                    [[WANG, "王建国", "王明", "儿子", "", "", "是"],
                     [WANG, "王建国", "张兰", "老伴", "0359-7012345", "", "否"]])
    done = run(session, path)
    assert done.written, [e.message("en") for e in done.errors]
    assert done.result.relatives == {"new": 3, "changed": 0, "removed": 0}
    assert relatives(session, "王建国") == [("王明", "儿子", "13900005555", True, True),
                                         ("张兰", "配偶", "0359-7012345", False, False)]
    assert relatives(session, "李秀英") == [("李华", "女儿", "13900007777", True, False)]
    assert session.execute(select(func.count()).select_from(VolunteerMember)).scalar_one() == 1
    again = run(session, path, dry_run=True)
    assert again.plan.relatives == [] and again.plan.lines("en") == []
    assert run(session, path).result.relatives == {"new": 0, "changed": 0, "removed": 0}


def test_the_sheet_is_the_whole_list_for_the_cadres_it_names_and_hand_additions_elsewhere_stay(session, tmp_path):
    path = workbook(tmp_path / "r.xlsx", cadre_rows(["", "", "", ""], ["李华", "女儿", "13900007777", ""]),
                    [[WANG, "", "王明", "儿子", "13900005555", "是", ""]])
    assert run(session, path).written
    wang = session.execute(select(Cadre).where(Cadre.name == "王建国")).scalar_one()
    li = session.execute(select(Cadre).where(Cadre.name == "李秀英")).scalar_one()
    save_relative(session, wang, check_relative("王小红", relation="孙女"), actor="cli:operator")
    save_relative(session, li, check_relative("李强", relation="儿子", phones=["13900008888"]), actor="cli:operator")
    plan = run(session, path, dry_run=True).plan
    assert plan.lines("en") == ["王建国's relative 王小红: removed (not on the sheet 亲属)"]
    done = run(session, path)
    assert done.result.relatives == {"new": 0, "changed": 0, "removed": 1}
    assert [r[0] for r in relatives(session, "王建国")] == ["王明"]
    assert [r[0] for r in relatives(session, "李秀英")] == ["李华", "李强"]  # the sheet does not list her: kept


def test_a_new_next_of_kin_beside_the_cadre_moves_the_flag_and_the_dry_run_masks_phones(session, tmp_path):
    first = workbook(tmp_path / "a.xlsx", cadre_rows(["王明", "儿子", "13900005555", ""], ["", "", "", ""]), None)
    assert run(session, first).written
    second = workbook(tmp_path / "b.xlsx", cadre_rows(["张兰", "配偶", "13900006666", ""], ["", "", "", ""]), None)
    lines = run(session, second, dry_run=True).plan.lines("en")
    assert lines == ["row 2: 王建国's relative 张兰 (配偶): new"]
    assert run(session, second).written
    assert relatives(session, "王建国") == [("张兰", "配偶", "13900006666", True, False),
                                         ("王明", "儿子", "13900005555", False, False)]
    third = workbook(tmp_path / "c.xlsx", cadre_rows(["张兰", "配偶", "13900009999", ""], ["", "", "", ""]), None)
    assert run(session, third, dry_run=True).plan.lines("en") == [
        "row 2: 王建国's relative 张兰: phones 139****6666 → 139****9999"]


def test_bad_relative_rows_come_in_the_same_round_and_nothing_is_written(session, tmp_path):
    add_team(session, "宣讲团")
    other = make_id_number("142623", D("1945-01-01"), 11, "M")
    path = workbook(tmp_path / "r.xlsx",
                    cadre_rows(["王明", "邻居", "13900005555", "合唱团"], ["", "", "13900007777", ""]),
                    [[other, "赵某", "赵明", "儿子", "", "", ""],
                     [WANG, "李四", "张兰", "配偶", "", "", ""],
                     [LI, "", "李华", "女儿", "", "是", ""],
                     [LI, "", "李强", "儿子", "", "是", ""],
                     [LI, "", "李华", "女儿", "", "", ""]])
    outcome = run(session, path)
    assert not outcome.written
    assert [e.message("en") for e in outcome.errors] == [
        "row 2, column 与本人关系: unknown relation '邻居'; accepted: 配偶, 子女, 儿子, 女儿, 儿媳, 女婿, 孙子女, 兄弟姐妹, 其他",
        "row 2, column 志愿服务队: volunteer team '合唱团' is not known; known teams: 宣讲团",
        "row 2, column 亲属!干部身份证号: no cadre with this ID number on the first sheet",
        "row 3, column 紧急联系人: a next of kin's relation or phone is given without a name",
        "row 3, column 亲属!所属干部: '李四' is not the name of the cadre with this ID number (王建国)",
        "row 5, column 亲属!紧急联系人: 李强 would be a second next of kin of the cadre (already 李华); mark only one",
        "row 6, column 亲属!姓名: 李华 is listed twice for the same cadre (also row 4)",
    ]
    assert session.execute(select(func.count()).select_from(Cadre)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(Relative)).scalar_one() == 0


def test_a_csv_with_a_contact_beside_the_contact_phone_names_the_next_of_kin(session, tmp_path):
    factories.coordinator(session, "钱干事", "staff")
    headers = [*ROSTER_HEADERS_ZH, "联系人", "联系人电话"]
    rows = [headers, [*roster_row(姓名="王建国", 身份证号=WANG, 责任人="钱干事"), "王明", "13900005555"]]
    assert run(session, write_csv(tmp_path / "r.csv", rows)).written
    assert relatives(session, "王建国") == [("王明", "其他", "13900005555", True, False)]
    wang = session.execute(select(Cadre).where(Cadre.name == "王建国")).scalar_one()
    assert wang.coordinator_id is not None  # 责任人 stays the coordinator
    details = session.execute(select(CadreEvent.detail).where(CadreEvent.cadre_id == wang.id)).scalars().all()
    assert details and not any("13900005555" in (d or "") or "王明" in (d or "") for d in details)
