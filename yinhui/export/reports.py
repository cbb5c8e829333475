"""The sheets of each report's workbook (``--format xlsx``): what a leader filters, sums or sends upward.

Each function takes a report as its service returned it and gives the sheets, headers and tab
names in the bureau's language. A cadre's grid comes as three columns (县, 乡镇/社区, 村/小区) so
a leader can filter by any level. No ID numbers here: only the operator's task list has them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from models.grids import COUNTY_GRID_NAME
from yinhui import i18n
from yinhui.export.xlsx import Column, Kind, Sheet, grid_levels
from yinhui.i18n import N_

if TYPE_CHECKING:
    from yinhui.services.coverage import CoverageReport

GRID_LEVELS = (N_("county grid"), N_("township grid"), N_("village grid"))
GRID = "<grid levels>"  # in `Words.columns`: the three grid level columns


class Words:
    """The headers and tab names of one workbook, in one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, **values: object) -> str:
        return i18n.text(self.language, message, **values)

    def columns(self, *spec: str | tuple[str, Kind]) -> list[Column]:
        """Columns from header texts (text columns) or (header, kind) pairs; `GRID` becomes the three levels."""
        found: list[Column] = []
        for item in spec:
            header, kind = (item, cast(Kind, "text")) if isinstance(item, str) else item
            if header == GRID:
                found += [Column(self(level)) for level in GRID_LEVELS]
            else:
                found.append(Column(self(header), kind))
        return found


def grid_cells(path: str | None) -> tuple[str, str, str]:
    return grid_levels(path, COUNTY_GRID_NAME)


def coverage_sheets(report: CoverageReport, words: Words) -> list[Sheet]:
    """Per grid at every level (contacted, through a relative, paused, not contacted, unreachable, rate),
    the cadres not contacted, those paused (each with the reason, in the workbook's language), and
    the grids nobody covers. A grid with nobody to contact (all paused) has no rate: "无数据"."""
    grids = Sheet(
        words(N_("coverage {month}"), month=report.month.key),
        words.columns(N_("level"), GRID, *((h, "number") for h in (
            N_("cadres"), N_("contacted"), N_("via relative"), N_("paused"), N_("not contacted"),
            N_("unreachable after every attempt"))), (N_("contact rate"), "percent")),
        [[g.level, *grid_cells(g.path), g.cadres, g.contacted, g.via_relative, g.paused, g.missed, g.unreachable,
          g.rate if g.expected else words(N_("No data"))] for g in report.grids],
    )
    people = words.columns(N_("name"), GRID, N_("coordinator"), N_("why"))
    missed = Sheet(words(N_("not contacted")), people,
                   [[m.name, *grid_cells(m.grid), m.coordinator, m.reason.render(words.language)] for m in report.missed])
    paused = Sheet(words(N_("paused")), people,
                   [[m.name, *grid_cells(m.grid), m.coordinator, m.reason.render(words.language)] for m in report.paused])
    uncovered = Sheet(words(N_("grids nobody covers")), words.columns(GRID),
                      [list(grid_cells(path)) for path in report.uncovered_grids])
    return [grids, missed, paused, uncovered]


def services_sheets(report: Mapping[str, Any], words: Words) -> list[Sheet]:
    """六上门: per cadre, for each service, periods delivered and expected; what is missing."""
    due = report["services"]
    titles = [s["title_en"] if words.language == "en" else s["title_zh"] for s in due]
    key_title = {s["key"]: title for s, title in zip(due, titles, strict=True)}
    service_columns: list[Column] = []
    for title in titles:
        service_columns += [Column(words(N_("{service}: delivered"), service=title), "number"),
                            Column(words(N_("{service}: due"), service=title), "number")]
    columns = [*words.columns(N_("name"), GRID, N_("coordinator")), *service_columns, *words.columns(N_("missing"))]

    def counts(row: Mapping[str, Any], key: str) -> list[object]:
        entry = row["services"].get(key)
        return [None, None] if entry is None else [entry["delivered"], entry["expected"]]

    rows = [[r["name"], *grid_cells(r["grid"]), r["coordinator"],
             *(v for s in due for v in counts(r, s["key"])), "、".join(key_title[k] for k in r["missing"])]
            for r in report["cadres"]]
    return [Sheet(words(N_("door services {period}"), period=report["period"]), columns, rows)]


def branch_sheets(report: Mapping[str, Any], words: Words) -> list[Sheet]:
    """组织生活: per branch, members, the theme party day, attendance and members to visit."""
    limit = report["absence_limit"]
    return [Sheet(
        words(N_("branches {month}"), month=report["month"]),
        words.columns(N_("branch"), (N_("members"), "number"), (N_("held on"), "date"), (N_("attended"), "number"),
                      (N_("attendance rate"), "percent"), N_("task"), N_("meetings held by"),
                      (words(N_("missed {count}+ in a row"), count=limit), "number")),
        [[r["branch"], r["members"], r["held_on"], r["attended"] if r["held_on"] else None, r["rate"], r["task"],
          r["host"], r["absent_in_a_row"]] for r in report["branches"]],
    )]


