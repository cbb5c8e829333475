"""The triggered must-visits (四必访 besides festivals): kinds, deadlines, follow-ups, big birthdays.

Pure rules. An occurrence is something the bureau learns of: a hospitalisation (生病住院), a major
family event (家有大事: a bereavement, a wedding, a big birthday), special hardship (特殊困难), or the
cadre's own death (a condolence visit to the family). Each creates a must-visit task:

- the visit's window opens the day the bureau learns of it, and it is due ``due_days`` after that
  day or after the occurrence itself, whichever is later (a wedding next month is visited then);
- a deadline on an official day off moves to the next working day: moving it earlier, as routine
  deadlines do, could make a two-day deadline due on the day of the report;
- a big birthday (70, 80, 90, 100, then every year) creates its own family-event visit
  ``lead_days`` ahead, due on the birthday (on a day off: the working day before, never late);
- follow-ups: a call after discharge (or three weeks on if nobody reports the discharge), a
  monthly review of a hardship case until it is closed, a call on the bereaved family a month on.

Task keys: rule ``must_visit:<kind>`` or ``follow_up:<kind>``, subject the cadre, period the
occurrence day (``2026-10-05``; a monthly review adds its month: ``2026-10-05/2026-11``).
"""

from __future__ import annotations

import datetime as dt

from yinhui.rules.cadence import Period, ShiftDue
from yinhui.rules.playbook import Playbook
from yinhui.rules.playbook_sections import FollowUp, MustVisitKind, Title

MUST_VISIT = "must_visit"
FOLLOW_UP = "follow_up"
HOSPITALISATION, FAMILY_EVENT, HARDSHIP, DEATH = "hospitalisation", "family_event", "hardship", "death"
KINDS = (HOSPITALISATION, FAMILY_EVENT, HARDSHIP, DEATH)
# Reports that close an open occurrence rather than open one.
DISCHARGED, RESOLVED = "discharged", "resolved"
CLOSES = {DISCHARGED: HOSPITALISATION, RESOLVED: HARDSHIP}
MILESTONE = "milestone"  # the detail of a family event created from a big birthday: "milestone:90"
OLDEST_AGE = 130

_VISIT_PREFIX, _FOLLOW_PREFIX = "must_visit:", "follow_up:"

# What people type (CLI and chat), in Chinese or English -> (kind, detail).
WORDS: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(("hospitalisation", "hospitalization", "hospital", "住院", "生病", "生病住院"), (HOSPITALISATION, None)),
    **dict.fromkeys(("family_event", "family", "家事", "大事", "家有大事"), (FAMILY_EVENT, None)),
    **dict.fromkeys(("bereavement", "funeral", "丧事", "丧亲"), (FAMILY_EVENT, "bereavement")),
    **dict.fromkeys(("wedding", "婚事", "结婚", "喜事"), (FAMILY_EVENT, "wedding")),
    **dict.fromkeys(("birthday", "寿辰", "生日", "做寿"), (FAMILY_EVENT, "birthday")),
    **dict.fromkeys(("hardship", "困难", "特殊困难"), (HARDSHIP, None)),
    **dict.fromkeys(("death", "deceased", "died", "去世", "逝世", "病故"), (DEATH, None)),
    **dict.fromkeys(("discharged", "discharge", "出院"), (DISCHARGED, None)),
    **dict.fromkeys(("resolved", "closed", "解困", "困难解除"), (RESOLVED, None)),
}
DETAILS = {
    "bereavement": Title(zh="丧事", en="bereavement"),
    "wedding": Title(zh="婚事", en="wedding"),
    "birthday": Title(zh="寿辰", en="birthday"),
}


class UnknownKind(ValueError):
    """A word that names no kind of occurrence."""


def parse_kind(word: str) -> tuple[str, str | None]:
    """(kind, detail) for what someone typed: 住院 → hospitalisation, 婚事 → family_event/wedding."""
    found = WORDS.get(word.strip().lower())
    if found is None:
        raise UnknownKind(
            f"unknown kind {word!r}: use hospitalisation (住院), family_event (家事; or bereavement 丧事, "
            "wedding 婚事, birthday 寿辰), hardship (困难), death (去世), discharged (出院) or resolved (解困)"
        )
    return found


def must_visit_rule(kind: str) -> str:
    return _VISIT_PREFIX + kind


def follow_up_rule(kind: str) -> str:
    return _FOLLOW_PREFIX + kind


def kind_of_rule(rule: str) -> tuple[str, str] | None:
    """(MUST_VISIT or FOLLOW_UP, kind) for a must-visit family rule, else None."""
    for family, prefix in ((MUST_VISIT, _VISIT_PREFIX), (FOLLOW_UP, _FOLLOW_PREFIX)):
        if rule.startswith(prefix) and rule[len(prefix):] in KINDS:
            return family, rule[len(prefix):]
    return None


