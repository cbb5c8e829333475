"""Why a cadre was not contacted (`coverage.Reason`): one value, worded in each reader's language.

The code and figures stay the same whatever the language; the words come from the catalogues,
counts through ngettext, so the Chinese report never shows an English phrase.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yinhui.services.coverage import NO_TASK, PAUSED, UNREACHABLE_AFTER, Reason

D = dt.date.fromisoformat


@pytest.mark.parametrize(("reason", "english", "chinese"), [
    (Reason(UNREACHABLE_AFTER, 3), "unreachable after 3 attempts", "尝试 3 次仍未接通"),
    (Reason(UNREACHABLE_AFTER, 1), "unreachable after 1 attempt", "尝试 1 次仍未接通"),
    (Reason("open", 1), "open, 1 attempt unreachable so far", "待办，已 1 次未接通"),
    (Reason("overdue", 2), "overdue, 2 attempts unreachable so far", "逾期，已 2 次未接通"),
    (Reason(NO_TASK), "no task", "未安排任务"),
    (Reason("visited", late_on=D("2026-12-02")), "visited late (2026-12-02)", "已走访（2026-12-02 才办，已过当月）"),
    (Reason(PAUSED, pause=("异地居住", D("2026-11-01"), D("2027-02-28"))),
     "paused (异地居住, 2026-11-01..2027-02-28)", "暂停联系（异地居住，2026-11-01 至 2027-02-28）"),
])
def test_a_reason_reads_in_the_readers_language(reason, english, chinese):
    assert (reason.render("en"), str(reason), reason.render("zh")) == (english, english, chinese)


def test_json_readers_get_the_code_and_figures():
    assert Reason(UNREACHABLE_AFTER, 3).as_json() == {
        "reason_code": "unreachable-after-attempts", "attempts": 3, "late_on": None}
    assert Reason(PAUSED, pause=("异地居住", D("2026-11-01"), D("2027-02-28"))).as_json() == {
        "reason_code": "paused", "attempts": 0, "late_on": None, "pause_reason": "异地居住",
        "paused_from": "2026-11-01", "paused_until": "2027-02-28"}