def volunteer_sheets(report: Mapping[str, Any], words: Words) -> list[Sheet]:
    """志愿服务: per team, members, activities, people served, volunteers, volunteer-hours; and per topic."""
    teams = Sheet(
        words(N_("volunteers {period}"), period=report["period"]),
        words.columns(N_("team"), (N_("team members"), "number"), (N_("activities"), "number"), (N_("served"), "number"),
                      (N_("volunteers"), "number"), (N_("volunteer-hours"), "number")),
        [[r["team"], r.get("members"), r["activities"], r["people_served"], r["volunteers"], r["volunteer_hours"]]
         for r in report["teams"]],
    )
    topics = Sheet(
        words(N_("topics")),
        words.columns(N_("team"), N_("topic"), (N_("activities"), "number")),
        [[r["team"], topic, count] for r in report["teams"]
         for topic, count in sorted(r["topics"].items(), key=lambda p: -p[1])],
    )
    return [teams, topics]


def must_visit_sheets(rows: Sequence[Mapping[str, Any]], summary: Sequence[Mapping[str, Any]], period: str,
                      words: Words) -> list[Sheet]:
    """四必访: the summary per kind, and one line per occurrence with its visit."""
    totals = Sheet(
        words(N_("must-visits {period}"), period=period),
        words.columns(N_("kind"), *((h, "number") for h in (
            N_("reported"), N_("visited"), N_("on time"), N_("open"), N_("overdue"), N_("visits missed"),
            N_("follow-ups"), N_("follow-ups done")))),
        [[s["title"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"], s["follow_ups"],
          s["follow_ups_done"]] for s in summary],
    )

    def visit(row: Mapping[str, Any], key: str) -> object:
        return (row["visit"] or {}).get(key)

    occurrences = Sheet(
        words(N_("occurrences")),
        words.columns(N_("cadre"), GRID, N_("kind"), N_("detail"), (N_("happened on"), "date"), (N_("reported on"), "date"),
                      N_("visit"), (N_("due"), "date"), (N_("done on"), "date"), N_("by"), (N_("follow-ups"), "number"),
                      (N_("follow-ups done"), "number"), (N_("closed on"), "date")),
        [[r["cadre"], *grid_cells(r["grid"]), r["title"], r["detail"], r["on"], r["reported_on"], visit(r, "status"),
          visit(r, "due"), visit(r, "done_on"), visit(r, "assignee"), len(r["follow_ups"]),
          sum(f["status"] == "done" for f in r["follow_ups"]), r["closed_on"]] for r in rows],
    )
    return [totals, occurrences]


WEEKLY_FIGURES = {
    "created": N_("tasks created"), "done": N_("tasks done"), "missed": N_("closed as missed"),
    "cancelled": N_("cancelled"), "escalated": N_("escalations"), "overdue_now": N_("overdue now"),
    "contacts": N_("contacts"), "cadres_reached": N_("cadres reached"), "coverage_rate": N_("coverage this month (%)"),
    "must_visit_kept": N_("must-visits kept"), "must_visit_missed": N_("must-visits missed"),
}


def _figure(key: str, value: Any) -> Any:
    return round(value * 100, 1) if key == "coverage_rate" and value is not None else value


def weekly_sheets(summary: Mapping[str, Any], words: Words) -> list[Sheet]:
    """The week's figures, one per line (the rate as a percentage)."""
    return [Sheet(
        words(N_("week {week}"), week=summary["week"].split("..")[0]),
        words.columns(N_("figure"), (N_("value"), "number")),
        [[words(label), _figure(key, summary[key])] for key, label in WEEKLY_FIGURES.items() if key in summary],
    )]


def task_sheets(rows: Sequence[Mapping[str, Any]], words: Words) -> list[Sheet]:
    """The operator's task list: the one export with ID numbers (it never leaves the operator)."""
    return [Sheet(
        words(N_("tasks")),
        words.columns((N_("id"), "number"), N_("kind"), N_("status"), (N_("window"), "date"), (N_("due"), "date"),
                      N_("cadre"), N_("ID number"), GRID, N_("assignee"), N_("escalated to"),
                      (N_("attempts"), "number"), N_("outcome"), N_("note")),
        [[r["id"], r["kind"], r["status"], r["window_opens"], r["due"], (r["cadre"] or {}).get("name"),
          (r["cadre"] or {}).get("id_number"), *grid_cells(r["grid"]), r["assignee"], r["escalated_to"],
          r.get("attempts"), r["outcome"], r["note"]] for r in rows],
    )]
