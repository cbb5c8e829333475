"""`yinhui calendar` (the year's nodes, 两个节点, and with --events the event plans) and `yinhui node add | remove`.

The calendar feeds (--format ics) are built here from the selectors' rows: the year's nodes,
the events with their steps, and one coordinator's open tasks (`yinhui tasks --coordinator NAME
--format ics`). A feed leaves the bureau, so an entry carries names, dates and grids, never an
ID number, a phone, an address or a must-visit's reason.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    ACTOR,
    CommandError,
    _,
    guess_warnings,
    language,
    one_line,
    print_json,
    print_table,
    require_schema,
    warn,
    work_context,
    year_option,
)
from yinhui.i18n import N_, text
from yinhui.rules.ics import Entry, event_uid, task_uid

app = typer.Typer()
node = typer.Typer(help=N_("the bureau's own task nodes (重要任务节点)"))

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

# The words inside a feed or the calendar table, in the bureau's language (content, like a report).
FEED_TEXT = {
    "nodes": N_("{bureau} {year} calendar nodes"),
    "events": N_("{bureau} {year} calendar nodes and events"),
    "tasks": N_("{bureau}: {name}'s tasks"),
    "cancelled": N_("{title} (cancelled)"),
    "cancelled_on": N_("Cancelled on {day}: {reason}"),
    "event": N_("{node} {year}; held on {day}"),
    "step": N_("{at} {title}: {owner}, due {due} ({status})"),
    "step_of": N_("Event #{event_id} {event}; owner {owner}; window {opens} to {due}; {status}"),
    "task": N_("Task #{task_id}; window {opens} to {due}; {status}"),
    # The calendar table's own content: a festival's visiting window, a day off.
    "visits": N_("visits {opens}..{due}"),
    "off": N_("off"),
}


def _weekday(day: dt.date, lang: str) -> str:
    label = WEEKDAYS[lang][day.weekday()]
    return f"周{label}" if lang == "zh" else label


def calendar_rows(year: int, *, lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every node of ``year`` with its weekday, day-off status, festival-visit window and events."""
    from models.db import session_scope
    from yinhui import clock
    from yinhui.rules.festivals import festival_windows
    from yinhui.services.calendar import bureau_nodes, nodes_in_year
    from yinhui.services.event_views import list_events

    playbook, calendar = work_context()
    with session_scope(read_only=True) as session:
        nodes = nodes_in_year(session, playbook, year)
        _nodes, warnings = bureau_nodes(session, playbook)
        events = list_events(session, year=year, today=clock.today())
    shift = None if playbook.due_on_day_off == "keep" else calendar.working_day_on_or_before
    windows = {(w.node.key, w.node.date): w for w in festival_windows(playbook, nodes, shift)}
    by_node: dict[str, list[str]] = {}
    for event in events:
        title = text(lang, FEED_TEXT["cancelled"], title=event["title"]) if event["cancelled_on"] else event["title"]
        by_node.setdefault(event["node"], []).append(f"#{event['id']} {title} {event['held_on']}")
    rows = []
    for item in nodes:
        window = windows.get((item.key, item.date))
        rows.append({
            "key": item.key,
            "name": item.name_en if lang == "en" else item.name_zh,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "date": item.date.isoformat(),
            "weekday": _weekday(item.date, lang),
            "kind": item.kind,
            "day_off": calendar.is_day_off(item.date),
            "note": item.note,
            "festival_visits": {"opens": window.opens.isoformat(), "due_by": window.closes.isoformat()}
            if window else None,
            "events": by_node.get(item.key, []),
        })
    return rows, warnings + guess_warnings(calendar, [dt.date(year, 1, 1)])


def _visit_note(row: dict[str, Any], lang: str) -> str:
    visits = row["festival_visits"]
    if not visits:
        return ""
    return text(lang, FEED_TEXT["visits"], opens=visits["opens"][5:], due=visits["due_by"][5:])


@app.command("calendar", help=N_("calendar nodes of a year (两个节点)\n\n"
                                 "Festivals, holidays and the bureau's task nodes of a year, with dates; with --events, the events planned around them and every step (its owner, due day and status)."))
