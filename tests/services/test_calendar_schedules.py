"""The bureau's own calendar entries: official days off for years the library lacks, and task nodes.

2027 is past chinese_calendar's last year (2026), so it falls back to weekends until someone enters
the State Council notice. The 2027 days below are an example entry, not the published schedule.
"""

from __future__ import annotations

import datetime as dt

import pytest

from models.calendar import BureauNodeRow
from models.db import session_scope
from yinhui.playbook_loader import load_playbook
from yinhui.rules.calendar_nodes import BureauNode
from yinhui.rules.playbook import parse_playbook
from yinhui.rules.workdays import schedule_from_mapping
from yinhui.services.calendar import (
    add_node,
    bureau_nodes,
    clear_schedule,
    nodes_in_year,
    remove_node,
    schedule_source,
    set_schedule,
    work_calendar,
)
from yinhui.services.errors import CalendarError

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
ENTRY_2027 = schedule_from_mapping(2027, {"days_off": ["2027-02-05..2027-02-11", "2027-04-30"],
                                          "workdays": ["2027-02-14"]})


def _with_holidays(year: int, days_off: list[str]):
    data = PLAYBOOK.model_dump(mode="json")
    data["holidays"] = {str(year): {"days_off": days_off, "workdays": []}}
    return parse_playbook(data)


def test_an_entered_year_replaces_the_weekend_guess(session):
    assert work_calendar(session, PLAYBOOK).is_guess(2027)
    assert schedule_source(session, PLAYBOOK, 2027) == "none"
    set_schedule(session, ENTRY_2027, actor="test")
    calendar = work_calendar(session, PLAYBOOK)
    assert not calendar.is_guess(2027)
    assert calendar.is_day_off(D("2027-02-10")) and calendar.is_working_day(D("2027-02-14"))
    assert calendar.working_day_on_or_before(D("2027-04-30")) == D("2027-04-29")
    assert schedule_source(session, PLAYBOOK, 2027) == "database"


def test_database_over_playbook_over_library(session):
    playbook = _with_holidays(2026, ["2026-03-03"])  # say the county gave Lantern Festival off
    assert schedule_source(session, playbook, 2026) == "playbook"
    assert work_calendar(session, playbook).is_day_off(D("2026-03-03"))
    assert not work_calendar(session, PLAYBOOK).is_day_off(D("2026-03-03"))
    set_schedule(session, schedule_from_mapping(2026, {"days_off": ["2026-03-04"]}), actor="test")
    calendar = work_calendar(session, playbook)
    assert schedule_source(session, playbook, 2026) == "database"
    assert calendar.is_day_off(D("2026-03-04")) and not calendar.is_day_off(D("2026-03-03"))
    assert clear_schedule(session, 2026) == 1
    assert schedule_source(session, PLAYBOOK, 2026) == "chinese_calendar"


def test_setting_a_year_again_replaces_all_of_it(session):
    set_schedule(session, ENTRY_2027, actor="test")
    set_schedule(session, schedule_from_mapping(2027, {"days_off": ["2027-10-04"]}), actor="test")
    calendar = work_calendar(session, PLAYBOOK)
    assert calendar.is_working_day(D("2027-02-10")) and calendar.is_day_off(D("2027-10-04"))


def test_a_december_day_cannot_belong_to_two_notices(session):
    set_schedule(session, schedule_from_mapping(2027, {"workdays": ["2026-12-26"]}), actor="test")
    with pytest.raises(CalendarError, match="already entered in the 2027 schedule"):
        set_schedule(session, schedule_from_mapping(2026, {"days_off": ["2026-12-26"]}), actor="test")


def test_nodes_added_by_the_bureau_join_the_calendar(session):
    add_node(session, BureauNode("party_anniversary", "建党105周年", "Party 105th", 7, 1, 2026), playbook=PLAYBOOK,
             actor="test")
    add_node(session, BureauNode("campaign", "专项行动截止", "Campaign deadline", 6, 30), playbook=PLAYBOOK, actor="test")
    keys_2026 = [n.key for n in nodes_in_year(session, PLAYBOOK, 2026)]
    assert keys_2026.index("campaign") < keys_2026.index("party_anniversary") < keys_2026.index("army_day")
    assert "party_anniversary" not in [n.key for n in nodes_in_year(session, PLAYBOOK, 2027)]
    for clash, message in (("qingming", "built-in"), ("annual_assessment", "in the playbook"), ("campaign", "exists")):
        with pytest.raises(ValueError, match=message):  # CalendarError, or BureauNode's own check
            add_node(session, BureauNode(clash, "重复", "Again", 1, 2), playbook=PLAYBOOK, actor="test")
    remove_node(session, "campaign")
    with pytest.raises(CalendarError, match="no node 'campaign'"):
        remove_node(session, "campaign")


def test_a_playbook_node_wins_a_clash_with_a_warning(session):
    session.add(BureauNodeRow(key="annual_assessment", name_zh="考核", name_en="Assessment", month=1, day=5,
                              created_by="test"))
    session.flush()
    nodes, warnings = bureau_nodes(session, PLAYBOOK)
    assert [(n.month, n.day) for n in nodes if n.key == "annual_assessment"] == [(12, 20)]
    assert len(warnings) == 1 and "annual_assessment" in warnings[0]


def test_the_planning_context_carries_the_bureau_entries(database):
    from flows.planning_context import planning_context

    ctx = planning_context(D("2026-12-01"))
    assert len(ctx.calendar_warnings()) == 1 and "2027" in ctx.calendar_warnings()[0]
    with session_scope() as s:
        set_schedule(s, ENTRY_2027, actor="test")
    ctx = planning_context(D("2026-12-01"))
    assert ctx.calendar_warnings() == []
    # A month's call due on Friday 2027-04-30, a day off in the entry, is due the day before.
    assert ctx.shift_due(D("2027-04-30")) == D("2027-04-29")
    assert ctx.shift_due_after(D("2027-02-06")) == D("2027-02-12")
