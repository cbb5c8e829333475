"""`yinhui report coverage | services | branches | volunteers | must-visits | weekly`: what was done, and what was missed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    CommandError,
    FormatOption,
    database,
    day_option,
    language,
    month_option,
    one_line,
    period_option,
    print_json,
    print_table,
    require_schema,
)

app = typer.Typer(help="reports")

Month = Annotated[str, month_option("--month", help="YYYY-MM")]
Period = Annotated[str, period_option("--period")]


@app.command("coverage")
def coverage(
    month: Month,
    fmt: FormatOption = "table",
    all_grids: Annotated[bool, typer.Option("--all-grids", help="include every base grid in the table")] = False,
    all_missed: Annotated[bool, typer.Option("--all-missed", help="list every cadre missed, not the first 40")] = False,
) -> int:
    """who was contacted in a month, per grid"""
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import coverage as coverage_of

    with database(read_only=True) as session:
        report = coverage_of(session, period_from_key(month))
    if fmt == "json":
        print_json({
            "month": month,
            "grids": [
                {"level": g.level, "grid": g.path, "cadres": g.cadres, "contacted": g.contacted, "missed": g.missed}
                for g in report.grids
            ],
            "missed": [
                {"name": m.name, "grid": m.grid, "coordinator": m.coordinator, "reason": m.reason}
                for m in report.missed
            ],
            "uncovered_grids": report.uncovered_grids,
        })
        return 0
    if not report.grids:  # no county grid yet: nothing has been imported
        raise CommandError("no grids yet: import a roster first (`yinhui import-roster FILE`)")
    levels = (1, 2) if not all_grids else (1, 2, 3)
    rows = [g for g in report.grids if g.level in levels]
    print(f"coverage {month}: {report.total.contacted} of {report.total.cadres} cadres contacted "
          f"({report.total.rate:.1%}), {report.total.missed} missed")
    print_table(["level", "grid", "cadres", "contacted", "missed", "rate"],
                [[g.level, ("  " if g.level == 3 else "") + g.path, g.cadres, g.contacted, g.missed, f"{g.rate:.0%}"]
                 for g in rows],
                (2, 3, 4, 5))
    if report.missed:
        print(f"\nmissed ({len(report.missed)}):")
        shown = report.missed if all_missed else report.missed[:40]
        print_table(["name", "grid", "coordinator", "why"], [[m.name, m.grid, m.coordinator, m.reason] for m in shown])
        if len(shown) < len(report.missed):
            print(f"... and {len(report.missed) - len(shown)} more (--all-missed lists them)")
    if report.uncovered_grids:
        print(f"\ngrids nobody covers ({len(report.uncovered_grids)}): " + ", ".join(report.uncovered_grids))
    return 0


@app.command("services")
@one_line
def services(
    period: Period,
    missing_only: Annotated[bool, typer.Option("--missing-only", help="only cadres with a service missing")] = False,
    fmt: FormatOption = "table",
) -> int:
    """六上门: per 离休 cadre, which services were delivered and which are missing"""
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.door_services import services_report

    playbook = current_playbook()
    with database(read_only=True) as session:
        report = services_report(session, playbook=playbook, period=period_from_key(period), today=clock.today())
    if fmt == "json":
        print_json(report)
        return 0
    due, lang = report["services"], language()
    titles = [s["title_en"] if lang == "en" else s["title_zh"] for s in due]
    shown = [r for r in report["cadres"] if r["missing"]] if missing_only else report["cadres"]

    def cell(row: dict[str, Any], key: str) -> str:
        entry = row["services"].get(key)
        if entry is None or not entry["expected"]:
            return "-"
        mark = "✓" if entry["delivered"] >= entry["expected"] else "✗"
        return mark if entry["expected"] == 1 else f"{mark}{entry['delivered']}/{entry['expected']}"

    print(f"六上门 {report['period']}: {report['complete']} of {len(report['cadres'])} cadre(s) received every "
          "service due (✓ delivered, ✗ missing, n/m periods delivered of those due)")
    print_table(["name", "grid", "coordinator", *titles],
                [[r["name"], r["grid"], r["coordinator"] or "", *(cell(r, s["key"]) for s in due)] for r in shown])
    return 0


@app.command("branches")
@one_line
def branches(month: Month, fmt: FormatOption = "table") -> int:
    """组织生活: theme party days and attendance by branch"""
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.org_life import branch_report
    from yinhui.services.planning import plan_leader

    with database(read_only=True) as session:
        report = branch_report(session, month=period_from_key(month), playbook=current_playbook(),
                               leader_id=plan_leader(session))
    if fmt == "json":
        print_json(report)
        return 0
    rate = report["attended"] / report["members_at_held"] if report["members_at_held"] else 0.0
    print(f"组织生活 {report['month']}: {report['held']} of {report['with_members']} branch(es) held their theme party "
          f"day; {report['attended']} of {report['members_at_held']} members attended ({rate:.0%})")
    print_table(
        ["branch", "members", "held on", "attended", "rate", "task", f"missed {report['absence_limit']}+ in a row"],
        [[r["branch"], r["members"], r["held_on"] or "-", r["attended"] if r["held_on"] else "-",
          f"{r['rate']:.0%}" if r["rate"] is not None else "-", r["task"] or "-", r["absent_in_a_row"]]
         for r in report["branches"] if r["members"] or r["held_on"]],
        (1, 3, 4, 6),
    )
    return 0


@app.command("volunteers")
@one_line
def volunteers(period: Period, fmt: FormatOption = "table") -> int:
    """志愿服务: activities and volunteer-hours per team"""
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.volunteering import volunteer_report

    with database(read_only=True) as session:
        report = volunteer_report(session, period=period_from_key(period))
    if fmt == "json":
        print_json(report)
        return 0
    print(f"志愿服务 {report['period']}: {report['activities']} activit{'y' if report['activities'] == 1 else 'ies'}, "
          f"{report['people_served']} people served, {report['volunteer_hours']:g} volunteer-hours")
    print_table(
        ["team", "activities", "served", "volunteers", "volunteer-hours", "topics"],
        [[r["team"], r["activities"], r["people_served"], r["volunteers"], f"{r['volunteer_hours']:g}",
          "、".join(f"{t} {n}" for t, n in sorted(r["topics"].items(), key=lambda p: -p[1]))] for r in report["teams"]],
        (1, 2, 3, 4),
    )
    return 0


@app.command("must-visits")
@one_line
def must_visits(period: Period, fmt: FormatOption = "table") -> int:
    """四必访: what was reported and how each was handled"""
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.must_visit_reports import (
        occurrence_report,
        occurrence_summary,
        render_occurrences,
    )

    span = period_from_key(period)
    with database(read_only=True) as session:
        rows = occurrence_report(session, first=span.start, last=span.end, language=language())
    if fmt == "json":
        print_json({"period": span.key, "summary": occurrence_summary(rows), "occurrences": rows})
        return 0
    print(f"四必访 {span.key}: {len(rows)} occurrence(s)")
    print_table(
        ["kind", "reported", "visited", "on time", "open", "overdue", "missed", "follow-ups done"],
        [[s["kind"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"],
          f"{s['follow_ups_done']}/{s['follow_ups']}"] for s in occurrence_summary(rows)],
        (1, 2, 3, 4, 5, 6),
    )
    if rows:
        print_table(*render_occurrences(rows))
    return 0


@app.command("weekly")
def weekly(
    week_of: Annotated[dt.date | None, day_option("--week-of", help="any day of the week to report (default: last week)")] = None,
    fmt: FormatOption = "table",
) -> int:
    """last week's report (also published in the Prefect UI)"""
    from flows.reports import weekly_report

    require_schema()
    summary = weekly_report(week_of)
    if fmt == "json":
        print_json(summary)
        return 0
    print(f"week {summary['week']}: {summary['created']} task(s) created, {summary['done']} done, "
          f"{summary['missed']} closed as missed, {summary['escalated']} escalation(s), "
          f"{summary['contacts']} contact(s) with {summary['cadres_reached']} cadre(s); "
          f"{summary['overdue_now']} overdue now")
    print(f"must-visits due that week: {summary['must_visit_kept']} kept, {summary['must_visit_missed']} missed")
    return 0
