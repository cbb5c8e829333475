"""`yinhui demo`: builds the synthetic county, loads it through the real import path, and plays a quarter.

Every step goes through the same code an operator uses: the roster file is written and read back
by the importer, each simulated day runs the `daily-plan` steps inside the `demo-quarter` Prefect
flow (yinhui.demo.quarter), and coordinators close their tasks through `complete_task` (as the
CLI and the chat bot do). Only the people are simulated (yinhui.demo.people). The demo plays in
its own SQLite file (yinhui.demo.sandbox) and prints what a coordinator receives and the coverage.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import func, select
from sqlmodel import col

from yinhui import textable

if TYPE_CHECKING:
    from notifiers.base import Outbound, Result


def _setup(data_dir: Path, seed: int, start: dt.date, out: TextIO) -> dict[str, object]:
    """The demo's county, written as a roster file and imported (the sandbox's database is in force)."""
    from models.db import get_engine, session_scope, upgrade
    from models.organisations import VolunteerMember, VolunteerTeam
    from models.people import Cadre
    from models.types import id_of
    from yinhui.demo.county import build_county
    from yinhui.demo.sheets import write_roster, write_staff
    from yinhui.roster import load_roster, load_staff
    from yinhui.services.organisations import BranchBook
    from yinhui.services.roster_import import apply_roster, apply_staff

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
        paused = _pause_some(session, start)
    lixiu = sum(1 for c in county.cadres if c.category == "lixiu")
    print(f"县 demo county (seed {seed}): {len(county.townships)} townships + {len(county.communities)} communities "
          f"(level-2 grids), {len(county.base_grids)} base grids, {len(county.branches)} party branches, "
          f"{len(county.cadres)} cadres ({lixiu} 离休), {len(county.staff)} staff", file=out)
    print(f"  roster written to {roster} and imported: {roster_result.created} cadres, "
          f"{len(roster_result.grids_created)} grids created; staff: {staff_result.created} coordinators", file=out)
    print(f"  paused (暂停联系): {paused}", file=out)
    return {"county": county}


def _pause_some(session: Any, start: dt.date) -> str:
    """Three cadres are away for a while (异地居住, a care home elsewhere): two for the whole quarter,
    one for a month from the tenth day, whose calls come back when the pause runs out."""
    from models.people import Cadre
    from yinhui.services.pauses import pause_cadre

    # 退休 cadres in no party branch: a 离休 cadre's door services (六上门) go on while away, and the
    # simulated branch secretaries record attendance without asking who is away.
    cadres = list(session.execute(select(Cadre).where(col(Cadre.category) == "tuixiu", col(Cadre.branch_id).is_(None))
                                  .order_by(col(Cadre.id))).scalars())
    picked = cadres[7::max(len(cadres) // 3, 1)][:3]
    spans = [(start, start + dt.timedelta(days=100), "异地居住（随子女过冬）"),
             (start, start + dt.timedelta(days=100), "外地养老院"),
             (start + dt.timedelta(days=10), start + dt.timedelta(days=40), "异地居住（探亲）")]
    lines = []
    for cadre, (first, until, reason) in zip(picked, spans, strict=False):
        pause_cadre(session, cadre, starts=first, until=until, reason=reason, actor="demo:operator", today=start)
        lines.append(f"{cadre.name} {first:%m-%d}..{until:%m-%d} {reason}")
    return "; ".join(lines)


def _print_care(out: TextIO, first: dt.date, last: dt.date) -> None:
    """How the must-visits were handled, and the quarter's services, branch meetings and volunteering."""
    from models.db import session_scope
    from models.tasks import Task
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_of
    from yinhui.services.door_services import services_report
    from yinhui.services.must_visit_reports import (
        occurrence_report,
        occurrence_summary,
        render_occurrences,
    )
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
        textable.print_table(
            ["kind", "reported", "visited", "on time", "open", "overdue", "missed", "follow-ups done"],
            [[s["kind"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"],
              f"{s['follow_ups_done']}/{s['follow_ups']}"] for s in occurrence_summary(rows)],
            (1, 2, 3, 4, 5, 6), file=out)
        reported = [r for r in rows if not r["reported_by"].startswith("system:")]
        textable.print_table(*render_occurrences(reported), file=out)
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


def _print_season(out: TextIO, last_day: dt.date) -> None:
    """Festival visits (逢年过节必访) and the event plans of the simulated period."""
    from models.db import session_scope
    from yinhui.services.event_views import event_plan, list_events
    from yinhui.services.festivals import festival_visit_summary

    with session_scope() as session:
        rows = festival_visit_summary(session, year=last_day.year)
        if rows:
            print("\nfestival visits (逢年过节必访), deadlines staggered by priority (离休 first):", file=out)
            textable.print_table(
                ["festival", "planned", "done", "on time", "open", "overdue", "missed", "cancelled", "due from", "to"],
                [[r["festival"], r["planned"], r["done"], r["done_on_time"], r["open"], r["overdue"], r["missed"],
                  r["cancelled"], r["first_due"], r["last_due"]] for r in rows],
                (1, 2, 3, 4, 5, 6, 7), file=out)
        for listed in list_events(session, today=last_day)[:2]:
            plan = event_plan(session, listed["id"], today=last_day)
            print(f"\nevent plan: {plan.get('title')} on {plan.get('held_on')} "
                  f"({plan.get('attendance', 0)} attended)", file=out)
            textable.print_table(
                ["step", "what", "owner", "due", "status"],
                [[s["at"], s["title"], s["owner"], s["due"], s["status"] + (" (late)" if s["late"] else "")]
                 for s in plan["steps"]], file=out)


DayDone = Callable[[dt.date], None]


def run_demo(
    *, data_dir: Path, start: dt.date, days: int, seed: int, quiet: bool = False, on_day: DayDone | None = None
) -> int:
    """Build the county in `data_dir`, play `days` days from `start` and print what happened.

    `on_day(day)` is called after each simulated day (the CLI moves its progress bar with it).
    """
    from yinhui.demo.sandbox import demo_database

    out = sys.stdout
    began = time.monotonic()
    with demo_database(data_dir):
        months = _play(data_dir, start, days, seed, quiet, on_day, out)
    print(f"\ndemo finished in {time.monotonic() - began:.0f} s; database: {data_dir / 'yinhui.sqlite3'} "
          f"(try: YINHUI_DATA_DIR={data_dir} yinhui report coverage --month {months[-1]})", file=out)
    return 0


def _play(data_dir: Path, start: dt.date, days: int, seed: int, quiet: bool, on_day: DayDone | None,
          out: TextIO) -> list[str]:
    """The county, the quarter (one `demo-quarter` flow run) and what it left; returns the months played."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from notifiers import NOTIFIERS
    from notifiers.console import ConsoleNotifier
    from yinhui import clock
    from yinhui.demo.quarter import demo_quarter, reporting_days
    from yinhui.rules.cadence import period_of

    with clock.frozen_at(start):  # the roster is imported on the first simulated day
        _setup(data_dir, seed, start, out)
    log_path = data_dir / "console-outbox.txt"
    log = log_path.open("w", encoding="utf-8")
    first_digest = io.StringIO()

    class DemoConsole(ConsoleNotifier):
        """The console channel, writing every message to a file (and the first one to the screen)."""

        def __init__(self) -> None:
            super().__init__(stream=log)

        def notify(self, message: Outbound) -> Result:
            if not first_digest.getvalue() and message.kind == "digest":
                ConsoleNotifier(stream=first_digest).notify(message)
            return super().notify(message)

    NOTIFIERS["console"] = DemoConsole
    try:
        # Heartbeats are for long unattended runs; a simulated day finishes in well under a second.
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), reporting_days(on_day):
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
    months = list(dict.fromkeys(period_of("month", start + dt.timedelta(days=n)).key for n in range(days)))
    _print_coverage(out, months, quiet)
    return months


def _print_coverage(out: TextIO, months: list[str], quiet: bool) -> None:
    """Each month's coverage; the worst level-2 grids of the last month (of every month unless quiet)."""
    from models.db import session_scope
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import UNREACHABLE_AFTER, coverage

    with session_scope() as session:
        for key in months:
            report = coverage(session, period_from_key(key))
            total = report.total
            print(f"\ncoverage {key}: {total.contacted}/{total.cadres} contacted ({total.rate:.1%}; "
                  f"{total.via_relative} through a relative), {total.paused} paused, {total.missed} missed "
                  f"({total.unreachable} unreachable after every attempt)", file=out)
            if key == months[-1] or not quiet:
                worst = sorted(report.level(2), key=lambda g: g.rate)[:5]
                textable.print_table(["grid (level 2)", "cadres", "contacted", "missed", "rate"],
                                     [[g.name, g.cadres, g.contacted, g.missed, f"{g.rate:.0%}"] for g in worst],
                                     (1, 2, 3, 4), file=out)
                if report.missed:
                    names = ", ".join(f"{m.name}({m.grid}, {m.reason})" for m in report.missed[:6])
                    print(f"  missed, for example: {names} ...", file=out)
                unreachable = [m for m in report.missed if m.reason.code == UNREACHABLE_AFTER]
                if unreachable:
                    names = ", ".join(f"{m.name}({m.grid}, {m.reason})" for m in unreachable[:3])
                    print(f"  tried again and still unreachable: {names}", file=out)
                if report.paused:
                    names = ", ".join(f"{m.name}({m.grid}, {m.reason})" for m in report.paused)
                    print(f"  paused, not missed: {names}", file=out)
