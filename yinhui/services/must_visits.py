"""Triggered must-visits (四必访): reporting and closing occurrences, and planning the visits and follow-ups they call for.

An occurrence (hospitalisation, family event, hardship, death) is stored once per cadre, kind and
day; reporting it again changes nothing and returns the same task. Its visit and follow-up dates
are worked out when it is reported (see ``yinhui.rules.must_visits``) and kept on the row, so the
daily plan can create any missing task with one statement per kind, and a later playbook edit
does not move a deadline already given.

- ``discharged`` closes the cadre's open hospitalisation and opens the call after discharge now;
- ``resolved`` closes an open hardship case and cancels its live monthly review;
- ``death`` marks the cadre deceased through ``set_cadre_status`` (every open task is cancelled
  with that reason), closes their open occurrences, then plans the condolence visit to the family.

The chat bot and the CLI both come here: ``report_occurrence`` (or ``record_occurrence`` for the
whole result). Notes may hold health details: they are stored, never logged or echoed in errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    String,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlmodel import Session, col

from models.must_visits import MAX_DISTANCE, MAX_NOTE, RESOLVED_REASON, Occurrence
from models.people import ACTIVE, DECEASED, Cadre
from models.tasks import Task
from models.types import id_of, table_of, utcnow
from yinhui import clock
from yinhui.i18n import N_
from yinhui.rules.cadence import period_of
from yinhui.rules.must_visits import (
    CLOSES,
    DEATH,
    FAMILY_EVENT,
    FOLLOW_UP,
    HARDSHIP,
    MUST_VISIT,
    UnknownKind,
    birth_ranges,
    birthday_window,
    follow_up_rule,
    follow_up_window,
    milestones_between,
    must_visit_rule,
    parse_kind,
    review_window,
    visit_window,
)
from yinhui.rules.playbook import Playbook
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.cadres import set_cadre_status
from yinhui.services.calendar import shifts_for, work_calendar
from yinhui.services.errors import CareError, Word
from yinhui.services.lookup import get_or_raise
from yinhui.services.planning import plan_leader
from yinhui.services.tasks import cancel_tasks, insert_cadre_tasks, priority_expression


@dataclass
class ReportResult:
    """What a report did: the occurrence, its visit (or the follow-up a closing report opened)."""

    occurrence: Occurrence
    task: Task | None = None
    follow_up: Task | None = None
    created: bool = True  # False: the same report was made before; nothing changed
    cancelled: int = 0  # open tasks cancelled (a death; a closed hardship case's review)
    closed: list[int] = field(default_factory=list)  # occurrences this report closed


def plan_occurrence_tasks(
    session: Session,
    *,
    playbook: Playbook,
    calendar: WorkCalendar,
    day: dt.date,
    leader_id: int,
    actor: str,
    occurrence_ids: list[int] | None = None,
) -> dict[str, int]:
    """Create every missing visit, one-off follow-up and this month's hardship reviews.

    Three statements per kind at most, whatever the number of occurrences. A deceased cadre
    gets only the condolence visit and its follow-up. Returns tasks created per rule.
    """
    occ = table_of(Occurrence)
    cadre = table_of(Cadre)
    source = occ.join(cadre, cadre.c.id == occ.c.cadre_id)
    only = [occ.c.id.in_(occurrence_ids)] if occurrence_ids is not None else []
    month = period_of("month", day)
    common: dict[str, Any] = {"priority": priority_expression(playbook.priority, day), "leader_id": leader_id,
                              "actor": actor, "source": source}
    created: dict[str, int] = {}
    for kind, rule in playbook.must_visits.kinds().items():
        status = DECEASED if kind == DEATH else ACTIVE
        visit = must_visit_rule(kind)
        created[visit] = insert_cadre_tasks(
            session=session, kind=MUST_VISIT, rule=visit, period=occ.c.period, window_opens=occ.c.visit_opens,
            due=occ.c.visit_due, where=[occ.c.kind == kind, occ.c.visit_opens <= day, *only],
            cadre_status=status, **common,
        )
        follow = rule.follow_up
        if follow is None:
            continue
        name = follow_up_rule(kind)
        if follow.when == "monthly":
            opens, due = review_window(follow, month, shifts_for(playbook, calendar).after)
            created[name] = insert_cadre_tasks(
                session=session, kind=FOLLOW_UP, rule=name, period=occ.c.period + literal("/" + month.key, String),
                window_opens=opens, due=due,
                where=[occ.c.kind == kind, occ.c.closed_on.is_(None), occ.c.on_date < month.start, *only],
                cadre_status=status, **common,
            )
        else:
            created[name] = insert_cadre_tasks(
                session=session, kind=FOLLOW_UP, rule=name, period=occ.c.period, window_opens=occ.c.follow_up_opens,
                due=occ.c.follow_up_due,
                where=[occ.c.kind == kind, occ.c.follow_up_opens.is_not(None), occ.c.follow_up_opens <= day, *only],
                cadre_status=status, **common,
            )
    return created


def add_milestone_birthdays(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date, actor: str
) -> int:
    """Record a family event for every active cadre with a big birthday within the lead time.

    The database narrows the cadres by birth date (one query); the exact birthdays are worked
    out here. Returns how many birthdays were added (already known ones are left alone).
    """
    ranges = birth_ranges(playbook, day)
    if not ranges:
        return 0
    rows = session.execute(
        select(col(Cadre.id), col(Cadre.birth_date)).where(
            col(Cadre.status) == ACTIVE, or_(*(col(Cadre.birth_date).between(lo, hi) for _, lo, hi in ranges))
        )
    ).all()
    wanted = {(cid, bday): age for cid, birth in rows for age, bday in milestones_between(playbook, birth, day)}
    if not wanted:
        return 0
    ids = sorted({cid for cid, _ in wanted})
    have = set(
        session.execute(
            select(col(Occurrence.cadre_id), col(Occurrence.on_date)).where(
                col(Occurrence.kind) == FAMILY_EVENT, col(Occurrence.cadre_id).in_(ids)
            )
        ).all()
    )
    shift = shifts_for(playbook, calendar).before
    rows_to_add = []
    for (cid, bday), age in sorted(wanted.items()):
        if (cid, bday) in have:
            continue
        opens, due = birthday_window(playbook, bday, today=day, shift_before=shift)
        rows_to_add.append({
            "cadre_id": cid, "kind": FAMILY_EVENT, "detail": f"milestone:{age}", "on_date": bday,
            "period": bday.isoformat(), "reported_on": day, "visit_opens": opens, "visit_due": due,
            "reported_by": actor, "created_at": utcnow(),
        })
    if rows_to_add:
        session.execute(insert(Occurrence), rows_to_add)
    return len(rows_to_add)


def plan_must_visits(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date, leader_id: int, actor: str
) -> dict[str, int]:
    """The daily part: big birthdays first, then every missing must-visit task and follow-up."""
    birthdays = add_milestone_birthdays(session, playbook=playbook, calendar=calendar, day=day, actor=actor)
    created = plan_occurrence_tasks(session, playbook=playbook, calendar=calendar, day=day, leader_id=leader_id,
                                    actor=actor)
    return {"birthdays": birthdays, **created}


def _occurrence_task(session: Session, occurrence: Occurrence, *, follow_up: bool = False) -> Task | None:
    rule = follow_up_rule(occurrence.kind) if follow_up else must_visit_rule(occurrence.kind)
    query = select(Task).where(col(Task.rule) == rule, col(Task.subject_id) == occurrence.cadre_id)
    if follow_up:
        query = query.where(or_(col(Task.period) == occurrence.period, col(Task.period).like(occurrence.period + "/%")))
    else:
        query = query.where(col(Task.period) == occurrence.period)
    return session.execute(query.order_by(col(Task.id).desc()).limit(1)).scalar_one_or_none()


def _name_the_family(session: Session, occurrence: Occurrence, *, actor: str) -> None:
    """The condolence visit's note names whom to visit: the next of kin (慰问家属：王小明（子女）), or
    says that none is on record, so the coordinator asks the family first."""
    from yinhui import i18n
    from yinhui.services.relatives import next_of_kin
    from yinhui.services.tasks import add_note
    from yinhui.settings import get_settings

    task = _occurrence_task(session, occurrence)
    if task is None:
        return
    language = get_settings().language
    kin = next_of_kin(session, [occurrence.cadre_id]).get(occurrence.cadre_id)
    note = (i18n.text(language, N_("condolence visit to the family: {name} ({relation})"), name=kin.name,
                      relation=kin.relation) if kin is not None
            else i18n.text(language, N_("no next of kin on record: find the family (yinhui relative add ... --next-of-kin)")))
    add_note(session, id_of(task), note=note, actor=actor)


def _check_report(cadre: Cadre, kind: str, on: dt.date, today: dt.date, *, allow: str = ACTIVE) -> None:
    if on > today and kind != FAMILY_EVENT:
        raise CareError(N_("{kind} on {day} is in the future; only a family event can be reported ahead"),
                        kind=Word(kind), day=on.isoformat())
    if abs(on - today) > MAX_DISTANCE:
        raise CareError(N_("{day} is more than a year from today; check the date"), day=on.isoformat())
    if cadre.status != allow:
        raise CareError(N_("{name} is {status} (since {since}); nothing was reported"), name=cadre.name,
                        status=Word(cadre.status), since=cadre.status_since)


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise CareError(N_("a note may have up to {limit} characters"), limit=MAX_NOTE)
    return text or None


def _plan_one(session: Session, occurrence: Occurrence, *, playbook: Playbook, calendar: WorkCalendar,
              today: dt.date, actor: str) -> None:
    plan_occurrence_tasks(session, playbook=playbook, calendar=calendar, day=today, leader_id=plan_leader(session),
                          actor=actor, occurrence_ids=[id_of(occurrence)])


def _close(session: Session, cadre: Cadre, closing: str, *, on: dt.date, actor: str, playbook: Playbook,
           calendar: WorkCalendar, today: dt.date) -> ReportResult:
    kind = CLOSES[closing]
    if on > today:
        raise CareError(N_("{kind} on {day} is in the future"), kind=Word(closing), day=on.isoformat())
    occurrence = session.execute(
        select(Occurrence)
        .where(col(Occurrence.cadre_id) == cadre.id, col(Occurrence.kind) == kind, col(Occurrence.closed_on).is_(None),
               col(Occurrence.on_date) <= on)
        .order_by(col(Occurrence.on_date).desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if occurrence is None:
        raise CareError(N_("{name} has no open {kind} reported on or before {day}; nothing was closed"),
                        name=cadre.name, kind=Word(kind), day=on.isoformat())
    follow = playbook.must_visits.kinds()[kind].follow_up
    window = follow_up_window(follow, on=occurrence.on_date, closed_on=on, shift_after=shifts_for(playbook, calendar).after)
    already = _occurrence_task(session, occurrence, follow_up=True)
    values: dict[str, Any] = {"closed_on": on, "closed_by": actor}
    if window is not None and already is None:
        values.update(follow_up_opens=window[0], follow_up_due=window[1])
    # Conditional: of two discharge reports at the same moment, one closes the stay.
    won = session.execute(
        update(Occurrence).where(col(Occurrence.id) == occurrence.id, col(Occurrence.closed_on).is_(None)).values(**values),
        execution_options={"synchronize_session": False},
    )
    if getattr(won, "rowcount", 0) != 1:
        raise CareError(N_("{name}'s {kind} was closed a moment ago by another report; nothing was closed"),
                        name=cadre.name, kind=Word(kind))
    session.refresh(occurrence)
    cancelled = 0
    if kind == HARDSHIP:
        cancelled = _cancel_reviews(session, occurrence, actor=actor)
    _plan_one(session, occurrence, playbook=playbook, calendar=calendar, today=today, actor=actor)
    follow_task = _occurrence_task(session, occurrence, follow_up=True)
    return ReportResult(occurrence, task=None, follow_up=follow_task if follow_task is not already else None,
                        cancelled=cancelled, closed=[occurrence.id])


def _cancel_reviews(session: Session, occurrence: Occurrence, *, actor: str) -> int:
    task = table_of(Task)
    return cancel_tasks(
        session=session,
        where=(task.c.rule == follow_up_rule(occurrence.kind), task.c.subject_id == occurrence.cadre_id,
               task.c.period.like(occurrence.period + "/%")),
        reason=RESOLVED_REASON, detail='{"reason": "hardship case closed"}', actor=actor,
    )


def _close_all_open(session: Session, cadre_id: int, *, on: dt.date, actor: str, keep: int) -> list[int]:
    ids = list(session.execute(
        select(col(Occurrence.id)).where(col(Occurrence.cadre_id) == cadre_id, col(Occurrence.closed_on).is_(None),
                                         col(Occurrence.id) != keep)
    ).scalars())
    if ids:
        session.execute(update(Occurrence).where(col(Occurrence.id).in_(ids)).values(closed_on=on, closed_by=actor))
    return ids


def _insert_once(session: Session, values: dict[str, Any]) -> Occurrence | None:
    """Insert an occurrence unless the same one (cadre, kind, day) is there already: the new row, else None.

    A conditional insert (ON CONFLICT DO NOTHING on the unique key), so two reports of the same
    hospitalisation at the same moment make one occurrence and one visit, never an error.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    table = table_of(Occurrence)
    key = ["cadre_id", "kind", "on_date"]
    statement = (
        postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    )
    new_id = session.execute(statement.returning(table.c.id)).scalar_one_or_none()
    return session.get(Occurrence, new_id) if new_id is not None else None


