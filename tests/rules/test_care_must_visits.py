"""Must-visit rules (四必访): kinds people type, deadlines, follow-ups, big birthdays, escalation days."""

from __future__ import annotations

import datetime as dt

import pytest

from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
from yinhui.rules.cadence import period_of
from yinhui.rules.care import escalation_days, own_escalation_days, rule_title
from yinhui.rules.must_visits import (
    UnknownKind,
    birth_ranges,
    birthday_window,
    detail_text,
    follow_up_window,
    kind_of_rule,
    milestones_between,
    must_visit_rule,
    parse_kind,
    review_window,
    visit_window,
)
from yinhui.rules.playbook import PlaybookError, parse_playbook
from yinhui.rules.workdays import WorkCalendar

D = dt.date.fromisoformat
PLAYBOOK = load_playbook()
VISITS = PLAYBOOK.must_visits
AFTER = WorkCalendar().working_day_on_or_after
BEFORE = WorkCalendar().working_day_on_or_before


@pytest.mark.parametrize(("word", "expected"), [
    ("住院", ("hospitalisation", None)), ("Hospital", ("hospitalisation", None)),
    ("婚事", ("family_event", "wedding")), ("丧事", ("family_event", "bereavement")),
    ("家事", ("family_event", None)), ("困难", ("hardship", None)), ("去世", ("death", None)),
    ("出院", ("discharged", None)), ("resolved", ("resolved", None)),
])
def test_what_people_type_names_a_kind(word, expected):
    assert parse_kind(word) == expected


def test_an_unknown_word_lists_the_kinds():
    with pytest.raises(UnknownKind, match="hospitalisation .*住院.*death"):
        parse_kind("感冒")


def test_each_kind_has_its_own_deadline_from_the_report():
    thursday = D("2026-11-05")
    assert visit_window(VISITS.hardship, on=thursday, reported=thursday) == (thursday, D("2026-11-12"))
    assert visit_window(VISITS.family_event, on=thursday, reported=thursday) == (thursday, D("2026-11-08"))
    # Hospitalisation: within 2 days. Due on Saturday, it moves to Monday, never to the report day.
    assert visit_window(VISITS.hospitalisation, on=thursday, reported=thursday, shift_after=AFTER) == (
        thursday, D("2026-11-09"))
    # Reported late: the deadline counts from the report, so it is not born overdue.
    assert visit_window(VISITS.hospitalisation, on=D("2026-11-01"), reported=thursday)[1] == D("2026-11-07")
    # A wedding next month is visited around the wedding, but shows on the list from today.
    assert visit_window(VISITS.family_event, on=D("2026-12-12"), reported=thursday) == (thursday, D("2026-12-15"))


def test_the_call_after_discharge_opens_on_discharge_or_three_weeks_on():
    follow = VISITS.hospitalisation.follow_up
    admitted = D("2026-11-02")
    assert follow_up_window(follow, on=admitted) == (D("2026-11-23"), D("2026-11-26"))
    assert follow_up_window(follow, on=admitted, closed_on=D("2026-11-06")) == (D("2026-11-06"), D("2026-11-09"))
    assert follow_up_window(follow, on=admitted, closed_on=D("2026-11-06"), shift_after=AFTER) == (
        D("2026-11-06"), D("2026-11-09"))
    # A discharge after the three weeks changes nothing: the call opened already.
    assert follow_up_window(follow, on=admitted, closed_on=D("2026-12-20"))[0] == D("2026-11-23")


def test_the_bereaved_family_gets_a_call_a_month_on_and_hardship_a_review_each_month():
    assert follow_up_window(VISITS.death.follow_up, on=D("2026-11-02")) == (D("2026-12-02"), D("2026-12-09"))
    assert follow_up_window(VISITS.hardship.follow_up, on=D("2026-11-02")) is None  # monthly, not one-off
    assert follow_up_window(VISITS.family_event.follow_up, on=D("2026-11-02")) is None
    november = period_of("month", D("2026-11-10"))
    # Due the 15th, a Sunday: the Monday after, still in November.
    assert review_window(VISITS.hardship.follow_up, november, AFTER) == (D("2026-11-01"), D("2026-11-16"))


