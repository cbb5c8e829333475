"""`yinhui report coverage | services | branches | volunteers | must-visits | weekly`: what was done, and what was missed.

Each prints a table, JSON (``--format json``), or writes a workbook for a leader or the city
(``--format xlsx --output FILE``, shaped in ``yinhui.export.reports``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    CommandError,
    ExportFormatOption,
    OutputOption,
    _,
    database,
    day_option,
    export_target,
    language,
    month_option,
    one_line,
    operator_language,
    period_option,
    print_json,
    print_table,
    require_schema,
    write_export,
)
from yinhui.i18n import N_

app = typer.Typer(help=N_("reports"))

Month = Annotated[str, month_option("--month", help=N_("YYYY-MM"))]
Period = Annotated[str, period_option("--period")]


def _words() -> Any:
    """A workbook's headers and tab names: in the bureau's language, like the report's content."""
    from yinhui.export.reports import Words

    return Words(language())


@app.command("coverage", help=N_("who was contacted in a month, per grid"))
@one_line
def coverage(
    month: Month,
    fmt: ExportFormatOption = "table",
    output: OutputOption = None,
    all_grids: Annotated[bool, typer.Option("--all-grids", help=N_("include every base grid in the table"))] = False,
    all_missed: Annotated[bool, typer.Option("--all-missed", help=N_("list every cadre missed, not the first 40"))] = False,
) -> int:
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import coverage as coverage_of

    target = export_target(fmt, output)
    with database(read_only=True) as session:
        report = coverage_of(session, period_from_key(month))
    lang = language()  # the reasons are the report's content: the bureau's language
    if fmt == "json":
        print_json({
            "month": month,
            "grids": [
                {"level": g.level, "grid": g.path, "cadres": g.cadres, "contacted": g.contacted,
                 "via_relative": g.via_relative, "paused": g.paused, "missed": g.missed, "unreachable": g.unreachable,
                 "expected": g.expected, "rate": g.rate if g.expected else None}
                for g in report.grids
            ],
            "missed": [
                {"name": m.name, "grid": m.grid, "coordinator": m.coordinator, "reason": m.reason.render(lang),
                 **m.reason.as_json()}
                for m in report.missed
            ],
            "paused": [
                {"name": m.name, "grid": m.grid, "coordinator": m.coordinator, "reason": m.reason.render(lang),
                 **m.reason.as_json()}
                for m in report.paused
            ],
            "uncovered_grids": report.uncovered_grids,
        })
        return 0
    if not report.grids:  # no county grid yet: nothing has been imported
        raise CommandError(_("no grids yet: import a roster first (`yinhui import-roster FILE`)"))
    if target is not None:
        from yinhui.export.reports import coverage_sheets

        write_export(target, coverage_sheets(report, _words()))
        return 0
    levels = (1, 2) if not all_grids else (1, 2, 3)
    rows = [g for g in report.grids if g.level in levels]
    total = report.total
    if total.expected:
        print(_("coverage {month}: {contacted} of {expected} cadres contacted ({rate}), {missed} missed; "
                "{paused} paused, not counted",
                month=month, contacted=total.contacted, expected=total.expected, rate=format(total.rate, ".1%"),
                missed=total.missed, paused=total.paused))
    else:  # every cadre paused, or none on the books yet: a rate would mean nothing
        print(_("coverage {month}: no cadre to contact ({cadres} on the books, {paused} paused), nothing to count",
                month=month, cadres=total.cadres, paused=total.paused))
    print_table([_("level"), _("grid"), _("cadres"), _("contacted"), _("via relative"), _("paused"), _("missed"),
                 _("unreachable after every attempt"), _("rate")],
                [[g.level, ("  " if g.level == 3 else "") + g.path, g.cadres, g.contacted, g.via_relative, g.paused,
                  g.missed, g.unreachable, f"{g.rate:.0%}" if g.expected else _("No data")] for g in rows],
                (2, 3, 4, 5, 6, 7, 8))
    if report.missed:
        print("\n" + _("missed ({count}):", count=len(report.missed)))
        shown = report.missed if all_missed else report.missed[:40]
        print_table([_("name"), _("grid"), _("coordinator"), _("why")],
                    [[m.name, m.grid, m.coordinator, m.reason.render(lang)] for m in shown])
        if len(shown) < len(report.missed):
            print(_("... and {count} more (--all-missed lists them)", count=len(report.missed) - len(shown)))
    if report.paused:
        print("\n" + _("paused, not missed ({count}):", count=len(report.paused)))
        print_table([_("name"), _("grid"), _("coordinator"), _("why")],
                    [[m.name, m.grid, m.coordinator, m.reason.render(lang)] for m in report.paused])
    if report.uncovered_grids:
        print("\n" + _("grids nobody covers ({count}): {grids}", count=len(report.uncovered_grids),
                       grids=", ".join(report.uncovered_grids)))
    return 0


