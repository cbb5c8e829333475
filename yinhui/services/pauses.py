"""Pauses (暂停联系): a cadre away for a while (winter with a child in another city, a distant care
home) gets no calls or visits, and the open ones are cancelled with the reason; must-visits go on.

A pause runs from `starts` to `until`, both included, unless `yinhui cadre resume` ends it early
(`ended_on`: the first day it no longer holds). When it ends, the tasks it cancelled whose period
is still open come back, and the next plan creates what was never planned.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Date, String, and_, exists, literal, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from models.people import ACTIVE, Cadre, CadreEvent, CadrePause
from models.tasks import CANCELLED, Task
from models.types import id_of, table_of
from yinhui.i18n import N_
from yinhui.rules.festivals import FESTIVAL_VISIT
from yinhui.services.errors import CareError, Word
from yinhui.services.tasks import cancel_tasks, latest_reschedule_day, reopen_task

# The tasks a pause stops: the cadence's calls and visits (and their follow-ups) and festival
# visits. Must-visits, door services and events go on.
PAUSED_KINDS = ("call", "visit", FESTIVAL_VISIT)
PAUSED = "paused"  # the outcome of a task a pause cancelled: the end of the pause may reopen it
MAX_PAUSE_DAYS = 366  # a pause ends within a year of the day it is recorded
MAX_REASON = 200


def paused_on(cadre_id: ColumnElement[int], day: dt.date) -> ColumnElement[bool]:
    """SQL: the cadre ``cadre_id`` is away on ``day`` (a pause holds that day)."""
    pause = table_of(CadrePause)
    return exists().where(
        pause.c.cadre_id == cadre_id,
        pause.c.starts <= literal(day, Date),
        pause.c.until >= literal(day, Date),
        or_(pause.c.ended_on.is_(None), pause.c.ended_on > literal(day, Date)),
    )


def paused_during(cadre_id: ColumnElement[int], start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """SQL: a pause of the cadre ``cadre_id`` held on some day from ``start`` to ``end``."""
    pause = table_of(CadrePause)
    return exists().where(
        pause.c.cadre_id == cadre_id,
        pause.c.starts <= literal(end, Date),
        pause.c.until >= literal(start, Date),
        or_(pause.c.ended_on.is_(None), and_(pause.c.ended_on > pause.c.starts,
                                             pause.c.ended_on > literal(start, Date))),
    )


def pauses_of(session: Session, cadre_id: int) -> list[CadrePause]:
    """Every pause of a cadre, the latest first."""
    return list(session.execute(
        select(CadrePause).where(col(CadrePause.cadre_id) == cadre_id)
        .order_by(col(CadrePause.starts).desc(), col(CadrePause.id).desc())
    ).scalars())


def current_pause(session: Session, cadre_id: int, day: dt.date) -> CadrePause | None:
    """The pause holding on ``day`` or starting after it (the one `resume` ends), if any."""
    for pause in pauses_of(session, cadre_id):
        if pause.until >= day and (pause.ended_on is None or pause.ended_on > day):
            return pause
    return None


@dataclass(frozen=True)
class PauseResult:
    pause: CadrePause
    cancelled: int  # open calls and visits cancelled now (a pause that starts later cancels on its first day)


def _check(cadre: Cadre, *, starts: dt.date, until: dt.date, reason: str, today: dt.date) -> str:
    if cadre.status != ACTIVE:
        raise CareError(N_("{name} is {status}, not active: there is nothing to pause"), name=cadre.name,
                        status=Word(cadre.status))
    text = " ".join(reason.split())
    if not text:
        raise CareError(N_("give the reason for the pause (--reason), e.g. 异地居住"))
    if len(text) > MAX_REASON:
        raise CareError(N_("a pause's reason may have up to {limit} characters, this one has {count}"),
                        limit=MAX_REASON, count=len(text))
    if until < starts:
        raise CareError(N_("--until {until} is before --from {starts}: a pause ends on or after the day it starts"),
                        until=until.isoformat(), starts=starts.isoformat())
    if until < today:
        raise CareError(N_("--until {until} has passed (today is {today}): a pause ends today or later"),
                        until=until.isoformat(), today=today.isoformat())
    latest = today + dt.timedelta(days=MAX_PAUSE_DAYS)
    if until > latest:
        raise CareError(N_("--until {until} is more than a year ahead: a pause ends by {latest}; "
                           "record a longer absence again when it runs out"),
                        until=until.isoformat(), latest=latest.isoformat())
    return text


def pause_cadre(
    session: Session, cadre: Cadre, *, starts: dt.date, until: dt.date, reason: str, actor: str, today: dt.date
) -> PauseResult:
    """Pause a cadre's calls and visits from ``starts`` to ``until`` (both included), audited.

    Refused, with nothing written, when the dates are wrong or another pause overlaps them.
    """
    text = _check(cadre, starts=starts, until=until, reason=reason, today=today)
    cadre_id = id_of(cadre)
    for other in pauses_of(session, cadre_id):
        ends = other.until if other.ended_on is None else other.ended_on - dt.timedelta(days=1)
        if other.starts <= until and ends >= starts and ends >= other.starts:
            raise CareError(N_("{name} is already paused from {starts} to {until}; resume first "
                               "(`yinhui cadre resume`) to record another pause"),
                            name=cadre.name, starts=other.starts.isoformat(), until=ends.isoformat())
    pause = CadrePause(cadre_id=cadre_id, starts=starts, until=until, reason=text, created_by=actor)
    session.add(pause)
    session.add(CadreEvent(cadre_id=cadre_id, actor=actor, action="pause", detail=json.dumps(
        {"from": starts.isoformat(), "until": until.isoformat(), "reason": text}, ensure_ascii=False)))
    session.flush()
    cancelled = cancel_paused_tasks(session, day=today, actor=actor, cadre_id=cadre_id) if starts <= today else 0
    return PauseResult(pause, cancelled)


def resume_cadre(session: Session, cadre: Cadre, *, actor: str, today: dt.date) -> tuple[CadrePause, int]:
    """End a cadre's pause today (or drop one that has not started); the calls and visits it
    cancelled come back if their period is still open. Returns the pause and how many came back."""
    cadre_id = id_of(cadre)
    pause = current_pause(session, cadre_id, today)
    if pause is None:
        raise CareError(N_("{name} is not paused"), name=cadre.name)
    pause.ended_on = max(today, pause.starts)
    session.add(pause)
    session.add(CadreEvent(cadre_id=cadre_id, actor=actor, action="resume", detail=json.dumps(
        {"pause_from": pause.starts.isoformat(), "until": pause.until.isoformat(), "on": today.isoformat()})))
    session.flush()
    return pause, reopen_resumed_tasks(session, day=today, actor=actor, cadre_id=cadre_id)


def cancel_paused_tasks(session: Session, *, day: dt.date, actor: str, cadre_id: int | None = None) -> int:
    """Cancel the live calls and visits of every cadre paused on ``day`` (or of ``cadre_id`` only),
    each with the pause's reason in its note and trail; returns how many."""
    task, pause = table_of(Task), table_of(CadrePause)
    reason = (
        select(literal("暂停联系 (paused): ", String) + pause.c.reason)
        .where(pause.c.cadre_id == task.c.cadre_id, pause.c.starts <= literal(day, Date),
               pause.c.until >= literal(day, Date),
               or_(pause.c.ended_on.is_(None), pause.c.ended_on > literal(day, Date)))
        .order_by(pause.c.id.desc()).limit(1).scalar_subquery()
    )
    where = [task.c.kind.in_(PAUSED_KINDS), task.c.cadre_id.is_not(None), paused_on(task.c.cadre_id, day)]
    if cadre_id is not None:
        where.append(task.c.cadre_id == cadre_id)
    return cancel_tasks(session=session, where=where, reason=reason, actor=actor, outcome=PAUSED,
                        detail=json.dumps({"reason": PAUSED}))