@one_line
def calendar(
    year: Annotated[int | None, year_option("--year", help=N_("default: this year"))] = None,
    fmt: Annotated[Literal["table", "json", "ics"], typer.Option("--format", help=N_("table, json, or ics for calendar applications"))] = "table",
    output: Annotated[Path | None, typer.Option(help=N_("with --format ics: write to this file instead of stdout"))] = None,
    events: Annotated[bool, typer.Option("--events", help=N_("the year's event plans with their steps too"))] = False,
) -> int:
    from yinhui import clock

    require_schema()
    lang = language()
    the_year = year or clock.today().year
    if fmt == "ics":
        return _write_ics(the_year, output, events=events)
    rows, warnings = calendar_rows(the_year, lang=lang)
    warn(warnings)
    plans = _event_plans(the_year, lang) if events else []
    if fmt == "json":
        print_json({"year": the_year, "nodes": rows, "warnings": warnings, **({"events": plans} if events else {})})
        return 0
    off = text(lang, FEED_TEXT["off"])
    print_table(
        [_("date"), _("day"), _("node"), _("key"), _("kind"), _("day off"), _("plans")],
        [[r["date"], r["weekday"], r["name"], r["key"], r["kind"], off if r["day_off"] else "",
          "; ".join(filter(None, [_visit_note(r, lang), *r["events"], r["note"] or ""]))] for r in rows],
    )
    for plan in plans:
        title = text(lang, FEED_TEXT["cancelled"], title=plan["title"]) if plan["cancelled_on"] else plan["title"]
        print()
        print(_("event #{event_id} {title} on {day}", event_id=plan["id"], title=title, day=plan["held_on"]))
        print_table([_("task"), _("step"), _("when"), _("due"), _("owner"), _("status")],
                    [[s["task_id"], s["title"], s["at"], s["due"], s["owner"], s["status"]] for s in plan["steps"]],
                    (0,))
    return 0


def _event_plans(year: int, lang: str) -> list[dict[str, Any]]:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.event_views import event_plans

    with session_scope(read_only=True) as session:
        return event_plans(session, year=year, today=clock.today(), language=lang)


def event_entries(plans: Sequence[Mapping[str, Any]], lang: str) -> list[Entry]:
    """An entry for each event (its day, busy) and one for each of its steps (on the step's due day)."""
    entries: list[Entry] = []
    for plan in plans:
        cancelled = plan["cancelled_on"] is not None
        title = text(lang, FEED_TEXT["cancelled"], title=plan["title"]) if cancelled else plan["title"]
        lines = [text(lang, FEED_TEXT["event"], node=plan["node"], year=plan["year"], day=plan["held_on"])]
        if cancelled:
            lines.append(text(lang, FEED_TEXT["cancelled_on"], day=plan["cancelled_on"], reason=plan["cancel_reason"]))
        lines += [text(lang, FEED_TEXT["step"], at=s["at"] or "", title=s["title"], owner=s["owner"], due=s["due"],
                       status=s["status"]) for s in plan["steps"]]
        entries.append(Entry(event_uid(plan["id"]), dt.date.fromisoformat(plan["held_on"]), title,
                             description="\n".join(lines), location=plan["venue"], categories="event",
                             cancelled=cancelled, busy=not cancelled))
        for step in plan["steps"]:
            entries.append(Entry(
                task_uid(step["task_id"]), dt.date.fromisoformat(step["due"]), f"{plan['title']} · {step['title']}",
                description=text(lang, FEED_TEXT["step_of"], event_id=plan["id"], event=plan["title"],
                                 owner=step["owner"], opens=step["window_opens"], due=step["due"],
                                 status=step["status"]),
                categories="event_step", cancelled=step["status"] == "cancelled",
            ))
    return entries


def task_entries(rows: Sequence[Mapping[str, Any]], steps: Mapping[int, str], lang: str) -> list[Entry]:
    """An entry per task on its due day: what (the kind, or the event step) and for whom, by name.

    ``rows`` are `list_tasks` rows; only the cadre's name and the grid go in, never the ID number
    (a must-visit shows as a must-visit, not its reason).
    """
    from yinhui.messages.texts import kind_label

    entries = []
    for row in rows:
        what = steps.get(row["id"]) or kind_label(row["kind"], lang)
        who = (row.get("cadre") or {}).get("name")
        entries.append(Entry(
            task_uid(row["id"]), dt.date.fromisoformat(row["due"]), f"{what} · {who}" if who else what,
            description=text(lang, FEED_TEXT["task"], task_id=row["id"], opens=row["window_opens"], due=row["due"],
                             status=row["status"]),
            location=row.get("grid"), categories=row["kind"],
        ))
    return entries


def _write(feed: str, output: Path | None, done: str) -> None:
    if output is None:
        sys.stdout.write(feed)
        sys.stdout.flush()
    else:
        output.write_bytes(feed.encode("utf-8"))  # bytes: keep the CRLF line ends RFC 5545 wants
        print(done, file=sys.stderr)