@app.command("services", help=N_("六上门: per 离休 cadre, which services were delivered and which are missing"))
@one_line
def services(
    period: Period,
    missing_only: Annotated[bool, typer.Option("--missing-only", help=N_("only cadres with a service missing"))] = False,
    fmt: ExportFormatOption = "table",
    output: OutputOption = None,
) -> int:
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.door_services import services_report

    target = export_target(fmt, output)
    playbook = current_playbook()
    with database(read_only=True) as session:
        report = services_report(session, playbook=playbook, period=period_from_key(period), today=clock.today())
    if fmt == "json":
        print_json(report)
        return 0
    complete, count = report["complete"], len(report["cadres"])
    if missing_only:
        report["cadres"] = [r for r in report["cadres"] if r["missing"]]
    if target is not None:
        from yinhui.export.reports import services_sheets

        write_export(target, services_sheets(report, _words()))
        return 0
    due, lang = report["services"], language()
    titles = [s["title_en"] if lang == "en" else s["title_zh"] for s in due]

    def cell(row: dict[str, Any], key: str) -> str:
        entry = row["services"].get(key)
        if entry is None or not entry["expected"]:
            return "-"
        mark = "✓" if entry["delivered"] >= entry["expected"] else "✗"
        return mark if entry["expected"] == 1 else f"{mark}{entry['delivered']}/{entry['expected']}"

    print(_("六上门 {period}: {complete} of {count} cadre(s) received every service due "
            "(✓ delivered, ✗ missing, n/m periods delivered of those due)",
            period=report["period"], complete=complete, count=count))
    print_table([_("name"), _("grid"), _("coordinator"), *titles],
                [[r["name"], r["grid"], r["coordinator"] or "", *(cell(r, s["key"]) for s in due)]
                 for r in report["cadres"]])
    return 0


@app.command("branches", help=N_("组织生活: theme party days and attendance by branch"))
@one_line
def branches(month: Month, fmt: ExportFormatOption = "table", output: OutputOption = None) -> int:
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.org_life import branch_report
    from yinhui.services.planning import plan_leader

    target = export_target(fmt, output)
    with database(read_only=True) as session:
        report = branch_report(session, month=period_from_key(month), playbook=current_playbook(),
                               leader_id=plan_leader(session))
    if fmt == "json":
        print_json(report)
        return 0
    if target is not None:
        from yinhui.export.reports import branch_sheets

        write_export(target, branch_sheets(report, _words()))
        return 0
    rate = report["attended"] / report["members_at_held"] if report["members_at_held"] else 0.0
    print(_("组织生活 {month}: {held} of {branches} branch(es) held their theme party day; "
            "{attended} of {members} members attended ({rate})",
            month=report["month"], held=report["held"], branches=report["with_members"],
            attended=report["attended"], members=report["members_at_held"], rate=format(rate, ".0%")))
    print_table(
        [_("branch"), _("members"), _("held on"), _("attended"), _("rate"), _("task"),
         _("missed {count}+ in a row", count=report["absence_limit"])],
        [[r["branch"], r["members"], r["held_on"] or "-", r["attended"] if r["held_on"] else "-",
          f"{r['rate']:.0%}" if r["rate"] is not None else "-", r["task"] or "-", r["absent_in_a_row"]]
         for r in report["branches"] if r["members"] or r["held_on"]],
        (1, 3, 4, 6),
    )
    return 0


