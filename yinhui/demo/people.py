"""What the demo's simulated people do each day: coordinators close most of their tasks (mostly on
time, some late, some never), secretaries hold theme party days, coordinators report must-visit
occurrences, volunteer teams log activities and cadres attend events. All of it goes through the
same services as the CLI and the chat bot; only the people are simulated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from yinhui.demo.words import _, operator_language
from yinhui.i18n import N_, error_text

OUTCOMES_CALL: tuple[tuple[str, int], ...] = (("reached", 90), ("unreachable", 7), ("visited", 3))
OUTCOMES_VISIT: tuple[tuple[str, int], ...] = (("visited", 94), ("declined", 3), ("unreachable", 3))
# A cadre who did not answer once is often away for a while: half the next attempts fail too.
RETRIED: tuple[tuple[str, int], ...] = (("reached", 50), ("unreachable", 50))
# What the coordinators did, as the summary counts it: an answer, a call a relative took, a meeting.
RELATIVE, MEETING = "relative", "meeting"
ANSWERS = {"reached": N_("reached"), "unreachable": N_("unreachable"), "visited": N_("visited"),
           "declined": N_("declined"), RELATIVE: N_("reached through a relative"),
           MEETING: N_("theme party days held")}


def _fraction(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from the parts (same seed, same demo)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _pick(options: tuple[tuple[str, int], ...], u: float) -> str:
    total = sum(weight for _value, weight in options)
    acc = 0.0
    for value, weight in options:
        acc += weight / total
        if u < acc:
            return value
    return options[-1][0]


def planned_day(task_id: int, opens: dt.date, due: dt.date, diligence: float, seed: int) -> dt.date | None:
    """When a simulated coordinator gets to a task: mostly on time, some late, some never."""
    u = _fraction(seed, task_id, "when")
    span = max((due - opens).days, 0)
    if u < diligence:
        return opens + dt.timedelta(days=int(_fraction(seed, task_id, "day") * (span + 1)))
    if u < diligence + (1 - diligence) * 0.6:
        return due + dt.timedelta(days=1 + int(_fraction(seed, task_id, "late") * 10))
    return None


def _simulate_answers(day: dt.date, seed: int) -> Counter[str]:
    """Coordinators close today's share of their tasks through the same function as the CLI."""
    from models.db import session_scope
    from models.tasks import LIVE_STATUSES, Task
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.errors import TaskError
    from yinhui.services.tasks import complete_task

    playbook = current_playbook()
    done: Counter[str] = Counter()
    with session_scope() as session:
        live = session.execute(
            select(col(Task.id), col(Task.kind), col(Task.window_opens), col(Task.due), col(Task.assignee_id), col(Task.created_at),
                   col(Task.attempts))
            .where(col(Task.status).in_(LIVE_STATUSES), col(Task.window_opens) <= day)
        ).all()
        for task_id, kind, window_opens, due, assignee, created, attempts in live:
            # Nobody acts on a task before it exists (a yearly service's window opened in January).
            opens = max(window_opens, created.astimezone(clock.tz()).date())
            diligence = 0.80 + 0.18 * _fraction(seed, "coordinator", assignee)
            # A call tried again (再次联系) is tried on the day it is due again.
            if (day != due) if attempts else (planned_day(task_id, opens, due, diligence, seed) != day):
                continue
            if kind == "meeting":  # the secretary records the theme party day and who came
                done[MEETING] += _hold_meeting(session, task_id, day, seed)
                continue
            options = OUTCOMES_CALL if kind in ("call", "follow_up") else OUTCOMES_VISIT
            if kind in ("lecture", "writing_group"):
                options = (("reached", 1),)
            u = _fraction(seed, task_id, "outcome", attempts) if attempts else _fraction(seed, task_id, "outcome")
            outcome = _pick(RETRIED if attempts else options, u)
            # Now and then the cadre is out and a relative answers for them (亲属接听).
            via = "relative" if kind == "call" and outcome == "reached" and _fraction(seed, task_id, "via") < 0.03 else None
            try:
                complete_task(session, task_id, outcome=outcome, actor=f"coordinator:{assignee}", on=day,
                              playbook=playbook, via=via)
            except TaskError:
                continue  # covered by a visit earlier today, or not the right kind of answer
            done[RELATIVE if via else outcome] += 1
    return done


def _hold_meeting(session: Session, task_id: int, day: dt.date, seed: int) -> int:
    """A branch holds its theme party day; most members come (a few miss month after month)."""
    from models.people import ACTIVE, Cadre
    from models.tasks import Task
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.org_life import record_meeting

    task = session.get(Task, task_id)
    assert task is not None  # the caller has just read it from the live tasks
    if day.strftime("%Y-%m") != task.period:
        return 0  # not held in its month: the task stays overdue and lapses, as a missed meeting should
    members = session.execute(
        select(col(Cadre.id)).where(col(Cadre.branch_id) == task.subject_id, col(Cadre.status) == ACTIVE)
    ).scalars().all()
    # A member's habit: most almost always come, one in twenty hardly ever does.
    coming = [cid for cid in members
              if _fraction(seed, cid, task.period, "meet") < (0.15 if _fraction(seed, cid, "habit") < 0.05 else 0.9)]
    record_meeting(session, branch_id=task.subject_id, month=task.period, cadre_ids=coming, actor="demo:secretary",
                   playbook=current_playbook(), today=day, held_on=day)
    return 1


