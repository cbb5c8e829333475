"""Event plans around calendar nodes (提早谋划、提前设计): a template's steps turned into dated tasks.

Pure rules. Each step sits at T+offset from the event day T:

- before the event (offset < 0), a step due on a day off moves to the working day before it, and
  a step whose date has already passed when the event is planned (or moved) is due that day;
- the event itself (T0) is held on its day, holiday or not;
- after the event (offset > 0), a step moves to the working day before it unless that would put it
  on or before the event day; then it moves to the working day after.

A step's window opens when the step before it is due (the first step: on the planning day), so a
coordinator's digest shows the next thing to do rather than the whole checklist at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from yinhui.rules.cadence import ShiftDue
from yinhui.rules.playbook_sections import EventTemplate

EVENT_STEP = "event_step"
_RULE_PREFIX = "event:"


def event_rule(template: str) -> str:
    """The task rule of an event's steps; subject is the event, period the step key."""
    return _RULE_PREFIX + template


@dataclass(frozen=True)
class StepSpec:
    """A step as the plan needs it (from the playbook template, or as stored with the event)."""

    key: str
    title_zh: str
    title_en: str
    at: int
    owner: str

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_zh


@dataclass(frozen=True)
class DatedStep:
    spec: StepSpec
    window_opens: dt.date
    due: dt.date


def steps_of(template: EventTemplate) -> list[StepSpec]:
    return [StepSpec(s.key, s.title.zh, s.title.en, s.at, s.owner) for s in template.steps]


def offset_label(at: int) -> str:
    return "T0" if at == 0 else f"T{at:+d}"


def step_due(
    spec: StepSpec,
    event_day: dt.date,
    *,
    today: dt.date,
    shift_before: ShiftDue | None = None,
    shift_after: ShiftDue | None = None,
) -> dt.date:
    """When one step is due for an event held on ``event_day``, planned on ``today``."""
    nominal = event_day + dt.timedelta(days=spec.at)
    if spec.at == 0:
        return event_day
    if spec.at < 0:
        due = shift_before(nominal) if shift_before else nominal
        # Never ask for yesterday: a late plan compresses the early steps into today.
        return min(max(due, today), event_day)
    if shift_before is None:
        return nominal
    due = shift_before(nominal)
    if due <= event_day:
        due = shift_after(nominal) if shift_after else nominal
    return due


def date_steps(
    steps: Iterable[StepSpec],
    event_day: dt.date,
    *,
    today: dt.date,
    shift_before: ShiftDue | None = None,
    shift_after: ShiftDue | None = None,
) -> list[DatedStep]:
    """Every step with its window and due date, in the order they fall."""
    ordered = sorted(steps, key=lambda s: s.at)
    dues = {
        s.key: step_due(s, event_day, today=today, shift_before=shift_before, shift_after=shift_after)
        for s in ordered
    }
    dated = []
    for spec in ordered:
        earlier = [dues[s.key] for s in ordered if s.at < spec.at]
        opens = max([today, *earlier]) if earlier else today
        dated.append(DatedStep(spec, min(opens, dues[spec.key]), dues[spec.key]))
    return dated
