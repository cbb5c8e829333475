"""Must-visit reports (四必访) and event attendance from the page, as `/report` and `/attend` do in chat.

Same services (`report_must_visit`, `record_attendance`), same checks: a coordinator names only
cadres they look after (`find_my_cadres`, by name or #number), a refusal says why in the reader's
language (`DomainError.render`), and nothing is written when any name or the event is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from models.calendar import Event
from models.people import Cadre
from models.types import id_of
from yinhui.messages.texts import text
from yinhui.rules.playbook import Playbook
from yinhui.services.bot_queries import find_my_cadres
from yinhui.services.errors import DomainError
from yinhui.services.events import record_attendance
from yinhui.services.must_visits import report_must_visit
from yinhui.web.pages import Refused, web_actor
from yinhui.web.texts import t

# The four must-visits the form offers (the service knows these keys).
MUST_VISIT_KINDS = ("hospitalisation", "family_event", "hardship", "death")
ATTEND_DAYS = 14  # events held within this many days before today can take attendance
MAX_NAMES = 50
NAME_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class EventChoice:
    event_id: int
    title: str
    held_on: dt.date


def events_to_attend(session: Session, *, today: dt.date) -> list[EventChoice]:
    """Events held in the last `ATTEND_DAYS` days up to today, not cancelled, the latest first."""
    rows = session.execute(
        select(col(Event.id), col(Event.title), col(Event.held_on))
        .where(col(Event.cancelled_on).is_(None), col(Event.held_on) <= today,
               col(Event.held_on) >= today - dt.timedelta(days=ATTEND_DAYS))
        .order_by(col(Event.held_on).desc(), col(Event.id).desc())
    ).all()
    return [EventChoice(event_id, title, held_on) for event_id, title, held_on in rows]


def _my_cadre(session: Session, coordinator_id: int, ref: str, language: str) -> Cadre:
    """A cadre this coordinator looks after, by name or #number; else `Refused` in the chat's words."""
    name = ref.strip()
    found = find_my_cadres(session, coordinator_id=coordinator_id, ref=name)
    if not found:
        raise Refused(text(language, "cadre.not_found", name=name), 400)
    if len(found) > 1:
        options = "、".join(f"#{c.id}" for c in found[:5])
        raise Refused(text(language, "cadre.ambiguous", name=name, options=options, first=found[0].id), 400)
    return found[0]


def _reason(exc: ValueError, language: str) -> str | None:
    """A service's refusal as one line in the reader's language (None: not a domain error, no words for it)."""
    if not isinstance(exc, DomainError):
        return None
    return (exc.render(language).splitlines() or [""])[0] or None


def report_from_page(session: Session, coordinator_id: int, form: dict[str, str], *, today: dt.date,
                     language: str, playbook: Playbook) -> str:
    """Report a must-visit occasion for one of the coordinator's cadres; the words saying what was done."""
    kind = form.get("kind", "")
    if kind not in MUST_VISIT_KINDS:
        raise Refused(t(language, "refused.generic"), 400)
    day = form.get("on", "").strip()
    try:
        on = dt.date.fromisoformat(day) if day else today
    except ValueError:
        raise Refused(text(language, "report.bad_date", value=day), 400) from None
    cadre = _my_cadre(session, coordinator_id, form.get("cadre", ""), language)
    label = t(language, f"report.kind.{kind}")
    try:
        task = report_must_visit(session, cadre_id=id_of(cadre), reason=kind, actor=web_actor(coordinator_id), on=on,
                                 note=form.get("note", "").strip() or None, playbook=playbook)
    except ValueError as exc:  # the service's refusal (an unknown kind, a day out of range, a cadre not active)
        reason = _reason(exc, language)
        raise Refused(text(language, "report.refused", reason=reason) if reason
                      else text(language, "report.refused_generic")) from None
    if task is not None and task.id is not None:
        return text(language, "report.done_task", name=cadre.name, kind=label, task=task.id)
    return text(language, "report.done", name=cadre.name, kind=label)


def attend_from_page(session: Session, coordinator_id: int, form: dict[str, str], *, today: dt.date,
                     language: str, playbook: Playbook) -> str:
    """Record which of the coordinator's cadres attended an event; the words saying what was done."""
    event = form.get("event", "").strip().lstrip("#")
    names = [n for n in NAME_SEPARATORS.split(form.get("cadres", "")) if n]
    if not event.isdigit() or len(event) > 9 or not names or len(names) > MAX_NAMES:
        raise Refused(text(language, "attend.refused_generic"), 400)
    cadres = [_my_cadre(session, coordinator_id, name, language) for name in names]
    try:
        result = record_attendance(session, int(event), [id_of(c) for c in cadres], playbook=playbook, today=today,
                                   actor=web_actor(coordinator_id))
    except ValueError as exc:  # the events service's CalendarError (no such event, cancelled, not yet held)
        reason = _reason(exc, language)
        raise Refused(text(language, "attend.refused", reason=reason) if reason
                      else text(language, "attend.refused_generic")) from None
    if result.already:
        return text(language, "attend.done_already", added=len(result.added), event=int(event),
                    already=len(result.already))
    return text(language, "attend.done", added=len(result.added), event=int(event))
