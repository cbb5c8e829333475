"""Roster import in the database: one round of problems, a dry run's diff, and re-imports that may
not undo what is known (a death, a move, a change recorded after the file was written)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import func, select

from models.grids import Grid
from models.people import Cadre
from tests import factories
from tests.roster.sheets import ROSTER_HEADERS_ZH, roster_row, write_csv
from yinhui import clock
from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
from yinhui.roster import load_roster, make_id_number
from yinhui.rules.playbook import PlaybookError, parse_playbook
from yinhui.services.must_visits import record_occurrence
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.roster_import import (
    ImportRejected,
    apply_roster,
    check_roster_file,
    import_roster_file,
    roster_options,
)

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
WANG = make_id_number("142623", D("1938-05-01"), 7, "M")
LI = next(n for n in (make_id_number("142623", D("1950-11-20"), s, "F") for s in range(99)) if n.endswith("X"))
ZHAO = make_id_number("142623", D("1946-02-03"), 9, "M")


def row(who: str, **cells: object) -> list[object]:
    people = {
        "王建国": {"身份证号": WANG, "性别": "男", "出生日期": "1938-05-01", "类别": "离休"},
        "李秀英": {"身份证号": LI, "性别": "女", "出生日期": "1950-11-20", "类别": "退休",
                 "联系电话": "13900002222", "村小区": "西街村"},
        "赵德明": {"身份证号": ZHAO, "性别": "男", "出生日期": "1946-02-03", "类别": "退休",
                 "乡镇社区": "河底镇", "村小区": "上村"},
    }  # fmt: skip
    return roster_row(姓名=who, **{**people[who], **cells})


def roster(path: Path, rows: list[list[object]], written: str) -> Path:
    """A roster file last saved at noon (Beijing time) on ``written``."""
    write_csv(path, [ROSTER_HEADERS_ZH, *rows])
    moment = pendulum.parse(f"{written}T12:00:00", tz="Asia/Shanghai").timestamp()
    os.utime(path, (moment, moment))
    return path


def at(day: str):  # noqa: ANN201 - a context manager from the clock
    return clock.frozen_at(D(day))


def run(session, path: Path, day: str, **kwargs):  # noqa: ANN201
    with at(day):
        return import_roster_file(session, path, actor="cli:import-roster", on=D(day), **kwargs)


def cadres(session) -> dict[str, Cadre]:
    return {c.name: c for c in session.execute(select(Cadre)).scalars()}


@pytest.fixture
def county(session):
    people = factories.small_county(session)
    factories.coordinator(session, "钱干事", "staff")
    refresh_grid_owners(session)
    return people


@pytest.fixture
def imported(session, county, tmp_path):
    """Three cadres imported on 1 Jan from a roster saved on 31 Dec."""
    first = roster(tmp_path / "first.csv", [row("王建国"), row("李秀英"), row("赵德明")], "2025-12-31")
    done = run(session, first, "2026-01-01")
    assert done.written and done.result.created == 3
    return cadres(session)


def test_an_unknown_coordinator_comes_with_the_other_problems(session, county, tmp_path):
    bad_id = WANG[:17] + ("0" if WANG[17] != "0" else "1")
    path = roster(tmp_path / "r.csv", [row("王建国", 身份证号=bad_id), row("李秀英", 责任人="孙不在")], "2026-01-01")
    outcome = run(session, path, "2026-01-02")
    assert [e.message("zh") for e in outcome.errors] == [
        f"第 2 行「身份证号」：校验位应为 {WANG[17]}",
        "第 3 行「责任人」：责任人「孙不在」不在工作人员名单中",
    ]
    assert not outcome.written and cadres(session) == {}
    check = check_roster_file(session, path, today=D("2026-01-02"))
    assert [e.code for e in check.errors] == ["id_checksum", "coordinator_unknown"]


def test_a_known_coordinator_is_linked(session, county, tmp_path):
    path = roster(tmp_path / "r.csv", [row("王建国", 责任人="钱干事"), row("李秀英")], "2026-01-01")
    ticks: list[int] = []
    assert run(session, path, "2026-01-02", progress=lambda: ticks.append(1)).written
    assert len(ticks) == 2
    assert cadres(session)["王建国"].coordinator_id is not None


def test_an_older_roster_does_not_bring_back_the_dead(session, imported, tmp_path):
    wang = imported["王建国"]
    with at("2026-01-10"):  # reported through the CLI or chat: 去世
        record_occurrence(session, cadre_id=wang.id, kind="去世", on=D("2026-01-09"), actor="chat",
                          playbook=PLAYBOOK, today=D("2026-01-10"))  # fmt: skip
    older = roster(tmp_path / "older.csv",
                   [row("王建国", 状态="正常"), row("李秀英", 联系电话="13900003333"), row("赵德明")],
                   "2025-12-20")  # fmt: skip
    outcome = run(session, older, "2026-01-15")
    assert not outcome.written
    assert [e.message("zh") for e in outcome.errors] == [
        "第 2 行「状态」：王建国自 2026-01-09 起登记为去世，本文件写的是正常；导入花名册不会自行更改这一状态："
        "如确属文件正确，请确认该同志的身份证号",
        "第 3 行：李秀英的信息在本文件制作（2025-12-20）之后于 2026-01-01 已有变更；本文件将更改联系电话："
        "请确认该同志的身份证号，或给出文件的实际日期",
    ]
    session.expire_all()
    now = cadres(session)
    assert (now["王建国"].status, now["李秀英"].phones) == ("deceased", "13900002222")  # nothing written
    confirmed = run(session, older, "2026-01-15", confirm={WANG, LI.lower()})
    assert confirmed.written
    assert [(name, old, new) for name, old, new, _ in confirmed.result.status_changes] == [
        ("王建国", "deceased", "active")]
    assert cadres(session)["李秀英"].phones == "13900003333"


def test_moved_away_stays_moved_even_in_a_newer_roster(session, imported, tmp_path):
    moved = roster(tmp_path / "moved.csv", [row("王建国"), row("李秀英"), row("赵德明", 状态="异地安置")],
                   "2026-01-20")  # fmt: skip
    assert run(session, moved, "2026-01-21").result.status_changes[0][1:3] == ("active", "moved")
    back = roster(tmp_path / "back.csv", [row("王建国"), row("李秀英"), row("赵德明", 状态="在册")],
                  "2026-02-01")  # fmt: skip
    refused = run(session, back, "2026-02-02")
    assert [(e.row, e.column, e.code) for e in refused.errors] == [(4, "状态", "status_protected")]
    assert "已迁出" not in refused.errors[0].message("zh") and "迁出" in refused.errors[0].message("zh")
    assert cadres(session)["赵德明"].status == "moved"
    assert run(session, back, "2026-02-02", confirm=[ZHAO]).written
    assert cadres(session)["赵德明"].status == "active"


def test_a_roster_newer_than_the_changes_goes_through(session, imported, tmp_path):
    newer = roster(tmp_path / "newer.csv",
                   [row("王建国", 住址="城关镇新街5号"), row("李秀英", 状态="已故"), row("赵德明")],
                   "2026-01-20")  # fmt: skip
    outcome = run(session, newer, "2026-01-21")
    assert outcome.written and outcome.errors == []
    assert (outcome.result.created, outcome.result.updated, outcome.result.unchanged) == (0, 2, 1)
    now = cadres(session)
    assert (now["王建国"].address, now["李秀英"].status) == ("城关镇新街5号", "deceased")


def test_the_operator_can_give_the_files_date(session, imported, tmp_path):
    # A file copied today (its modification time is today) that really is an old export.
    copy = roster(tmp_path / "copy.csv", [row("王建国", 住址="旧地址"), row("李秀英"), row("赵德明")],
                  "2026-01-05")  # fmt: skip
    assert run(session, copy, "2026-01-05", file_date=D("2025-12-01")).errors[0].code == "changed_after_file"
    assert run(session, copy, "2026-01-05").written


def test_a_file_saved_right_after_an_import_is_not_older_than_it(session, imported, tmp_path):
    """A file's time may lag by its file system's grain (2 s in a ZIP, a clock tick on Linux): a
    file saved within it of a change is not refused as older; one saved clearly before still is."""
    changed = pendulum.instance(imported["王建国"].updated_at)
    rows = [row("王建国", 住址="城关镇新街7号"), row("李秀英"), row("赵德明")]
    before = roster(tmp_path / "before.csv", rows, "2026-01-01")
    os.utime(before, (changed.subtract(seconds=10).timestamp(),) * 2)
    assert run(session, before, "2026-01-01").errors[0].code == "changed_after_file"
    right_after = roster(tmp_path / "right-after.csv", rows, "2026-01-01")
    os.utime(right_after, (changed.subtract(seconds=1).timestamp(),) * 2)
    outcome = run(session, right_after, "2026-01-01")
    assert outcome.written and outcome.errors == []
    assert cadres(session)["王建国"].address == "城关镇新街7号"


def test_a_dry_run_lists_every_change_masked_and_writes_nothing(session, imported, tmp_path):
    new = make_id_number("142623", D("1944-07-07"), 3, "F")
    grids = session.execute(select(func.count()).select_from(Grid)).scalar_one()
    later = roster(tmp_path / "later.csv", [
        row("王建国", 联系电话="13911112222；0359-7012345", 独居="是"),
        row("李秀英", 类别="离休干部", 状态="病故", 村小区="东街村"),
        row("赵德明"),
        roster_row(姓名="孙桂兰", 身份证号=new, 性别="女", 出生日期="1944-07-07", 村小区="新村"),
    ], "2026-01-20")  # fmt: skip
    outcome = run(session, later, "2026-01-21", dry_run=True)
    assert not outcome.written and outcome.errors == []
    lines = outcome.plan.lines("zh")
    assert lines == [
        "第 2 行：王建国（142623**********" + WANG[-2:] + "）：联系电话：139****1111 → 139****2222、035****2345、"
        "独居：否 → 是",
        "第 3 行：李秀英（142623**********" + LI[-2:] + "）：类别：退休 → 离休、村小区：西街村 → 东街村、状态：正常 → 去世",
        "第 5 行：孙桂兰（142623**********" + new[-2:] + "）：新增",
    ]
    assert outcome.plan.lines("en")[0].startswith("row 2: 王建国 (142623**********")
    assert "phone 139****1111 → 139****2222/035****2345, lives_alone no → yes" in outcome.plan.lines("en")[0]
    session.expire_all()
    assert cadres(session)["李秀英"].status == "active" and "孙桂兰" not in cadres(session)
    assert session.execute(select(func.count()).select_from(Grid)).scalar_one() == grids  # no 新村


def test_a_dry_run_shows_protected_changes_too(session, imported, tmp_path):
    with at("2026-01-10"):
        record_occurrence(session, cadre_id=imported["王建国"].id, kind="去世", on=D("2026-01-10"),
                          actor="cli", playbook=PLAYBOOK, today=D("2026-01-10"))  # fmt: skip
    stale = roster(tmp_path / "stale.csv", [row("王建国"), row("李秀英"), row("赵德明")], "2026-01-20")
    outcome = run(session, stale, "2026-01-21", dry_run=True)
    assert [e.code for e in outcome.errors] == ["status_protected"]
    assert outcome.plan.lines("en") == [
        f"row 2: 王建国 ({WANG[:6]}**********{WANG[-2:]}): status deceased → active [needs confirming]"]


def test_the_old_apply_roster_refuses_protected_changes_too(session, imported, tmp_path):
    with at("2026-01-10"):
        record_occurrence(session, cadre_id=imported["王建国"].id, kind="去世", on=D("2026-01-10"),
                          actor="cli", playbook=PLAYBOOK, today=D("2026-01-10"))  # fmt: skip
    records = load_roster(roster(tmp_path / "r.csv", [row("王建国")], "2026-01-20"), today=D("2026-01-21")).records
    with at("2026-01-21"), pytest.raises(ImportRejected) as caught:
        apply_roster(session, records, actor="cli", on=D("2026-01-21"))
    assert [(e.row, e.column, e.code) for e in caught.value.errors] == [(2, "状态", "status_protected")]
    with at("2026-01-21"):
        assert apply_roster(session, records, actor="cli", on=D("2026-01-21"), confirm=[WANG]).updated == 1


def test_the_bureaus_own_words_come_from_its_playbook(session, county, tmp_path):
    import tomllib

    data = tomllib.loads(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))
    data["roster"]["column_synonyms"] = {"id_number": ["证件号"]}
    data["roster"]["value_synonyms"] = {"status": {"active": ["在编"]}}
    playbook = parse_playbook(data)
    headers = ["证件号" if h == "身份证号" else h for h in ROSTER_HEADERS_ZH]
    path = tmp_path / "r.csv"
    write_csv(path, [headers, row("王建国", 状态="在编")])
    with at("2026-01-02"):
        assert import_roster_file(session, path, actor="t", on=D("2026-01-02"), playbook=playbook).written
    data["roster"]["column_synonyms"] = {"id_number": ["姓名"]}
    with pytest.raises(PlaybookError) as caught:
        roster_options(parse_playbook(data))
    assert caught.value.key == "roster.column_synonyms.id_number"
    assert "already names the column 'name'" in caught.value.reason
