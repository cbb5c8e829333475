"""`yinhui holidays set | show | clear`: official days off and make-up working days (放假调休) the libraries do not know yet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated

import typer

from yinhui.cli.common import (
    ACTOR,
    CommandError,
    FormatOption,
    GreedyOptions,
    _,
    database,
    one_line,
    parse_year,
    print_json,
    require_schema,
    warn,
    work_context,
)
from yinhui.i18n import N_

app = typer.Typer(help=N_("official days off and make-up working days (放假调休)"))

Year = Annotated[int, typer.Argument(parser=parse_year, metavar="YEAR", help=N_("the year, e.g. 2027"))]


def _ranges(days: Iterable[dt.date]) -> list[str]:
    """2027-02-05..2027-02-11 for a run of days, a lone date otherwise."""
    out: list[list[dt.date]] = []
    for day in sorted(days):
        if out and day - out[-1][-1] == dt.timedelta(days=1):
            out[-1].append(day)
        else:
            out.append([day])
    return [run[0].isoformat() if len(run) == 1 else f"{run[0].isoformat()}..{run[-1].isoformat()}" for run in out]


@app.command("set", cls=GreedyOptions.taking("--days-off", "--workdays"), help=N_("enter a year's schedule from the State Council notice (replaces any entry)"))
@one_line
def set_(
    year: Year,
    days_off: Annotated[list[str] | None, typer.Option(
        "--days-off", metavar="DAY...", help=N_("weekday days off: 2027-02-05 or 2027-02-05..2027-02-11 (several)"))] = None,
    workdays: Annotated[list[str] | None, typer.Option(
        "--workdays", metavar="DAY...", help=N_("weekend days worked instead (调休上班) (several)"))] = None,
) -> int:
    from yinhui.rules.workdays import WorkCalendar, schedule_from_mapping
    from yinhui.services.calendar import set_schedule

    if not days_off and not workdays:
        raise CommandError(_("give the year's days off (--days-off) and make-up working days (--workdays)"))
    schedule = schedule_from_mapping(year, {"days_off": days_off or [], "workdays": workdays or []})
    with database() as session:
        set_schedule(session, schedule, actor=ACTOR)
    counts = {"year": year, "off": len(schedule.days_off), "worked": len(schedule.workdays)}
    if year in WorkCalendar().official_years:
        print(_("{year}: {off} day(s) off and {worked} make-up working day(s) entered (replaces chinese_calendar's "
                "schedule for that year)", **counts))
    else:
        print(_("{year}: {off} day(s) off and {worked} make-up working day(s) entered", **counts))
    return 0


@app.command("show", help=N_("the schedule in force for a year and where it comes from"))
@one_line
def show(year: Year, fmt: FormatOption = "table") -> int:
    from models.calendar import SOURCE_NONE
    from models.db import session_scope
    from yinhui.services.calendar import guess_warning, schedule_source

    require_schema()
    playbook, calendar = work_context()
    with session_scope(read_only=True) as session:
        source = schedule_source(session, playbook, year)
    schedule = calendar.schedule_for(year)
    days_off = _ranges(schedule.days_off) if schedule else []
    workdays = _ranges(schedule.workdays) if schedule else []
    data = {"year": year, "source": source, "days_off": days_off, "workdays": workdays}
    if fmt == "json":
        print_json(data)
        return 0
    print(_("{year}: schedule from {source}", year=year, source=source))
    if source == SOURCE_NONE:
        warn([guess_warning(year)])
        return 0
    print(_("  days off (放假):      {days}", days=", ".join(days_off)))
    print(_("  make-up workdays (调休上班): {days}", days=", ".join(workdays) or _("none")))
    return 0


@app.command("clear", help=N_("forget the days entered for a year"))
@one_line
def clear(year: Year) -> int:
    from yinhui.services.calendar import clear_schedule

    with database() as session:
        removed = clear_schedule(session, year)
    if not removed:
        raise CommandError(_("no days were entered for {year}", year=year))
    print(_("{year}: {count} entered day(s) removed", year=year, count=removed))
    return 0
