"""`yinhui calendar` (the year's nodes, 两个节点) and `yinhui node add | remove` (the bureau's own task nodes)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    ACTOR,
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

app = typer.Typer()
node = typer.Typer(help="the bureau's own task nodes (重要任务节点)")

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


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
        _, warnings = bureau_nodes(session, playbook)
        events = list_events(session, year=year, today=clock.today())
    shift = None if playbook.due_on_day_off == "keep" else calendar.working_day_on_or_before
    windows = {(w.node.key, w.node.date): w for w in festival_windows(playbook, nodes, shift)}
    by_node: dict[str, list[str]] = {}
    for event in events:
        by_node.setdefault(event["node"], []).append(f"#{event['id']} {event['title']} {event['held_on']}")
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
    opens, due = visits["opens"][5:], visits["due_by"][5:]
    return f"visits {opens}..{due}" if lang == "en" else f"节日走访 {opens} 起，{due} 前完成"


@app.command("calendar")
@one_line
def calendar(
    year: Annotated[int | None, year_option("--year", help="default: this year")] = None,
    fmt: Annotated[Literal["table", "json", "ics"], typer.Option("--format", help="table, json, or ics for calendar applications")] = "table",
    output: Annotated[Path | None, typer.Option(help="with --format ics: write to this file instead of stdout")] = None,
) -> int:
    """calendar nodes of a year (两个节点)

    Festivals, holidays and the bureau's task nodes of a year, with dates.
    """
    from yinhui import clock

    require_schema()
    lang = language()
    the_year = year or clock.today().year
    if fmt == "ics":
        return _write_ics(the_year, output)
    rows, warnings = calendar_rows(the_year, lang=lang)
    warn(warnings)
    if fmt == "json":
        print_json({"year": the_year, "nodes": rows, "warnings": warnings})
        return 0
    off = "off" if lang == "en" else "休"
    print_table(
        ["date", "day", "node", "key", "kind", "day off", "plans"],
        [[r["date"], r["weekday"], r["name"], r["key"], r["kind"], off if r["day_off"] else "",
          "; ".join(filter(None, [_visit_note(r, lang), *r["events"], r["note"] or ""]))] for r in rows],
    )
    return 0


def _write_ics(year: int, output: Path | None) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.rules.ics import render_ics
    from yinhui.services.calendar import nodes_in_year
    from yinhui.settings import get_settings

    playbook, calendar = work_context()
    with session_scope(read_only=True) as session:
        nodes = nodes_in_year(session, playbook, year)
    warn(guess_warnings(calendar, [dt.date(year, 1, 1)]))
    text = render_ics(
        nodes, f"{playbook.bureau.name} {year} 节点", get_settings().timezone, generated_at=clock.now()
    )
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.write_bytes(text.encode("utf-8"))  # bytes: keep the CRLF line ends RFC 5545 wants
        print(f"{len(nodes)} node(s) of {year} written to {output}", file=sys.stderr)
    return 0


@node.command("add")
@one_line
def add(
    key: Annotated[str, typer.Argument(help="lower-case letters, digits and _, e.g. annual_assessment")],
    name: Annotated[str, typer.Option(help="its Chinese name, e.g. 年度考核")],
    date: Annotated[str, typer.Option(help="MM-DD every year, or YYYY-MM-DD once")],
    name_en: Annotated[str | None, typer.Option("--name-en", help="its English name (default: the Chinese one)")] = None,
    lunar: Annotated[bool, typer.Option("--lunar", help="the date is a lunar date (农历)")] = False,
    note: Annotated[str | None, typer.Option(help="shown beside the node")] = None,
) -> int:
    """add a task node (anniversary, assessment, campaign deadline)"""
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
    when = "once" if year else "every year"
    print(f"node {bureau_node.key} ({bureau_node.name_zh}) added: {date}{' lunar' if lunar else ''}, {when}")
    return 0


@node.command("remove")
@one_line
def remove(key: str) -> int:
    """remove a node added with `node add`"""
    from models.db import session_scope
    from yinhui.services.calendar import remove_node

    require_schema()
    with session_scope() as session:
        remove_node(session, key)
    print(f"node {key} removed")
    return 0
