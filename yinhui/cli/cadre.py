"""`yinhui cadre show | edit | pause | resume`: one cadre's whole record, and changes to it.

The card shows ID number, phones and address: it is for the operator's terminal only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    As,
    CadreArgument,
    CadreGridOption,
    FormatOption,
    _,
    actor,
    database,
    day_option,
    language,
    print_json,
    print_table,
    work_context,
    yes_no,
)
from yinhui.i18n import N_

app = typer.Typer(help=N_("one cadre: the whole record, edits, pauses"))

YesNo = Literal["yes", "no"]


def _flag(value: YesNo | None) -> bool | None:
    return None if value is None else value == "yes"


@app.command("show", help=N_("the cadre's card: profile, relatives, grid, tasks, contacts, must-visits, services, pauses, audit trail"))
def show(cadre: CadreArgument, grid: CadreGridOption = None, fmt: FormatOption = "table") -> None:
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.cadre_card import cadre_card
    from yinhui.services.cadres import resolve_cadre

    with database(read_only=True) as session:
        card = cadre_card(session, resolve_cadre(session, cadre, grid=grid), playbook=current_playbook(),
                          today=clock.today(), language=language())
    if fmt == "json":
        print_json(card)
        return
    _print_card(card)


def _section(title: str, rows: list[Any], headers: list[str], cells: Any) -> None:
    print()
    print(f"{title} ({len(rows)})")
    if rows:
        print_table(headers, [cells(row) for row in rows])


def _print_card(card: dict[str, Any]) -> None:
    profile = card["profile"]
    paused = card["paused"]
    print(f"{card['name']} (#{card['id']}) · {card['grid']}")
    lines = [
        (_("ID number"), profile["id_number"]),
        (_("born"), f"{profile['birth_date']} · {profile['gender']} · {profile['category']}"),
        (_("phones"), ", ".join(profile["phones"]) or "-"),
        (_("address"), profile["address"] or "-"),
        (_("status"), profile["status"] + (f" ({profile['status_since']})" if profile["status_since"] else "")),
        (_("lives alone"), yes_no(profile["lives_alone"])),
        (_("hardship"), yes_no(profile["hardship"])),
        (_("branch"), card["branch"] or "-"),
        (_("teams"), ", ".join(card["teams"]) or "-"),
        (_("coordinator"), card["coordinator"] or _("none named; the grid's: {name}", name=card["answered_by"] or "-")),
        (_("paused"), _("{reason}, until {until}", reason=paused["reason"], until=paused["until"]) if paused else "-"),
    ]
    width = max(len(label) for label, _value in lines)
    for label, value in lines:
        print(f"  {label.ljust(width)}  {value}")
    _section(_("relatives"), card["relatives"], [_("name"), _("relation"), _("phones"), _("next of kin"), _("group")],
             lambda r: [r["name"], r["relation"], ", ".join(r["phones"]), yes_no(r["next_of_kin"]), yes_no(r["in_group"])])
    _section(_("open tasks"), card["open_tasks"], [_("id"), _("kind"), _("status"), _("due"), _("assignee"), _("attempts")],
             lambda t: [t["id"], t["kind"], t["status"], t["due"], t["assignee"], t["attempts"]])
    _section(_("contacts, last 12 months"), card["contacts"], [_("day"), _("how"), _("task"), _("by")],
             lambda c: [c["on"], c["mode"] + (" · " + _("via a relative") if c["via"] == "relative" else ""),
                        c["task_id"] or "", c["by"]])
    _section(_("must-visits"), card["must_visits"], [_("kind"), _("day"), _("visit due"), _("closed")],
             lambda m: [m["kind"] + (f" ({m['detail']})" if m["detail"] else ""), m["on"], m["visit_due"],
                        m["closed_on"] or ""])
    _section(_("door services (六上门)"), card["door_services"], [_("service"), _("period"), _("status"), _("outcome")],
             lambda s: [s["title"], s["period"], s["status"], s["outcome"] or ""])
    _section(_("pauses"), card["pauses"], [_("from"), _("until"), _("ended"), _("reason")],
             lambda p: [p["from"], p["until"], p["ended_on"] or "", p["reason"]])
    _section(_("audit trail"), card["audit"], [_("when"), _("who"), _("what"), _("task"), _("detail")],
             lambda e: [e["at"], e["actor"], e["action"], f"#{e['task_id']}" if e["task_id"] else "", e["detail"] or ""])


@app.command("edit", help=N_("change a cadre's phones, address, coordinator or circumstances (checked as on import, audited)"))
def edit(
    cadre: CadreArgument,
    grid: CadreGridOption = None,
    phone: Annotated[str | None, typer.Option(help=N_("the phone numbers, as in the roster (several: 13912345678;0359-7012345)"))] = None,
    address: Annotated[str | None, typer.Option(help=N_("the home address"))] = None,
    coordinator: Annotated[str | None, typer.Option(
        metavar="NAME", help=N_("the coordinator named for this cadre (一联五包); - for none"))] = None,
    lives_alone: Annotated[YesNo | None, typer.Option("--lives-alone", help=N_("lives alone (独居): yes or no"))] = None,
    hardship: Annotated[YesNo | None, typer.Option("--hardship", help=N_("in special hardship (特殊困难): yes or no"))] = None,
    as_: As = None,
) -> int:
    from yinhui import clock
    from yinhui.services.cadres import edit_cadre, resolve_cadre

    playbook, calendar = work_context()
    with database() as session:
        found = resolve_cadre(session, cadre, grid=grid)
        done = edit_cadre(session, found, actor=actor(session, as_), playbook=playbook, calendar=calendar,
                          today=clock.today(), phone=phone, address=address, coordinator=coordinator,
                          lives_alone=_flag(lives_alone), hardship=_flag(hardship))
        name = found.name
    if not done.fields:
        print(_("{name}: nothing changed (the record already says so)", name=name))
        return 0
    print(_("{name}: changed {fields}", name=name, fields=", ".join(_field_word(f) for f in done.fields)))
    if done.reassigned:
        print("  " + _("{count} live task(s) moved to the new coordinator", count=done.reassigned))
    if done.reordered:
        print("  " + _("{count} festival visit(s) re-ordered", count=done.reordered))
    return 0


def _field_word(field: str) -> str:
    return {"phones": _("phones"), "address": _("address"), "coordinator_id": _("coordinator"),
            "lives_alone": _("lives alone"), "hardship": _("hardship")}.get(field, field)


@app.command("pause", help=N_("stop calls and visits for a while (must-visits go on); open ones are cancelled with the reason"))
def pause(
    cadre: CadreArgument,
    until: Annotated[dt.date, day_option("--until", help=N_("the last day of the pause (YYYY-MM-DD)"))],
    reason: Annotated[str, typer.Option(help=N_("why, e.g. 异地居住 (living with a child elsewhere)"))],
    from_: Annotated[dt.date | None, day_option("--from", help=N_("the first day (default today)"))] = None,
    grid: CadreGridOption = None,
    as_: As = None,
) -> int:
    from yinhui import clock
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.pauses import pause_cadre

    today = clock.today()
    with database() as session:
        found = resolve_cadre(session, cadre, grid=grid)
        result = pause_cadre(session, found, starts=from_ or today, until=until, reason=reason,
                             actor=actor(session, as_), today=today)
        name = found.name
    print(_("{name}: calls and visits paused from {starts} to {until} ({reason})", name=name,
            starts=result.pause.starts.isoformat(), until=result.pause.until.isoformat(), reason=result.pause.reason))
    if result.cancelled:
        print("  " + _("{count} open task(s) cancelled", count=result.cancelled))
    return 0


@app.command("resume", help=N_("end a cadre's pause today: calls and visits come back this period"))
def resume(cadre: CadreArgument, grid: CadreGridOption = None, as_: As = None) -> int:
    from yinhui import clock
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.pauses import resume_cadre

    with database() as session:
        found = resolve_cadre(session, cadre, grid=grid)
        _pause, reopened = resume_cadre(session, found, actor=actor(session, as_), today=clock.today())
        name = found.name
    print(_("{name}: pause ended; calls and visits resume ({count} task(s) open again)", name=name, count=reopened))
    return 0
