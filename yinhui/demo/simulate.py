"""`yinhui demo`: builds the synthetic county, loads it through the real import path, and plays a quarter.

Every step goes through the same code an operator uses: the roster file is written and read back
by the importer, each day runs the `daily-plan` Prefect flow, and coordinators close their tasks
through `complete_task` (as the CLI and the chat bot do). Only the coordinators are simulated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import func, select
from sqlmodel import Session, col

if TYPE_CHECKING:
    from notifiers.base import Delivery, Outbound

OUTCOMES_CALL: tuple[tuple[str, int], ...] = (("reached", 90), ("unreachable", 7), ("visited", 3))
OUTCOMES_VISIT: tuple[tuple[str, int], ...] = (("visited", 94), ("declined", 3), ("unreachable", 3))


def _fraction(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from the parts (same seed, same demo)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _pick(options: tuple[tuple[str, int], ...], u: float) -> str:
    total = sum(w for _, w in options)
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


def _setup(data_dir: Path, seed: int, start: dt.date, out: TextIO) -> dict[str, object]:
    from models.db import dispose_engines, get_engine, session_scope, upgrade
    from models.organisations import VolunteerMember, VolunteerTeam
    from models.people import Cadre
    from models.types import id_of
    from yinhui.demo.county import build_county, write_roster, write_staff
    from yinhui.roster import load_roster, load_staff
    from yinhui.services.organisations import BranchBook
    from yinhui.services.roster_import import apply_roster, apply_staff
    from yinhui.settings import reset_settings

    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "yinhui.sqlite3"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    # The demo always uses its own SQLite file, whatever database the operator has configured.
    os.environ["YINHUI_DATA_DIR"] = str(data_dir)
    os.environ["YINHUI_DATABASE_URL"] = f"sqlite:///{database.resolve()}"
    reset_settings()
    dispose_engines()
    upgrade(get_engine())

    county = build_county(seed, as_of=start)
    roster, staff = data_dir / "roster.xlsx", data_dir / "staff.csv"
    write_roster(county, roster)
    write_staff(county, staff)
    staff_check, roster_check = load_staff(staff), load_roster(roster)
    if staff_check.errors or roster_check.errors:  # the generator and the validator disagree: a bug
        problems = [e.message("en") for e in (staff_check.errors + roster_check.errors)[:5]]
        raise RuntimeError("demo county failed validation: " + "; ".join(problems))
    with session_scope() as session:
        staff_result = apply_staff(session, staff_check.records)
        header = roster_check.table.columns.get("coordinator", "责任人") if roster_check.table else "责任人"
        roster_result = apply_roster(session, roster_check.records, coordinator_header=header,
                                     actor="demo:import", on=start)
        # The party tree and volunteer teams are structure the roster does not carry.
        branches = BranchBook(session)
        for branch, parent in county.branch_parent.items():
            if parent:
                branches.branch(branch).parent_id = branches.general_branch(parent).id
        ids = dict(session.execute(select(col(Cadre.id_number), col(Cadre.id))).all())
        for team in county.volunteer_teams:
            row = VolunteerTeam(name=team.name)
            session.add(row)
            session.flush()
            for member in team.members:
                if member in ids:
                    session.add(VolunteerMember(team_id=id_of(row), cadre_id=ids[member]))
    lixiu = sum(1 for c in county.cadres if c.category == "lixiu")
    print(f"县 demo county (seed {seed}): {len(county.townships)} townships + {len(county.communities)} communities "
          f"(level-2 grids), {len(county.base_grids)} base grids, {len(county.branches)} party branches, "
          f"{len(county.cadres)} cadres ({lixiu} 离休), {len(county.staff)} staff", file=out)
    print(f"  roster written to {roster} and imported: {roster_result.created} cadres, "
          f"{len(roster_result.grids_created)} grids created; staff: {staff_result.created} coordinators", file=out)
    return {"county": county}


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
            select(col(Task.id), col(Task.kind), col(Task.window_opens), col(Task.due), col(Task.assignee_id), col(Task.created_at))
            .where(col(Task.status).in_(LIVE_STATUSES), col(Task.window_opens) <= day)
        ).all()
        for task_id, kind, window_opens, due, assignee, created in live:
            # Nobody acts on a task before it exists (a yearly service's window opened in January).
            opens = max(window_opens, created.astimezone(clock.tz()).date())
            diligence = 0.80 + 0.18 * _fraction(seed, "coordinator", assignee)
            if planned_day(task_id, opens, due, diligence, seed) != day:
                continue
            if kind == "meeting":  # the secretary records the theme party day and who came
                done["meetings held"] += _hold_meeting(session, task_id, day, seed)
                continue
            options = OUTCOMES_CALL if kind in ("call", "follow_up") else OUTCOMES_VISIT
            if kind in ("lecture", "writing_group"):
                options = (("reached", 1),)
            outcome = _pick(options, _fraction(seed, task_id, "outcome"))
            try:
                complete_task(session, task_id, outcome=outcome, actor=f"coordinator:{assignee}", on=day,
                              playbook=playbook)
            except TaskError:
                continue  # covered by a visit earlier today, or not the right kind of answer
            done[outcome] += 1
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


# What happens to a few cadres in the simulated quarter (四必访): day offset, kind, how many.
OCCURRENCES = (
    (2, "hospitalisation", 3), (5, "wedding", 1), (6, "bereavement", 1), (9, "discharged", 1),
    (12, "hardship", 1), (16, "hospitalisation", 2), (30, "death", 1), (41, "resolved", 1),
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
            kind, _ = parse_kind(word)
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
                    lines.append(f"  {day} {word}: refused ({exc})")
                    continue
                task = result.task or result.follow_up
                name = session.get(Cadre, cadre_id).name  # type: ignore[union-attr]
                lines.append(f"  {day} {word} {name}: " + (f"task #{task.id} due {task.due}" if task else "closed")
                             + (f", {result.cancelled} open task(s) cancelled" if result.cancelled else ""))
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


def _print_care(out: TextIO, first: dt.date, last: dt.date) -> None:
    """How the must-visits were handled, and the quarter's services, branch meetings and volunteering."""
    from models.db import session_scope
    from models.tasks import Task
    from yinhui import textable
    from yinhui.commands.care import render_occurrences
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_of
    from yinhui.services.door_services import services_report
    from yinhui.services.must_visit_reports import occurrence_report, occurrence_summary
    from yinhui.services.org_life import branch_report
    from yinhui.services.planning import plan_leader
    from yinhui.services.volunteering import volunteer_report

    playbook = current_playbook()
    with session_scope() as session:
        rows = occurrence_report(session, first=first, last=last)
        quarter = period_of("quarter", first)
        services = services_report(session, playbook=playbook, period=quarter, today=last)
        branches = branch_report(session, month=period_of("month", last), playbook=playbook,
                                 leader_id=plan_leader(session))
        absence_visits = session.execute(
            select(func.count()).select_from(Task).where(col(Task.kind) == "absence_visit")
        ).scalar_one()
        volunteers = volunteer_report(session, period=quarter)
    if rows:
        print("\nmust-visits (四必访): reported, and how each was handled:", file=out)
        print(textable.render(
            ["kind", "reported", "visited", "on time", "open", "overdue", "missed", "follow-ups done"],
            [[s["kind"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"],
              f"{s['follow_ups_done']}/{s['follow_ups']}"] for s in occurrence_summary(rows)],
            numeric=(1, 2, 3, 4, 5, 6)), file=out)
        reported = [r for r in rows if not r["reported_by"].startswith("system:")]
        print(render_occurrences(reported), file=out)
        birthdays = len(rows) - len(reported)
        if birthdays:
            print(f"  + {birthdays} big birthday(s) (寿辰) planned by themselves from the ID's birth date", file=out)
    missing = sum(len(r["missing"]) for r in services["cadres"])
    print(f"\n六上门 {services['period']}: {services['complete']} of {len(services['cadres'])} 离休 cadres received every "
          f"service due; {missing} service(s) missing (yinhui report services --period {services['period']})", file=out)
    rate = branches["attended"] / branches["members_at_held"] if branches["members_at_held"] else 0.0
    print(f"组织生活 {branches['month']}: {branches['held']} of {branches['with_members']} branches held their theme party "
          f"day, attendance {rate:.0%}; {absence_visits} visit(s) planned for members who missed "
          f"{branches['absence_limit']} in a row (yinhui report branches --month {branches['month']})", file=out)
    print(f"志愿服务 {volunteers['period']}: {volunteers['activities']} activities, {volunteers['people_served']} people "
          f"served, {volunteers['volunteer_hours']:g} volunteer-hours", file=out)


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


def _print_season(out: TextIO, last_day: dt.date) -> None:
    """Festival visits (逢年过节必访) and the event plans of the simulated period."""
    from models.db import session_scope
    from yinhui import textable
    from yinhui.services.event_views import event_plan, list_events
    from yinhui.services.festivals import festival_visit_summary

    with session_scope() as session:
        rows = festival_visit_summary(session, year=last_day.year)
        if rows:
            print("\nfestival visits (逢年过节必访), deadlines staggered by priority (离休 first):", file=out)
            print(textable.render(
                ["festival", "planned", "done", "on time", "open", "overdue", "missed", "cancelled", "due from", "to"],
                [[r["festival"], r["planned"], r["done"], r["done_on_time"], r["open"], r["overdue"], r["missed"],
                  r["cancelled"], r["first_due"], r["last_due"]] for r in rows],
                numeric=(1, 2, 3, 4, 5, 6, 7)), file=out)
        for listed in list_events(session, today=last_day)[:2]:
            plan = event_plan(session, listed["id"], today=last_day)
            print(f"\nevent plan: {plan.get('title')} on {plan.get('held_on')} "
                  f"({plan.get('attendance', 0)} attended)", file=out)
            print(textable.render(
                ["step", "what", "owner", "due", "status"],
                [[s["at"], s["title"], s["owner"], s["due"], s["status"] + (" (late)" if s["late"] else "")]
                 for s in plan["steps"]]), file=out)


def coordinators_act(day: dt.date, offset: int, seed: int) -> dict[str, Any]:
    """What the simulated people do on one day, after the morning plan (the clock is at `day`)."""
    return {
        "answers": dict(_simulate_answers(day, seed)),
        "attended": _record_event_attendance(day, seed),
        "reports": _report_occurrences(day, offset, seed),
        "volunteering": _log_volunteering(day, offset, seed),
    }


def run_demo(*, data_dir: Path, start: dt.date, days: int, seed: int, quiet: bool = False) -> int:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.demo_quarter import demo_quarter
    from models.db import session_scope
    from notifiers import NOTIFIERS
    from notifiers.console import ConsoleNotifier
    from yinhui import clock, textable
    from yinhui.rules.cadence import period_of
    from yinhui.services.coverage import coverage

    out = sys.stdout
    began = time.monotonic()
    with clock.frozen_at(start):  # the roster is imported on the first simulated day
        _setup(data_dir, seed, start, out)
    log_path = data_dir / "console-outbox.txt"
    log = log_path.open("w", encoding="utf-8")
    first_digest = io.StringIO()

    class DemoConsole(ConsoleNotifier):
        """The console channel, writing every message to a file (and the first one to the screen)."""

        def __init__(self) -> None:
            super().__init__(stream=log)

        def notify(self, message: Outbound) -> Delivery:
            if not first_digest.getvalue() and message.kind == "digest":
                ConsoleNotifier(stream=first_digest).notify(message)
            return super().notify(message)

    NOTIFIERS["console"] = DemoConsole
    try:
        # Heartbeats are for long unattended runs; a simulated day finishes in well under a second.
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            results = demo_quarter(start, days, seed, progress=not quiet)
    finally:
        NOTIFIERS["console"] = ConsoleNotifier
        log.close()
    totals: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    reports: list[str] = []
    for result in results:
        cadence = result["plan"]["contact_cadence"]
        for key in ("created_total", "overdue", "escalated", "missed"):
            totals[key] += cadence[key]
        totals["digests"] += result["plan"]["digests"]
        totals["sent"] += result["plan"].get("dispatch", {}).get("sent", 0)
        totals["attended"] += result["attended"]
        totals["volunteering"] += result["volunteering"]
        answers.update(result["answers"])
        reports += result["reports"]
    months = list(dict.fromkeys(period_of("month", start + dt.timedelta(days=n)).key for n in range(days)))
    print(f"\nsimulated {days} days from {start}: {totals['created_total']} tasks created, "
          f"{sum(answers.values())} answered ({', '.join(f'{k} {v}' for k, v in answers.most_common())}), "
          f"{totals['escalated']} escalations, {totals['missed']} missed, {totals['attended']} event attendances; "
          f"{totals['sent']} digests delivered (all in {log_path})", file=out)
    _print_season(out, start + dt.timedelta(days=days - 1))
    if reports and not quiet:
        print("\nreported by coordinators during the quarter (四必访):", file=out)
        print("\n".join(reports), file=out)
    _print_care(out, start, start + dt.timedelta(days=days - 1))
    print("\nWhat a coordinator receives (the first digest, console channel):", file=out)
    head = first_digest.getvalue().splitlines()
    print("\n".join(head[:30] + (["  ..."] if len(head) > 30 else [])), file=out)
    with session_scope() as session:
        for key in months:
            from yinhui.rules.cadence import period_from_key

            report = coverage(session, period_from_key(key))
            total = report.total
            print(f"\ncoverage {key}: {total.contacted}/{total.cadres} contacted ({total.rate:.1%}), "
                  f"{total.missed} missed", file=out)
            if key == months[-1] or not quiet:
                worst = sorted(report.level(2), key=lambda g: g.rate)[:5]
                print(textable.render(["grid (level 2)", "cadres", "contacted", "missed", "rate"],
                                      [[g.name, g.cadres, g.contacted, g.missed, f"{g.rate:.0%}"] for g in worst],
                                      numeric=(1, 2, 3, 4)), file=out)
                if report.missed:
                    names = ", ".join(f"{m.name}({m.grid}, {m.reason})" for m in report.missed[:6])
                    print(f"  missed, for example: {names} ...", file=out)
    print(f"\ndemo finished in {time.monotonic() - began:.0f} s; database: {data_dir / 'yinhui.sqlite3'} "
          f"(try: YINHUI_DATA_DIR={data_dir} yinhui report coverage --month {months[-1]})", file=out)
    return 0