# What happens to a few cadres in the simulated quarter (四必访): day offset, the word a coordinator
# reports it with (shown in the operator's language), how many.
OCCURRENCES = (
    (2, N_("hospitalisation"), 3), (5, N_("wedding"), 1), (6, N_("bereavement"), 1), (9, N_("discharged"), 1),
    (12, N_("hardship"), 1), (16, N_("hospitalisation"), 2), (30, N_("death"), 1), (41, N_("resolved"), 1),
)


def _report_occurrences(day: dt.date, offset: int, seed: int) -> list[str]:
    """Coordinators report hospitalisations, family events, hardship and a death as they learn of them."""
    from models.db import session_scope
    from models.must_visits import Occurrence
    from models.people import ACTIVE, Cadre
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.must_visits import CLOSES, parse_kind
    from yinhui.services.errors import CareError
    from yinhui.services.must_visits import record_occurrence

    lines = []
    for when, word, count in OCCURRENCES:
        if when != offset:
            continue
        with session_scope() as session:
            kind, _detail = parse_kind(word)
            if kind in CLOSES:
                ids = session.execute(
                    select(col(Occurrence.cadre_id)).where(col(Occurrence.kind) == CLOSES[kind], col(Occurrence.closed_on).is_(None))
                    .order_by(col(Occurrence.id)).limit(count)
                ).scalars().all()
            else:
                ids = sorted(session.execute(select(col(Cadre.id)).where(col(Cadre.status) == ACTIVE)).scalars(),
                             key=lambda cid: _fraction(seed, cid, word, offset))[:count]
            for cadre_id in ids:
                on = day + dt.timedelta(days=10) if word == "wedding" else day
                try:
                    result = record_occurrence(session, cadre_id=cadre_id, kind=word, on=on, actor="demo:coordinator",
                                               playbook=current_playbook(), today=day)
                except CareError as exc:
                    lines.append("  " + _("{day} {kind}: refused ({error})", day=day, kind=_(word),
                                          error=error_text(exc, operator_language())))
                    continue
                task = result.task or result.follow_up
                name = session.get(Cadre, cadre_id).name  # type: ignore[union-attr]
                done = _("task #{task} due {due}", task=task.id, due=task.due) if task else _("case closed")
                if result.cancelled:
                    done = _("{done}, {count} open task(s) cancelled", done=done, count=result.cancelled)
                lines.append("  " + _("{day} {kind} {name}: {done}", day=day, kind=_(word), name=name, done=done))
    return lines


def _log_volunteering(day: dt.date, offset: int, seed: int) -> int:
    """Every three weeks each volunteer team logs a service activity with a few of its members."""
    from models.db import session_scope
    from models.organisations import VolunteerMember, VolunteerTeam
    from models.people import ACTIVE, Cadre
    from yinhui.services.volunteering import log_activity

    if offset % 21 != 10:
        return 0
    topics = ("反诈宣传", "健康讲座", "植树护绿", "政策宣讲")
    with session_scope() as session:
        teams = session.execute(select(col(VolunteerTeam.id)).order_by(col(VolunteerTeam.id))).scalars().all()
        for n, team_id in enumerate(teams):
            members = session.execute(
                select(col(VolunteerMember.cadre_id)).join(Cadre, col(Cadre.id) == col(VolunteerMember.cadre_id))
                .where(col(VolunteerMember.team_id) == team_id, col(Cadre.status) == ACTIVE)
            ).scalars().all()
            going = sorted(members, key=lambda cid: _fraction(seed, cid, day, "volunteer"))[:6]
            log_activity(session, team_id=team_id, held_on=day, topic=topics[(offset // 21 + n) % len(topics)],
                         people_served=20 + int(80 * _fraction(seed, team_id, day)), hours=2.0, cadre_ids=going,
                         actor="demo:volunteers", today=day)
    return len(teams)


def _record_event_attendance(day: dt.date, seed: int) -> int:
    """On an event's day, about a quarter of the cadres of the county seat's grids come."""
    from models.calendar import Attendance, Event
    from models.db import session_scope
    from models.people import ACTIVE, Cadre
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.events import record_attendance

    with session_scope() as session:
        events = session.execute(select(Event).where(col(Event.held_on) == day)).scalars().all()
        total = 0
        for event in events:
            if session.execute(select(col(Attendance.cadre_id)).where(col(Attendance.event_id) == event.id)).first():
                continue
            ids = session.execute(select(col(Cadre.id)).where(col(Cadre.status) == ACTIVE)).scalars().all()
            coming = [cid for cid in ids if _fraction(seed, event.id, cid, "attend") < 0.25]
            result = record_attendance(session, event.id, coming, playbook=current_playbook(), today=day,
                                       actor="demo:attendance")
            total += len(result.added)
    return total


def coordinators_act(day: dt.date, offset: int, seed: int) -> dict[str, Any]:
    """What the simulated people do on one day, after the morning plan (the clock is at `day`)."""
    return {
        "answers": dict(_simulate_answers(day, seed)),
        "attended": _record_event_attendance(day, seed),
        "reports": _report_occurrences(day, offset, seed),
        "volunteering": _log_volunteering(day, offset, seed),
    }