def reopen_resumed_tasks(session: Session, *, day: dt.date, actor: str, cadre_id: int | None = None) -> int:
    """Open again the tasks a pause cancelled, for cadres no longer paused on ``day`` (or ``cadre_id``
    only), where the task can still be done: a call or visit whose period has not ended (due the
    later of its due date and ``day``), a festival visit not yet past due. Returns how many."""
    cadre = table_of(Cadre)
    query = select(Task).join(cadre, cadre.c.id == col(Task.cadre_id)).where(
        col(Task.status) == CANCELLED, col(Task.outcome) == PAUSED, col(Task.kind).in_(PAUSED_KINDS),
        cadre.c.status == ACTIVE, ~paused_on(cadre.c.id, day),
        col(Task.window_opens) >= day - dt.timedelta(days=MAX_PAUSE_DAYS),  # older periods are long over
    )
    if cadre_id is not None:
        query = query.where(col(Task.cadre_id) == cadre_id)
    reopened = 0
    for task in list(session.execute(query).scalars()):
        if task.kind == FESTIVAL_VISIT:
            if task.due < day:
                continue
            due = task.due
        else:
            last = latest_reschedule_day(task)
            if last < day:
                continue
            due = max(task.due, day)
        reopened += reopen_task(session, id_of(task), due=due, actor=actor, reason="the pause ended")
    return reopened


def apply_pauses(session: Session, *, day: dt.date, actor: str) -> dict[str, int]:
    """The plan's share of pauses on ``day``: cancel what paused cadres still have open (a pause
    that starts today), reopen what ended pauses cancelled. Returns both counts."""
    return {
        "paused_cancelled": cancel_paused_tasks(session, day=day, actor=actor),
        "pause_reopened": reopen_resumed_tasks(session, day=day, actor=actor),
    }