@app.command("volunteers", help=N_("志愿服务: members, activities and volunteer-hours per team"))
@one_line
def volunteers(period: Period, fmt: ExportFormatOption = "table", output: OutputOption = None) -> int:
    from yinhui.i18n import translator
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.volunteering import volunteer_report

    target = export_target(fmt, output)
    with database(read_only=True) as session:
        report = volunteer_report(session, period=period_from_key(period))
    if fmt == "json":
        print_json(report)
        return 0
    if target is not None:
        from yinhui.export.reports import volunteer_sheets

        write_export(target, volunteer_sheets(report, _words()))
        return 0
    activities = translator(operator_language()).ngettext(
        "{count} activity", "{count} activities", report["activities"]).format(count=report["activities"])
    print(_("志愿服务 {period}: {activities}, {served} people served, {hours} volunteer-hours",
            period=report["period"], activities=activities, served=report["people_served"],
            hours=format(report["volunteer_hours"], "g")))
    print_table(
        [_("team"), _("team members"), _("activities"), _("served"), _("volunteers"), _("volunteer-hours"), _("topics")],
        [[r["team"], r["members"], r["activities"], r["people_served"], r["volunteers"], f"{r['volunteer_hours']:g}",
          "、".join(f"{t} {n}" for t, n in sorted(r["topics"].items(), key=lambda p: -p[1]))] for r in report["teams"]],
        (1, 2, 3, 4, 5),
    )
    return 0


@app.command("must-visits", help=N_("四必访: what was reported and how each was handled"))
@one_line
def must_visits(period: Period, fmt: ExportFormatOption = "table", output: OutputOption = None) -> int:
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.must_visit_reports import (
        occurrence_report,
        occurrence_summary,
        render_occurrences,
    )

    target = export_target(fmt, output)
    span = period_from_key(period)
    with database(read_only=True) as session:
        rows = occurrence_report(session, first=span.start, last=span.end, playbook=current_playbook(),
                                 language=language())
    if fmt == "json":
        print_json({"period": span.key, "summary": occurrence_summary(rows), "occurrences": rows})
        return 0
    if target is not None:
        from yinhui.export.reports import must_visit_sheets

        write_export(target, must_visit_sheets(rows, occurrence_summary(rows), span.key, _words()))
        return 0
    print(_("四必访 {period}: {count} occurrence(s)", period=span.key, count=len(rows)))
    print_table(
        [_("kind"), _("reported"), _("visited"), _("on time"), _("open"), _("overdue"), _("missed its deadline"),
         _("follow-ups done")],
        [[s["title"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"],
          f"{s['follow_ups_done']}/{s['follow_ups']}"] for s in occurrence_summary(rows)],
        (1, 2, 3, 4, 5, 6),
    )
    if rows:
        print_table(*render_occurrences(rows, operator_language()))
    return 0


@app.command("weekly", help=N_("last week's report (also published in the Prefect UI)"))
def weekly(
    week_of: Annotated[dt.date | None, day_option("--week-of", help=N_("any day of the week to report (default: last week)"))] = None,
    fmt: ExportFormatOption = "table",
    output: OutputOption = None,
) -> int:
    from flows.reports import weekly_report

    target = export_target(fmt, output)
    require_schema()
    summary = weekly_report(week_of)
    if fmt == "json":
        print_json(summary)
        return 0
    if target is not None:
        from yinhui.export.reports import weekly_sheets

        write_export(target, weekly_sheets(summary, _words()))
        return 0
    print(_("week {week}: {created} task(s) created, {done} done, {missed} closed as missed, {escalated} "
            "escalation(s), {contacts} contact(s) with {cadres} cadre(s); {overdue} overdue now",
            week=summary["week"], created=summary["created"], done=summary["done"], missed=summary["missed"],
            escalated=summary["escalated"], contacts=summary["contacts"], cadres=summary["cadres_reached"],
            overdue=summary["overdue_now"]))
    print(_("must-visits due that week: {kept} kept, {missed} missed", kept=summary["must_visit_kept"],
            missed=summary["must_visit_missed"]))
    return 0
