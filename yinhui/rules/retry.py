"""Trying again (再次联系): an "unreachable" call is tried again after a few days, within its period,
and after the last attempt a follow-up (a call to the next of kin, or a visit) takes its place.

The pure decision over the playbook's `[retry]` section (`yinhui.rules.playbook.Retry`); the task
service applies it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yinhui.rules.playbook import Retry, Title

UNREACHABLE = "unreachable"
# The follow-up after the last attempt: its rule (one per cadre and period) and kind.
FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "relative_call": ("relative_call", "call"),
    "visit": ("unreachable_visit", "visit"),
}
FOLLOW_UP_TITLES: dict[str, Title] = {
    "relative_call": Title(zh="联系紧急联系人（本人多次未联系上）", en="Call the next of kin (cadre unreachable)"),
    "unreachable_visit": Title(zh="上门看望（电话多次未联系上）", en="Home visit (cadre unreachable by phone)"),
}


@dataclass(frozen=True)
class AfterUnreachable:
    """What an unreachable answer leads to: another attempt due on ``due``, or (``again`` False)
    the task closed after ``attempt`` attempts and the follow-up ``then`` (rule, kind) due on ``due``."""

    again: bool
    attempt: int
    due: dt.date
    then: tuple[str, str] | None


def after_unreachable(
    retry: Retry, *, kind: str, cadence: bool, attempts_so_far: int, on: dt.date, period_end: dt.date
) -> AfterUnreachable | None:
    """The next step after attempt ``attempts_so_far + 1`` came back unreachable on ``on``; None when
    the task is not one that is tried again (not a cadence task of a retried kind)."""
    if not cadence or kind not in retry.kinds:
        return None
    attempt = attempts_so_far + 1
    due = min(on + dt.timedelta(days=retry.after_days), max(period_end, on))
    if attempt < retry.attempts:
        return AfterUnreachable(True, attempt, due, None)
    return AfterUnreachable(False, attempt, due, FOLLOW_UPS.get(retry.then))