def test_big_birthdays_come_from_the_birth_date_with_a_lead_time():
    born = D("1936-11-20")  # 90 on 2026-11-20
    assert milestones_between(PLAYBOOK, born, D("2026-11-06")) == [(90, D("2026-11-20"))]
    assert milestones_between(PLAYBOOK, born, D("2026-11-05")) == []  # 15 days ahead: not yet
    assert milestones_between(PLAYBOOK, D("1941-11-20"), D("2026-11-06")) == []  # 85: not a round one
    assert milestones_between(PLAYBOOK, D("1925-11-20"), D("2026-11-06")) == [(101, D("2026-11-20"))]  # 100+: yearly
    assert milestones_between(PLAYBOOK, D("1956-02-29"), D("2026-02-20")) == [(70, D("2026-02-28"))]
    for age, first, last in birth_ranges(PLAYBOOK, D("2026-11-06")):
        if age == 90:
            assert first <= born <= last
    # Due on the birthday; on a day off the working day before (never late for a birthday).
    assert birthday_window(PLAYBOOK, D("2026-11-20"), today=D("2026-11-06")) == (D("2026-11-06"), D("2026-11-20"))
    assert birthday_window(PLAYBOOK, D("2026-11-22"), today=D("2026-11-10"), shift_before=BEFORE) == (
        D("2026-11-10"), D("2026-11-20"))


def test_details_read_well_in_both_languages():
    assert detail_text("milestone:90", "zh") == "90岁寿辰"
    assert detail_text("milestone:90", "en") == "90th birthday"
    assert detail_text("wedding", "zh") == "婚事"
    assert detail_text(None, "zh") is None


def test_must_visits_escalate_faster_than_routine_tasks_through_the_one_mechanism():
    own = own_escalation_days(PLAYBOOK)
    assert own["must_visit:hospitalisation"] == own["must_visit:death"] == [1, 3]
    assert escalation_days(PLAYBOOK, "must_visit:hardship") == [1, 3]
    assert escalation_days(PLAYBOOK, "monthly_call") == PLAYBOOK.escalation.after_days == [3, 7]
    assert "follow_up:hospitalisation" not in own  # follow-ups are routine work
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8").replace(
        "[must_visits.death]                  # the cadre's own death: condolences to the family\n",
        "[must_visits.death]\nescalate_after_days = [0, 1]\n",
    )
    import tomllib

    mine = parse_playbook(tomllib.loads(text))
    assert own_escalation_days(mine)["must_visit:death"] == [0, 1]
    assert own_escalation_days(mine)["must_visit:hardship"] == [1, 3]


def test_rules_have_titles_and_names_round_trip():
    assert kind_of_rule(must_visit_rule("hardship")) == ("must_visit", "hardship")
    assert kind_of_rule("monthly_call") is None
    assert rule_title(PLAYBOOK, "must_visit:hospitalisation").zh == "生病住院探望"
    assert rule_title(PLAYBOOK, "follow_up:hospitalisation").en == "Call after discharge"
    assert rule_title(PLAYBOOK, "follow_up:family_event") is None  # no follow-up for that kind
    assert rule_title(PLAYBOOK, "service:medical").zh == "送医疗"
    assert rule_title(PLAYBOOK, "org_life:theme_day").zh == "主题党日"
    assert rule_title(PLAYBOOK, "staff:lecture").zh == "奋进讲堂主讲"
    assert rule_title(PLAYBOOK, "monthly_call") is None


@pytest.mark.parametrize(("old", "new", "key"), [
    ("escalate_after_days = [1, 3]", "escalate_after_days = [3, 1]", "must_visits.escalate_after_days"),
    ('when = "monthly", due_days = 14', 'when = "monthly", after_days = 30, due_days = 14',
     "must_visits.hardship.follow_up"),
    ('key = "comfort"', 'key = "medical"', ""),
    ("absence_visit_after = 3", "absence_visit_after = 0", "org_life.absence_visit_after"),
    ("weekday = 0 ", "weekday = 7 ", "staff_rhythm.lecture.weekday"),
])
def test_a_broken_care_section_is_refused_naming_the_key(tmp_path, old, new, key):
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "playbook.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    assert err.value.key == key
    if not key:
        assert "'medical' is declared twice" in err.value.reason
