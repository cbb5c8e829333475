"""The playbook's calendar sections: festivals, task nodes, event templates, yearly events, holidays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
from yinhui.rules.calendar_nodes import nodes_for_year
from yinhui.rules.playbook import PlaybookError, parse_offset
from yinhui.rules.workdays import WorkCalendar

D = dt.date


def _write(tmp_path, extra: str, *, replace: tuple[str, str] | None = None):
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "playbook.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def _refused(tmp_path, extra: str = "", **kw: Any) -> PlaybookError:
    with pytest.raises(PlaybookError) as err:
        load_playbook(_write(tmp_path, extra, **kw))
    return err.value


def test_shipped_playbook_declares_festival_visits_a_template_and_a_yearly_event():
    playbook = load_playbook()
    assert playbook.festival_visits.festivals == ["spring_festival", "mid_autumn_festival", "double_ninth_festival"]
    assert playbook.festival_days_before() == {10: 10, 20: 5, 30: 5, 50: 2}
    template = playbook.template("themed_event")
    assert [(s.key, s.at, s.owner) for s in template.steps] == [
        ("plan", -60, "leader"), ("design", -45, "staff"), ("venue", -30, "staff"), ("invite", -14, "staff"),
        ("check", -7, "leader"), ("hold", 0, "staff"), ("summary", 3, "staff"), ("report", 7, "leader"),
    ]
    assert [(e.node, e.template) for e in playbook.yearly_events] == [("double_ninth_festival", "themed_event")]
    keys = {n.key for n in nodes_for_year(2026, playbook.bureau_nodes())}
    assert {"annual_assessment", "practical_deeds_review"} <= keys
    assert "practical_deeds_review" not in {n.key for n in nodes_for_year(2027, playbook.bureau_nodes())}


def test_offsets_are_written_like_the_bureau_writes_them():
    assert [parse_offset(v) for v in ("T-60", "T0", "T+3", "T - 7", -5)] == [-60, 0, 3, -7, -5]
    for bad in ("60", "T*3", "tomorrow", True):
        with pytest.raises(ValueError):
            parse_offset(bad)


def test_a_year_of_days_off_entered_in_the_playbook_reaches_the_calendar(tmp_path):
    playbook = load_playbook(_write(tmp_path, """
[holidays.2027]
days_off = ["2027-02-05..2027-02-11", 2027-01-01]
workdays = ["2027-02-14"]
"""))
    calendar = WorkCalendar(playbook.year_schedules())
    assert not calendar.is_guess(2027)
    assert calendar.is_day_off(D(2027, 2, 8))  # a Monday inside the break
    assert calendar.is_working_day(D(2027, 2, 14))  # a Sunday worked instead
    assert calendar.working_day_on_or_before(D(2027, 2, 9)) == D(2027, 2, 4)


def test_a_bad_holiday_entry_is_refused_naming_it(tmp_path):
    err = _refused(tmp_path, '[holidays.2027]\nworkdays = ["2027-02-15"]\n')
    assert err.key == "holidays"
    assert "2027-02-15 is a weekday" in err.reason


def test_festival_must_be_a_known_node(tmp_path):
    err = _refused(tmp_path, replace=('festivals = ["spring_festival",', 'festivals = ["spring_festivl",'))
    assert "unknown node 'spring_festivl'" in err.reason


def test_a_higher_tier_may_not_be_due_after_a_lower_one(tmp_path):
    err = _refused(tmp_path, replace=("lixiu = 10, aged = 5", "lixiu = 3, aged = 5"))
    assert "lixiu comes before aged" in err.reason


def test_tiers_sharing_a_priority_share_a_deadline(tmp_path):
    err = _refused(tmp_path, replace=("lives_alone = 5, hardship = 5", "lives_alone = 5, hardship = 4"))
    assert "share priority 30" in err.reason


def test_a_deadline_before_the_window_opens_is_refused(tmp_path):
    err = _refused(tmp_path, replace=("opens_days_before = 21", "opens_days_before = 7"))
    assert err.key == "festival_visits"
    assert "before its window opens" in err.reason


def test_a_bad_step_offset_names_the_step(tmp_path):
    err = _refused(tmp_path, replace=('at = "T-45"', 'at = "T minus 45"'))
    assert err.key == "event_templates[0].steps[1].at"


def test_duplicate_step_keys_are_refused(tmp_path):
    err = _refused(tmp_path, replace=('{ key = "design",', '{ key = "plan",'))
    assert "step 'plan' appears twice" in err.reason


def test_yearly_event_needs_a_known_template_and_enough_lead_time(tmp_path):
    err = _refused(tmp_path, replace=('template = "themed_event"\ntitle = { zh = "重阳节',
                                      'template = "gala"\ntitle = { zh = "重阳节'))
    assert "unknown event template 'gala'" in err.reason
    err = _refused(tmp_path, replace=("create_days_before = 75", "create_days_before = 30"))
    assert "at least 60 days before" in err.reason


def test_node_dates_and_keys_are_checked(tmp_path):
    err = _refused(tmp_path, replace=('date = "12-20"', 'date = "12-32"'))
    assert err.key == "nodes[0]"
    assert "not a calendar date" in err.reason
    err = _refused(tmp_path, replace=('key = "annual_assessment"', 'key = "qingming"'))
    assert (err.key, err.reason) == ("nodes[0]", "bureau node 'qingming': key is already a built-in node")
    err = _refused(tmp_path, replace=('key = "practical_deeds_review"', 'key = "annual_assessment"'))
    assert "node 'annual_assessment' is declared twice" in err.reason
    lunar = load_playbook(_write(tmp_path, """
[[nodes]]
key = "lunar_birthday"
name = { zh = "农历生日", en = "Lunar birthday" }
date = "01-08"
lunar = true
"""))
    # 正月初八 2026 is eight days after Spring Festival (02-17).
    dates = {n.key: n.date for n in nodes_for_year(2026, lunar.bureau_nodes())}
    assert dates["lunar_birthday"] == D(2026, 2, 24)
