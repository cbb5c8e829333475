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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import func, select
from sqlmodel import col

from models.tasks import CANCELLED, DONE, MISSED, OPEN, OVERDUE
from yinhui import textable
from yinhui.demo.people import ANSWERS
from yinhui.demo.words import _, bureau_language, operator_language
from yinhui.i18n import N_

if TYPE_CHECKING:
    from notifiers.base import Outbound, Result
    from yinhui.services.coverage import MissedCadre


# A task's status as the summary's tables show it.
STATUSES = {OPEN: N_("open"), OVERDUE: N_("overdue"), DONE: N_("done"), CANCELLED: N_("cancelled"),
            MISSED: N_("missed its deadline")}


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
    print(_("demo county (seed {seed}): {townships} townships + {communities} communities (level-2 grids), "
            "{grids} base grids, {branches} party branches, {cadres} cadres ({lixiu} of them 离休), "
            "{staff} staff", seed=seed, townships=len(county.townships), communities=len(county.communities),
            grids=len(county.base_grids), branches=len(county.branches), cadres=len(county.cadres), lixiu=lixiu,
            staff=len(county.staff)), file=out)
    print("  " + _("roster written to {roster} and imported: {cadres} cadres, {grids} grids created; "
                   "staff: {staff} coordinators", roster=roster, cadres=roster_result.created,
                   grids=len(roster_result.grids_created), staff=staff_result.created), file=out)
    print("  " + _("paused (暂停联系): {paused}", paused=paused), file=out)
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
        rows = occurrence_report(session, first=first, last=last, playbook=playbook, language=bureau_language())
        quarter = period_of("quarter", first)
        services = services_report(session, playbook=playbook, period=quarter, today=last)
        branches = branch_report(session, month=period_of("month", last), playbook=playbook,
                                 leader_id=plan_leader(session))
        absence_visits = session.execute(
            select(func.count()).select_from(Task).where(col(Task.kind) == "absence_visit")
        ).scalar_one()
        volunteers = volunteer_report(session, period=quarter)
    if rows:
        print("\n" + _("must-visits (四必访): reported, and how each was handled:"), file=out)
        textable.print_table(
            [_("kind"), _("reported"), _("visited"), _("on time"), _("open"), _("overdue"), _("missed its deadline"),
             _("follow-ups done")],
            [[s["title"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"],
              f"{s['follow_ups_done']}/{s['follow_ups']}"] for s in occurrence_summary(rows)],
            (1, 2, 3, 4, 5, 6), file=out)
        reported = [r for r in rows if not r["reported_by"].startswith("system:")]
        if reported:
            textable.print_table(*render_occurrences(reported, operator_language()), file=out)
        birthdays = len(rows) - len(reported)
        if birthdays:
            print("  " + _("+ {count} big birthday(s) (寿辰) planned by themselves from the ID's birth date",
                           count=birthdays), file=out)
    missing = sum(len(r["missing"]) for r in services["cadres"])
    print("\n" + _("六上门 {period}: {complete} of {cadres} 离休 cadres received every service "
                    "due; {missing} service(s) missing (yinhui report services --period {period})",
                    period=services["period"], complete=services["complete"], cadres=len(services["cadres"]),
                    missing=missing), file=out)
    rate = branches["attended"] / branches["members_at_held"] if branches["members_at_held"] else 0.0
    print(_("组织生活 {month}: {held} of {branches} branch(es) held their theme party day, attendance {rate}; "
            "{visits} visit(s) planned for members who missed {limit} in a row "
            "(yinhui report branches --month {month})", month=branches["month"], held=branches["held"],
            branches=branches["with_members"], rate=format(rate, ".0%"), visits=absence_visits,
            limit=branches["absence_limit"]), file=out)
    print(_("志愿服务 {period}: {hours} volunteer-hours in {activities} activity(ies), {served} people served",
            period=volunteers["period"], activities=volunteers["activities"], served=volunteers["people_served"],
            hours=format(volunteers["volunteer_hours"], "g")), file=out)


def _print_season(out: TextIO, last_day: dt.date) -> None:
    """Festival visits (逢年过节必访) and the event plans of the simulated period."""
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.event_views import event_plan, list_events
    from yinhui.services.festivals import festival_visit_summary

    with session_scope() as session:
        rows = festival_visit_summary(session, year=last_day.year, playbook=current_playbook(),
                                      language=bureau_language())
        if rows:
            print("\n" + _("festival visits (逢年过节必访), deadlines staggered by priority (离休 first):"), file=out)
            textable.print_table(
                [_("festival"), _("planned"), _("done"), _("on time"), _("open"), _("overdue"), _("missed its deadline"),
                 _("cancelled"), _("first due"), _("last due")],
                [[r["name"], r["planned"], r["done"], r["done_on_time"], r["open"], r["overdue"], r["missed"],
                  r["cancelled"], r["first_due"], r["last_due"]] for r in rows],
                (1, 2, 3, 4, 5, 6, 7), file=out)
        for listed in list_events(session, today=last_day)[:2]:
            plan = event_plan(session, listed["id"], today=last_day, language=bureau_language())
            print("\n" + _("event plan: {title} on {day} ({count} attended)", title=plan["title"],
                            day=plan["held_on"], count=plan["attendance"]), file=out)
            textable.print_table(
                [_("when"), _("step"), _("owner"), _("due"), _("status")],
                [[s["at"], s["title"], s["owner"], s["due"],
                  _(STATUSES.get(s["status"], s["status"])) + (_(" LATE") if s["late"] else "")] for s in plan["steps"]],
                file=out)


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
    print("\n" + _("demo finished in {seconds} s; database: {database} "
                    "(try: YINHUI_DATA_DIR={directory} yinhui report coverage --month {month})",
                    seconds=format(time.monotonic() - began, ".0f"), database=data_dir / "yinhui.sqlite3",
                    directory=data_dir, month=months[-1]), file=out)
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
    said = ", ".join(f"{_(ANSWERS[k])} {v}" for k, v in answers.most_common())
    print("\n" + _("simulated {days} day(s) from {start}: {created} task(s) created, {answered} answered ({answers}), "
                    "{escalated} escalation(s), {missed} missed, {attended} event attendance(s); "
                    "{sent} digest(s) delivered (all in {log})",
                    days=days, start=start, created=totals["created_total"], answered=sum(answers.values()),
                    answers=said, escalated=totals["escalated"], missed=totals["missed"],
                    attended=totals["attended"], sent=totals["sent"], log=log_path), file=out)
    _print_season(out, start + dt.timedelta(days=days - 1))
    if reports and not quiet:
        print("\n" + _("reported by coordinators during the quarter (四必访):"), file=out)
        print("\n".join(reports), file=out)
    _print_care(out, start, start + dt.timedelta(days=days - 1))
    print("\n" + _("What a coordinator receives (the first digest, console channel):"), file=out)
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
            print("\n" + _("coverage {month}: {contacted}/{cadres} contacted ({rate}; {relative} through a relative), "
                            "{paused} paused, {missed} missed ({unreachable} unreachable after every attempt)",
                            month=key, contacted=total.contacted, cadres=total.cadres, rate=format(total.rate, ".1%"),
                            relative=total.via_relative, paused=total.paused, missed=total.missed,
                            unreachable=total.unreachable), file=out)
            if key == months[-1] or not quiet:
                worst = sorted(report.level(2), key=lambda g: g.rate)[:5]
                textable.print_table([_("grid (level 2)"), _("cadres"), _("contacted"), _("missed"), _("rate")],
                                     [[g.name, g.cadres, g.contacted, g.missed, f"{g.rate:.0%}"] for g in worst],
                                     (1, 2, 3, 4), file=out)
                if report.missed:
                    print("  " + _("missed, for example: {names} ...", names=_who(report.missed[:6])), file=out)
                unreachable = [m for m in report.missed if m.reason.code == UNREACHABLE_AFTER]
                if unreachable:
                    print("  " + _("tried again and still unreachable: {names}", names=_who(unreachable[:3])), file=out)
                if report.paused:
                    print("  " + _("paused, not missed: {names}", names=_who(report.paused)), file=out)


def _who(cadres: Sequence[MissedCadre]) -> str:
    """Cadres a coverage report names, with their grid and why (in the bureau's language)."""
    lang = bureau_language()
    return ", ".join(f"{m.name}({m.grid}, {m.reason.render(lang)})" for m in cadres)
