"""`yinhui report coverage`: why each cadre was not contacted, in the report's language, and no rate
where there is nobody to contact.

The reasons are the report's content, so they follow the bureau's language (YINHUI_LANGUAGE)
while the headers follow the operator's (YINHUI_CLI_LANGUAGE); JSON keeps a stable reason code
beside the words. A grid whose every cadre is paused, or a month before any work, has no rate:
"No data" in the table, null in JSON, "无数据" in the workbook, never 100%.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.db import session_scope
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.cli import main
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence
from yinhui.services.pauses import pause_cadre
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task, record_contact

D = dt.date.fromisoformat
TODAY = "2026-11-20"
PLAYBOOK = load_playbook()


def _unreachable(s, task_id: int, day: str) -> None:
    complete_task(s, task_id, outcome="unreachable", actor="test", on=D(day), playbook=PLAYBOOK, today=D(day))


@pytest.fixture
def county(database, capsys):
    """城关镇: one cadre unreachable after three attempts, one tried once so far, one reached through a
    relative; 河底镇: its only cadre paused (nobody there to contact this month)."""
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")
    with session_scope() as s:
        factories.small_county(s)
        tried_out, tried_once = factories.cadre(s, "王建国"), factories.cadre(s, "李秀英", village="西街村")
        through_son = factories.cadre(s, "张德明", village="西街村")
        away = factories.cadre(s, "异地老人", township="河底镇", village="上村")
        leader = refresh_grid_owners(s).leader_id
        for due in due_cadence(PLAYBOOK, D("2026-11-02")):
            create_cadence_tasks(s, due, day=D("2026-11-02"), prio=PLAYBOOK.priority, leader_id=leader, actor="t")
        pause_cadre(s, away, starts=D("2026-11-01"), until=D("2027-02-28"), reason="异地居住", actor="test",
                    today=D("2026-11-01"))

        def call(cadre_id: int) -> int:
            return s.execute(select(Task.id).where(Task.cadre_id == cadre_id, Task.kind == "call")).scalar_one()

        for day in ("2026-11-05", "2026-11-09", "2026-11-13"):
            _unreachable(s, call(tried_out.id), day)
        _unreachable(s, call(tried_once.id), "2026-11-05")
        record_contact(session=s, cadre_id=through_son.id, on=D("2026-11-09"), mode="call", actor="test",
                       playbook=PLAYBOOK, via="relative")
    capsys.readouterr()


@pytest.fixture
def languages(monkeypatch):
    """Set the bureau's (the report's) and the operator's (the command line's) languages."""
    from yinhui.settings import reset_settings

    def speak(bureau: str, operator: str) -> None:
        monkeypatch.setenv("YINHUI_LANGUAGE", bureau)
        monkeypatch.setenv("YINHUI_CLI_LANGUAGE", operator)
        reset_settings()

    yield speak
    reset_settings()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with clock.frozen_at(D(TODAY)):
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines_of(out: str, name: str) -> str:
    (line,) = [line for line in out.splitlines() if name in line]
    return line


def test_the_reasons_are_in_the_bureaus_language_the_headers_in_the_operators(county, capsys, languages):
    languages("zh", "en")
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-11")
    assert code == 0, err
    assert "why" in out and "paused, not missed (1):" in out  # the operator's words
    assert lines_of(out, "王建国").rstrip().endswith("尝试 3 次仍未接通")
    assert lines_of(out, "李秀英").rstrip().endswith("待办，已 1 次未接通")
    assert lines_of(out, "异地老人").rstrip().endswith("暂停联系（异地居住，2026-11-01 至 2027-02-28）")
    assert "so far" not in out and "unreachable after 3" not in out

    languages("en", "zh")
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-11")
    assert code == 0, err
    assert "原因" in out and "暂停（不计为未联系）（1）：" in out  # the operator reads Chinese
    assert lines_of(out, "王建国").rstrip().endswith("unreachable after 3 attempts")
    assert lines_of(out, "李秀英").rstrip().endswith("open, 1 attempt unreachable so far")
    assert lines_of(out, "异地老人").rstrip().endswith("paused (异地居住, 2026-11-01..2027-02-28)")


def test_json_keeps_a_reason_code_beside_the_words(county, capsys, languages):
    languages("zh", "en")
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-11", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    missed = {m["name"]: m for m in report["missed"]}
    assert {k: missed["王建国"][k] for k in ("reason_code", "attempts", "reason")} == {
        "reason_code": "unreachable-after-attempts", "attempts": 3, "reason": "尝试 3 次仍未接通"}
    assert {k: missed["李秀英"][k] for k in ("reason_code", "attempts", "late_on")} == {
        "reason_code": "open", "attempts": 1, "late_on": None}
    (paused,) = report["paused"]
    assert {k: paused[k] for k in ("name", "reason_code", "pause_reason", "paused_from", "paused_until")} == {
        "name": "异地老人", "reason_code": "paused", "pause_reason": "异地居住", "paused_from": "2026-11-01",
        "paused_until": "2027-02-28"}
    county_line = report["grids"][0]
    assert {k: county_line[k] for k in ("cadres", "contacted", "via_relative", "paused", "missed", "unreachable",
                                        "expected")} == {
        "cadres": 4, "contacted": 1, "via_relative": 1, "paused": 1, "missed": 2, "unreachable": 1, "expected": 3}
    assert county_line["rate"] == pytest.approx(1 / 3)


def test_a_grid_with_everyone_paused_has_no_rate_not_100_percent(county, capsys, tmp_path, languages):
    languages("zh", "en")
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-11", "--all-grids")
    assert code == 0, err
    for grid in ("河底镇", "河底镇/上村"):
        row = next(line for line in out.splitlines() if line.strip().startswith(("2", "3")) and f" {grid} " in line)
        assert row.rstrip().endswith("No data") and "100%" not in row
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-11", "--format", "json")
    rates = {g["grid"]: (g["expected"], g["rate"]) for g in json.loads(out)["grids"]}
    assert rates["河底镇"] == rates["河底镇/上村"] == (0, None)
    assert rates["城关镇/东街村"] == (1, 0.0)
    target = tmp_path / "覆盖.xlsx"
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-11", "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    rows = list(load_workbook(target)["覆盖情况 2026-11"].iter_rows(values_only=True))[1:]
    township = next(r for r in rows if r[0] == 2 and r[2] == "河底镇")
    assert township[4:8] == (1, 0, 0, 1) and township[10] == "无数据"


def test_a_month_before_any_work_has_nothing_to_count(county, capsys, languages):
    languages("zh", "en")
    code, out, err = run(capsys, "report", "coverage", "--month", "2026-01")
    assert code == 0, err
    assert out.splitlines()[0] == "coverage 2026-01: no cadre to contact (0 on the books, 0 paused), nothing to count"
    assert "100%" not in out
    code, out, _ = run(capsys, "report", "coverage", "--month", "2026-01", "--format", "json")
    assert all(g["rate"] is None and g["expected"] == 0 for g in json.loads(out)["grids"])