def record_occurrence(
    session: Session,
    *,
    cadre_id: int,
    kind: str,
    on: dt.date,
    actor: str,
    playbook: Playbook,
    note: str | None = None,
    detail: str | None = None,
    today: dt.date | None = None,
    calendar: WorkCalendar | None = None,
) -> ReportResult:
    """Report an occurrence for a cadre and plan its must-visit now; see the module docstring.

    ``kind`` is a kind or any word people type for one (住院, 婚事, discharged ...). Bad input
    raises ``CareError`` and writes nothing (the caller's transaction is left untouched).
    """
    today = today or clock.today()
    try:
        kind, word_detail = parse_kind(kind)
    except UnknownKind:
        raise CareError(N_("unknown kind {word!r}: use hospitalisation (住院), family_event (家事; or bereavement 丧事, "
                           "wedding 婚事, birthday 寿辰), hardship (困难), death (去世), discharged (出院) or resolved (解困)"),
                        word=kind) from None
    note = _clean_note(note)
    cadre = get_or_raise(session, Cadre, cadre_id, CareError(N_("no cadre #{cadre_id}"), cadre_id=cadre_id),
                         for_update=True)
    calendar = calendar or work_calendar(session, playbook)
    if kind in CLOSES:
        if cadre.status != ACTIVE:
            raise CareError(N_("{name} is {status}; nothing was closed"), name=cadre.name, status=Word(cadre.status))
        return _close(session, cadre, kind, on=on, actor=actor, playbook=playbook, calendar=calendar, today=today)
    existing = session.execute(
        select(Occurrence).where(
            col(Occurrence.cadre_id) == cadre_id, col(Occurrence.kind) == kind,
            true() if kind == DEATH else col(Occurrence.on_date) == on,  # a cadre dies once
        )
    ).scalars().first()
    if existing is not None:
        return ReportResult(existing, task=_occurrence_task(session, existing), created=False)
    # A death recorded another way (a roster import) still gets the family its condolences.
    already_deceased = kind == DEATH and cadre.status == DECEASED
    _check_report(cadre, kind, on, today, allow=DECEASED if already_deceased else ACTIVE)
    rule = playbook.must_visits.kinds()[kind]
    shift = shifts_for(playbook, calendar).after
    opens, due = visit_window(rule, on=on, reported=today, shift_after=shift)
    follow = follow_up_window(rule.follow_up, on=on, shift_after=shift)
    occurrence = _insert_once(session, {
        "cadre_id": cadre_id, "kind": kind, "detail": detail or word_detail, "on_date": on, "period": on.isoformat(),
        "reported_on": today, "note": note, "visit_opens": opens, "visit_due": due,
        "follow_up_opens": follow[0] if follow else None, "follow_up_due": follow[1] if follow else None,
        "reported_by": actor, "created_at": utcnow(),
    })
    if occurrence is None:  # the same report, made at the same moment, got in first
        same = session.execute(select(Occurrence).where(
            col(Occurrence.cadre_id) == cadre_id, col(Occurrence.kind) == kind, col(Occurrence.on_date) == on,
        )).scalar_one()
        return ReportResult(same, task=_occurrence_task(session, same), created=False)
    cancelled, closed = 0, []
    if kind == DEATH:
        if not already_deceased:
            cancelled = set_cadre_status(session, cadre, status=DECEASED, on=on, reason=f"去世 {on.isoformat()}",
                                         actor=actor)
        closed = _close_all_open(session, cadre_id, on=on, actor=actor, keep=id_of(occurrence))
    _plan_one(session, occurrence, playbook=playbook, calendar=calendar, today=today, actor=actor)
    if kind == DEATH:
        _name_the_family(session, occurrence, actor=actor)
    return ReportResult(occurrence, task=_occurrence_task(session, occurrence),
                        follow_up=_occurrence_task(session, occurrence, follow_up=True),
                        cancelled=cancelled, closed=closed)


def report_occurrence(
    session: Session,
    *,
    cadre_id: int,
    kind: str,
    on: dt.date,
    note: str | None,
    actor: str,
    playbook: Playbook,
) -> Task | None:
    """The service the chat bot and the CLI call: the must-visit task (for a closing report, the
    follow-up it opened, if any). Raises ``CareError`` (a ValueError) on bad input."""
    result = record_occurrence(session, cadre_id=cadre_id, kind=kind, on=on, note=note, actor=actor, playbook=playbook)
    return result.task or result.follow_up


def report_must_visit(
    session: Session,
    *,
    cadre_id: int,
    reason: str,
    actor: str,
    on: dt.date,
    note: str | None = None,
    playbook: Playbook | None = None,
) -> Task | None:
    """``report_occurrence`` under the name and keywords the chat bot's /report looks for."""
    from yinhui.playbook_loader import current_playbook

    return report_occurrence(session, cadre_id=cadre_id, kind=reason, on=on, note=note, actor=actor,
                             playbook=playbook or current_playbook())