def detail_text(detail: str | None, language: str) -> str | None:
    """"90岁寿辰" / "90th birthday", "婚事" / "wedding", or None."""
    if not detail:
        return None
    if detail.startswith(MILESTONE + ":"):
        age = detail.split(":", 1)[1]
        return f"{age}th birthday" if language == "en" else f"{age}岁寿辰"
    title = DETAILS.get(detail)
    return title.text(language) if title else detail


def _later(due: dt.date, opens: dt.date, shift: ShiftDue | None) -> dt.date:
    if shift is None:
        return due
    return max(shift(due), opens)


def visit_window(
    rule: MustVisitKind, *, on: dt.date, reported: dt.date, shift_after: ShiftDue | None = None
) -> tuple[dt.date, dt.date]:
    """(window opens, due) of the visit for an occurrence on ``on`` the bureau learned of on ``reported``."""
    due = max(on, reported) + dt.timedelta(days=rule.due_days)
    return reported, _later(due, reported, shift_after)


def follow_up_window(
    follow: FollowUp | None,
    *,
    on: dt.date,
    closed_on: dt.date | None = None,
    shift_after: ShiftDue | None = None,
) -> tuple[dt.date, dt.date] | None:
    """(opens, due) of a one-off follow-up, or None (no follow-up, or a monthly one)."""
    if follow is None or follow.when == "monthly":
        return None
    if follow.when == "on_close":
        latest = on + dt.timedelta(days=follow.after_days) if follow.after_days else None
        candidates = [d for d in (closed_on, latest) if d is not None]
        if not candidates:
            return None
        opens = min(candidates)
    else:
        opens = on + dt.timedelta(days=follow.after_days or 0)
    return opens, _later(opens + dt.timedelta(days=follow.due_days), opens, shift_after)


def review_window(follow: FollowUp, month: Period, shift_after: ShiftDue | None = None) -> tuple[dt.date, dt.date]:
    """(opens, due) of a monthly review in ``month``: from the 1st, due ``due_days`` later (in the month)."""
    due = min(month.start + dt.timedelta(days=follow.due_days), month.end)
    shifted = _later(due, month.start, shift_after)
    return month.start, shifted if shifted <= month.end else due


# -- big birthdays (寿辰) -------------------------------------------------------------------------


def birthday_in(birth: dt.date, year: int) -> dt.date:
    """The birthday in ``year``; 29 February is kept on 28 February in other years."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return birth.replace(year=year, day=28)


def milestone_ages(playbook: Playbook) -> list[int]:
    wanted = playbook.must_visits.milestone_birthdays
    ages = set(wanted.ages)
    if wanted.yearly_from is not None:
        ages.update(range(wanted.yearly_from, OLDEST_AGE + 1))
    return sorted(ages)


def _years_before(day: dt.date, years: int) -> dt.date:
    return birthday_in(day, day.year - years)


def birth_ranges(playbook: Playbook, day: dt.date) -> list[tuple[int, dt.date, dt.date]]:
    """(age, first birth date, last birth date) of cadres who may have that birthday soon.

    A slightly wide net (a day either side) for the database; `milestones_between` decides exactly.
    """
    last = day + dt.timedelta(days=playbook.must_visits.milestone_birthdays.lead_days)
    one = dt.timedelta(days=1)
    return [(age, _years_before(day, age) - one, _years_before(last, age) + one) for age in milestone_ages(playbook)]


def milestones_between(playbook: Playbook, birth: dt.date, day: dt.date) -> list[tuple[int, dt.date]]:
    """(age, birthday) of each big birthday from ``day`` to ``lead_days`` ahead."""
    last = day + dt.timedelta(days=playbook.must_visits.milestone_birthdays.lead_days)
    ages = set(milestone_ages(playbook))
    found = []
    for year in range(day.year, last.year + 1):
        birthday, age = birthday_in(birth, year), year - birth.year
        if age in ages and day <= birthday <= last:
            found.append((age, birthday))
    return found


def birthday_window(
    playbook: Playbook, birthday: dt.date, *, today: dt.date, shift_before: ShiftDue | None = None
) -> tuple[dt.date, dt.date]:
    """(opens, due) of a birthday visit: planned ``lead_days`` ahead, due on the day (or just before)."""
    opens = min(max(birthday - dt.timedelta(days=playbook.must_visits.milestone_birthdays.lead_days), today), birthday)
    if shift_before is None:
        return opens, birthday
    shifted = shift_before(birthday)
    return opens, shifted if shifted >= opens else birthday