def _write_ics(year: int, output: Path | None, *, events: bool = False) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.rules.ics import render_ics
    from yinhui.services.calendar import nodes_in_year
    from yinhui.settings import get_settings

    playbook, calendar = work_context()
    with session_scope(read_only=True) as session:
        nodes = nodes_in_year(session, playbook, year)
    lang = language()
    extra = event_entries(_event_plans(year, lang), lang) if events else []
    warn(guess_warnings(calendar, [dt.date(year, 1, 1)]))
    name = text(lang, FEED_TEXT["events" if events else "nodes"], bureau=playbook.bureau.name, year=year)
    feed = render_ics(nodes, name, get_settings().timezone, generated_at=clock.now(), entries=extra)
    _write(feed, output, _("{count} node(s) and {entries} event entries of {year} written to {file}", count=len(nodes),
                           entries=len(extra), year=year, file=output) if events else
           _("{count} node(s) of {year} written to {file}", count=len(nodes), year=year, file=output))
    return 0


def write_task_feed(coordinator: str | None, output: Path | None, *, filtered: bool = False) -> int:
    """`yinhui tasks --coordinator NAME --format ics`: the coordinator's open tasks as a calendar to subscribe to.

    The whole list or nothing: a subscribed calendar that lost entries to a filter would look done.
    """
    if not coordinator:
        raise CommandError(_("--format ics needs --coordinator NAME: the calendar of one coordinator's open tasks"))
    if filtered:
        raise CommandError(_("--format ics takes only --coordinator and --output: the calendar holds every open task"))
    from models.db import session_scope
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.ics import render_calendar
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.event_views import step_labels
    from yinhui.services.task_views import list_tasks
    from yinhui.settings import get_settings

    require_schema()
    lang = language()
    with session_scope(read_only=True) as session:
        person = find_coordinator(session, coordinator)
        rows = list_tasks(session, coordinator_id=person.id, status="live")
        steps = step_labels(session, [r["id"] for r in rows if r["kind"] == "event_step"], language=lang)
        name = person.name
    feed = render_calendar(task_entries(rows, steps, lang),
                           text(lang, FEED_TEXT["tasks"], bureau=current_playbook().bureau.name, name=name),
                           get_settings().timezone, generated_at=clock.now())
    _write(feed, output, _("{count} open task(s) of {name} written to {file}", count=len(rows), name=name,
                           file=output))
    return 0


@node.command("add", help=N_("add a task node (anniversary, assessment, campaign deadline)"))
@one_line
def add(
    key: Annotated[str, typer.Argument(help=N_("lower-case letters, digits and _, e.g. annual_assessment"))],
    name: Annotated[str, typer.Option(help=N_("its Chinese name, e.g. 年度考核"))],
    date: Annotated[str, typer.Option(help=N_("MM-DD every year, or YYYY-MM-DD once"))],
    name_en: Annotated[str | None, typer.Option("--name-en", help=N_("its English name (default: the Chinese one)"))] = None,
    lunar: Annotated[bool, typer.Option("--lunar", help=N_("the date is a lunar date (农历)"))] = False,
    note: Annotated[str | None, typer.Option(help=N_("shown beside the node"))] = None,
) -> int:
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.calendar_nodes import BureauNode
    from yinhui.rules.playbook import parse_node_date
    from yinhui.services.calendar import add_node

    require_schema()
    year, month, day = parse_node_date(date)
    bureau_node = BureauNode(key, name, name_en or name, month, day, year, lunar, note)
    with session_scope() as session:
        add_node(session, bureau_node, playbook=current_playbook(), actor=ACTOR)
    if year:
        print(_("node {key} ({name}) added: {date}{lunar}, once", key=bureau_node.key, name=bureau_node.name_zh,
                date=date, lunar=_(" lunar") if lunar else ""))
    else:
        print(_("node {key} ({name}) added: {date}{lunar}, every year", key=bureau_node.key,
                name=bureau_node.name_zh, date=date, lunar=_(" lunar") if lunar else ""))
    return 0


@node.command("remove", help=N_("remove a node added with `node add`"))
@one_line
def remove(key: Annotated[str, typer.Argument(help=N_("the node's key (see `yinhui calendar`)"))]) -> int:
    from models.db import session_scope
    from yinhui.services.calendar import remove_node

    require_schema()
    with session_scope() as session:
        remove_node(session, key)
    print(_("node {key} removed", key=key))
    return 0
