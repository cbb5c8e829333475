"""The day's report on the `daily-plan` run: first the one page a leader opens (今日概况), then the details.

The summary says, in the bureau's language, how this month's coverage stands, which must-visits
are late or still to come, and what failed since yesterday with the command that redoes it.
It is created before the detailed artifacts (the day's counts, coverage per grid, must-visit
deadlines), so that it heads the run's Artifacts tab.

Every count is the whole day's (`yinhui.services.day_record`): a second run of a day adds what
it wrote to what the first one did, instead of reporting zeros over it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger, task

from flows.artifacts import (
    counts_markdown,
    language,
    load_coverage,
    load_deadlines,
    local_day_bounds,
    month_of,
    percent,
    publish_coverage,
    publish_deadlines,
    publish_markdown,
    rate_of,
    worst_first,
)
from flows.retrying import TASK_RETRIES
from flows.texts import bilingual, report_text, say, task_name
from models.db import session_scope
from models.grids import TOWNSHIP_LEVEL
from yinhui.i18n import N_, text
from yinhui.messages.texts import kind_label
from yinhui.services.coverage import CoverageReport
from yinhui.services.day_record import DayRecord, day_record
from yinhui.services.outbox import undelivered
from yinhui.services.snapshots import (
    Activity,
    DeadlineRecord,
    Marks,
    activity_between,
    high_water_marks,
)

TODAY_KEY = "today"
FAILURES_LISTED = 10
WORST_LISTED = 3
UNDELIVERED_COMMAND = "yinhui chat undelivered"

_run_marks: ContextVar[Marks | None] = ContextVar("yinhui_run_marks", default=None)


@contextlib.contextmanager
def counting_changes() -> Iterator[Marks]:
    """Within the block, the day's report also counts what this run wrote (for a back-filled day above all)."""
    with session_scope() as session:
        marks = high_water_marks(session)
    token = _run_marks.set(marks)
    try:
        yield marks
    finally:
        _run_marks.reset(token)


# -- what failed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """A run that failed and was not run again successfully since: its name, how it ended, how to redo it."""

    run: str
    crashed: bool
    command: str


def failed_runs(since: dt.datetime) -> list[Failure]:
    """Top-level runs that failed or crashed since `since`, newest first, unless a later run of the same name completed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterName,
        FlowRunFilterParentTaskRunId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    from flows.rerun import rerun_hint, run_day

    def runs(states: list[StateType], names: list[str] | None = None) -> list[Any]:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states)),
                expected_start_time=FlowRunFilterExpectedStartTime(after_=since),
                parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True),
                name=FlowRunFilterName(any_=names) if names is not None else None,
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=200,
        )

    with get_client(sync_client=True) as client:
        failed = runs([StateType.FAILED, StateType.CRASHED])
        if not failed:
            return []
        mended: dict[str, dt.datetime] = {}
        for run in runs([StateType.COMPLETED], sorted({r.name for r in failed})):
            if run.expected_start_time is not None:
                mended[run.name] = max(mended.get(run.name, run.expected_start_time), run.expected_start_time)
        flows = {r.flow_id: client.read_flow(r.flow_id).name for r in failed}
    found, seen = [], set()
    for run in failed:
        later = mended.get(run.name)
        if run.name in seen or (later is not None and run.expected_start_time is not None and later > run.expected_start_time):
            continue
        seen.add(run.name)
        parameters = dict(run.parameters or {})
        day = run_day(parameters, run.expected_start_time)
        found.append(Failure(run=run.name, crashed=run.state_type == StateType.CRASHED,
                             command=rerun_hint(flows[run.flow_id], parameters, day)))
    return found


# -- the summary (pure) -------------------------------------------------------------------------

TEXTS = {
    "title": N_("Today {day}"),
    "coverage": N_("Coverage this month so far: **{rate}** ({contacted} of {expected} cadres contacted)"),
    "coverage_none": N_("Coverage this month so far: no data yet (nobody was due)."),
    "lowest": N_("Lowest: {grids}"),
    "must": N_("Must-visits this month: **{overdue}** late, {pending} still to come, {kept} kept"),
    "must_none": N_("Must-visits this month: none due."),
    "plan": N_("Planned today: {created} new task(s), {digests} digest(s) for coordinators"),
    "failed_title": N_("What failed"),
    "failed_none": N_("Nothing failed since yesterday."),
    "failed_unknown": N_("The run list could not be read from the Prefect server: see the Runs page for failed runs."),
    "failed": N_("{run} failed. To redo: `{command}`"),
    "crashed": N_("{run} stopped without finishing. To redo: `{command}`"),
    "more": N_("... and {more} more: see the run list"),
    "undelivered": N_("{count} message(s) could not be delivered. To see them: `{command}`"),
    "details": N_("Details: the artifacts below (day's counts, coverage per grid, must-visit deadlines)."),
}


def coverage_line(report: CoverageReport, lang: str) -> list[str]:
    county = report.total if report.grids else None
    rate = rate_of(county) if county is not None else None
    if county is None or rate is None:
        return [text(lang, TEXTS["coverage_none"])]
    lines = [text(lang, TEXTS["coverage"], rate=percent(rate), contacted=county.contacted,
                  expected=county.cadres - county.paused)]
    grids = sorted((g for g in report.grids if g.level == TOWNSHIP_LEVEL and rate_of(g) is not None),
                   key=lambda g: worst_first(rate_of(g), g.path))
    if len(grids) > 1:
        shown = "、".join(f"{g.path} {percent(rate_of(g) or 0.0)}" for g in grids[:WORST_LISTED])
        lines.append(text(lang, TEXTS["lowest"], grids=shown))
    return lines


def today_markdown(
    day: dt.date, *, record: DayRecord, report: CoverageReport, deadlines: DeadlineRecord,
    failures: Sequence[Failure] | None, undelivered_count: int, lang: str,
) -> str:
    """The one page a leader opens first: coverage, must-visits, the day's plan, what failed and how to redo it.

    `failures` is None when the run list could not be read: the page says so rather than "nothing failed".
    """
    lines = [f"## {text(lang, TEXTS['title'], day=day)}", ""]
    lines += [f"- {line}" for line in coverage_line(report, lang)]
    if deadlines.kept or deadlines.missed or deadlines.pending:
        lines.append("- " + text(lang, TEXTS["must"], overdue=deadlines.overdue, pending=deadlines.pending, kept=deadlines.kept))
    else:
        lines.append("- " + text(lang, TEXTS["must_none"]))
    lines.append("- " + text(lang, TEXTS["plan"], created=record.created_total, digests=record.digests))
    lines += ["", f"### {text(lang, TEXTS['failed_title'])}", ""]
    if failures is None:
        lines.append(text(lang, TEXTS["failed_unknown"]))
        failures = []
    elif not failures and not undelivered_count:
        lines.append(text(lang, TEXTS["failed_none"]))
    for failure in failures[:FAILURES_LISTED]:
        lines.append("- " + text(lang, TEXTS["crashed" if failure.crashed else "failed"], run=failure.run, command=failure.command))
    if len(failures) > FAILURES_LISTED:
        lines.append("- " + text(lang, TEXTS["more"], more=len(failures) - FAILURES_LISTED))
    if undelivered_count:
        lines.append("- " + text(lang, TEXTS["undelivered"], count=undelivered_count, command=UNDELIVERED_COMMAND))
    lines += ["", text(lang, TEXTS["details"])]
    return "\n".join(lines) + "\n"


def day_counts(record: DayRecord, activity: Activity, lang: str) -> list[tuple[str, int]]:
    """The day's counts table: created (and by kind), closed yesterday, late, escalated, digests."""
    counts = [("created", record.created_total)]
    counts += [(f"· {kind_label(kind, lang)}", n) for kind, n in record.created.items()]
    counts += [
        ("closed_yesterday", activity.done + activity.missed),
        ("newly_overdue", record.events.get("overdue", 0)), ("overdue_now", activity.overdue_now),
        ("escalated", record.events.get("escalated", 0)), ("lapsed", record.events.get("lapsed", 0)),
        ("digests", record.digests),
    ]
    return counts


