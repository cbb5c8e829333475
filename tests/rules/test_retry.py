"""再次联系 as pure rules: the [retry] section and what an unreachable answer leads to."""

from __future__ import annotations

import datetime as dt

import pytest

from yinhui.playbook_loader import load_playbook
from yinhui.rules.playbook import PlaybookError, Retry, parse_playbook
from yinhui.rules.retry import after_unreachable

D = dt.date.fromisoformat
END = D("2026-11-30")


def test_the_shipped_playbook_tries_a_call_three_times_then_calls_the_next_of_kin():
    assert load_playbook().retry == Retry(after_days=3, attempts=3, then="relative_call", kinds=["call"])


def test_attempts_are_due_again_within_the_period_and_the_last_names_the_follow_up():
    retry = Retry()
    first = after_unreachable(retry, kind="call", cadence=True, attempts_so_far=0, on=D("2026-11-05"), period_end=END)
    assert first is not None and (first.again, first.attempt, first.due, first.then) == (True, 1, D("2026-11-08"), None)
    late = after_unreachable(retry, kind="call", cadence=True, attempts_so_far=1, on=D("2026-11-29"), period_end=END)
    assert late is not None and (late.again, late.due) == (True, END)  # never past the period
    last = after_unreachable(retry, kind="call", cadence=True, attempts_so_far=2, on=D("2026-11-20"), period_end=END)
    assert last is not None and (last.again, last.attempt, last.then) == (False, 3, ("relative_call", "call"))
    visit = Retry(then="visit")
    assert after_unreachable(visit, kind="call", cadence=True, attempts_so_far=2, on=D("2026-11-20"),
                             period_end=END).then == ("unreachable_visit", "visit")  # type: ignore[union-attr]
    nothing = Retry(attempts=1, then="none")
    assert after_unreachable(nothing, kind="call", cadence=True, attempts_so_far=0, on=D("2026-11-20"),
                             period_end=END).then is None  # type: ignore[union-attr]


def test_only_cadence_tasks_of_the_kinds_named_are_tried_again():
    assert after_unreachable(Retry(), kind="visit", cadence=True, attempts_so_far=0, on=D("2026-11-05"),
                             period_end=END) is None
    assert after_unreachable(Retry(), kind="call", cadence=False, attempts_so_far=0, on=D("2026-11-05"),
                             period_end=END) is None


@pytest.mark.parametrize(("section", "key"), [
    ({"attempts": 0}, "retry.attempts"), ({"after_days": 40}, "retry.after_days"), ({"then": "letter"}, "retry.then"),
])
def test_a_bad_retry_section_is_named(section, key):
    data = load_playbook().model_dump()
    with pytest.raises(PlaybookError, match=key.replace(".", r"\.")):
        parse_playbook({**data, "retry": section})
