"""The six door-to-door services for 离休 cadres (六上门): which are due, and which periods a report expects.

Pure rules. 送学习、送医疗、送慰藉、送服务、送温馨、送健康 each run on their own cadence from the
playbook (``[[door_services]]``), like the contact cadence: one task per cadre and period, rule
``service:<key>``, kind ``service``. A service is delivered when its task is done as visited or
reached; done as visited it also records a home visit, so it counts in coverage.
"""

from __future__ import annotations

import datetime as dt

from yinhui.rules.cadence import DueCadence, Period, ShiftDue, period_of, window_for
from yinhui.rules.playbook import Playbook
from yinhui.rules.playbook_sections import DoorService

SERVICE = "service"
DELIVERED = ("visited", "reached")
_PREFIX = "service:"


def service_rule(key: str) -> str:
    return _PREFIX + key


def key_of_rule(rule: str) -> str | None:
    return rule.removeprefix(_PREFIX) if rule.startswith(_PREFIX) else None


def service_window(
    service: DoorService, period: Period, shift_due: ShiftDue | None = None
) -> tuple[dt.date, dt.date]:
    return window_for(service, period, shift_due)


def due_services(playbook: Playbook, day: dt.date, shift_due: ShiftDue | None = None) -> list[DueCadence]:
    """Every service whose window is open on ``day``, as the contact cadence describes its rules.

    Nothing but delivering the service satisfies it (``satisfied_by`` is empty): a routine visit
    is not a health check.
    """
    due = []
    for service in playbook.door_services:
        period = period_of(service.every, day)
        opens, deadline = service_window(service, period, shift_due)
        if opens <= day <= period.end:
            due.append(DueCadence(rule=service_rule(service.key), kind=SERVICE, period=period, window_opens=opens,
                                  due=deadline, categories=tuple(service.categories), satisfied_by=()))
    return due


def expected_periods(service: DoorService, report: Period, until: dt.date) -> list[Period]:
    """The service's periods a report over ``report`` expects: overlapping it, window open by ``until``."""
    periods: list[Period] = []
    day = report.start
    while day <= report.end:
        period = period_of(service.every, day)
        opens, _ = service_window(service, period)
        if opens <= min(until, report.end) and period.end >= report.start and period not in periods:
            periods.append(period)
        day = period.end + dt.timedelta(days=1)
    return periods