# -- publishing ---------------------------------------------------------------------------------


@task(name=task_name("publish-day-artifacts", N_("publish the day's report")), tags=["artifacts"], **TASK_RETRIES)
def publish_day_artifacts(day: dt.date) -> dict[str, int]:
    """Today's summary first, then the day's counts, coverage per level-2 grid this month, must-visit deadlines."""
    lang = language()
    start, end = local_day_bounds(day, day)
    yesterday = day - dt.timedelta(days=1)
    since, _ = local_day_bounds(yesterday, yesterday)
    with session_scope() as session:
        record = day_record(session, day=day, start=start, end=end, marks=_run_marks.get())
        activity = activity_between(session, start=since, end=start, first_day=yesterday, last_day=yesterday)
        undelivered_count = len(undelivered(session))
    report = load_coverage(day)
    first, last = month_of(day)  # kept and missed so far, and what is still to come this month
    deadlines = load_deadlines(first, last, day)
    try:
        failures: list[Failure] | None = failed_runs(since)
    except Exception as exc:  # the day's report must not fail because the run list could not be read
        get_run_logger().warning(say(N_("Could not read the failed runs ({error}); the summary leaves them out."),
                                     error=type(exc).__name__))
        failures = None

    summary_text = today_markdown(day, record=record, report=report, deadlines=deadlines, failures=failures,
                                  undelivered_count=undelivered_count, lang=lang)
    what = bilingual(N_("Today: coverage, must-visits, what failed"), " ")
    publish_markdown(TODAY_KEY, summary_text, f"{day} {what}")
    counts = day_counts(record, activity, lang)
    what = bilingual(N_("created, closed, overdue, escalated"), " ")
    publish_markdown("daily-plan-counts", counts_markdown(report_text("day_title", lang, day=day), counts, lang), f"{day} {what}")
    publish_coverage("coverage-by-township", day, lang, report)
    publish_deadlines("must-visit-deadlines", first, last, day, lang, deadlines)

    summary = {key: value for key, value in counts if not key.startswith("·")}
    summary.update(must_visit_kept=deadlines.kept, must_visit_missed=deadlines.missed,
                   cadres=report.total.cadres if report.grids else 0, failed_runs=len(failures or []))
    get_run_logger().info(text(
        lang, N_("Report for {day}: {created} task(s) created today, {overdue} overdue now, "
                 "must-visits kept {kept} / missed {missed}, {failed} failed run(s)"),
        day=day, created=record.created_total, overdue=activity.overdue_now, kept=deadlines.kept,
        missed=deadlines.missed, failed=len(failures or []),
    ))
    return summary

