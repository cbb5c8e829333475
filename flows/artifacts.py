"""What the Prefect UI shows of a run (artifacts) and keeps out of run logs: names at most, never ID numbers or phones."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.retrying import TASK_RETRIES
from flows.texts import bilingual, label, report_text, task_name
from models.db import session_scope
from models.grids import COUNTY_LEVEL, TOWNSHIP_LEVEL
from models.snapshots import CoverageSnapshot
from yinhui import clock, textable
from yinhui.i18n import N_
from yinhui.messages.texts import kind_label
from yinhui.privacy import mask_id_number, mask_phone
from yinhui.rules.cadence import period_of
from yinhui.services.coverage import CoverageReport, coverage
from yinhui.services.snapshots import (
    Activity,
    DeadlineRecord,
    Marks,
    activity_between,
    changes_since,
    deadline_record,
    high_water_marks,
)
from yinhui.settings import get_settings

MUST_VISIT_KINDS = ("must_visit",)  # 四必访 tasks (issue 4); festival visits have their own kind
LATE_LISTED = 50  # late must-visits listed one by one; the rest are counted

# -- personal data guard ----------------------------------------------------------------------

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?:-\d{1,6})?(?!\d)")
_BOT_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}")


def _secrets() -> list[str]:
    try:
        token = get_settings().telegram_token
    except Exception:  # bad settings are reported elsewhere; the patterns below still apply
        return []
    return [token.get_secret_value()] if token is not None else []


def redact(text: str) -> str:
    """Mask anything shaped like an ID number, a phone or a bot token (the configured one above all)."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    text = _BOT_TOKEN.sub("***", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)[-11:]), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(0)), text)


class RedactPersonalData(logging.Filter):
    """Scrubs run log records, exception text included, before Prefect ships them to the UI.

    Our own log lines carry counts only; this catches what others put there, such as a
    database error that quotes the row it could not write.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        except Exception:  # a log line must never break the run; drop it rather than leak it
            return False
        return True


def install_log_redaction() -> None:
    """Attach the filter to the loggers whose records become run logs (once per process)."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPersonalData) for f in logger.filters):
            logger.addFilter(RedactPersonalData())


def language() -> str:
    return get_settings().language


def run_name(prefix: str, parameter: str, resolve: Callable[[Any], object]) -> Callable[[], str]:
    """A flow run name that shows the day a run is for, even when a schedule left it to default.

    `daily-plan-2026-11-27` reads better in the UI than `daily-plan-None`.
    """

    def name() -> str:
        from prefect.runtime import flow_run

        try:
            return f"{prefix}-{resolve(flow_run.parameters.get(parameter))}"
        except ValueError:  # a bad parameter fails the run itself, with a clearer message
            return prefix

    return name


def day_of(value: Any) -> dt.date:
    from flows.planning_context import parse_day

    return parse_day(value)


def percent(rate: float) -> str:
    return f"{rate:.0%}"


# -- builders (pure) --------------------------------------------------------------------------

_PLAN_KEYS = ("created_total", "overdue", "escalated", "missed")


def plan_counts(results: Mapping[str, Any]) -> dict[str, int]:
    """Add up what each planning subflow of `daily-plan` reports (used when the run's start is unknown).

    By convention a planning subflow returns a dict in which every `..._total` number counts
    tasks it created (`created_total`, `festival_visits_total`, ...), and may report `overdue`,
    `escalated` and `missed`; what a flow does not report counts as zero, so a new planning
    flow shows up here without changes.
    """
    totals = dict.fromkeys(_PLAN_KEYS, 0)
    for value in results.values():
        if not isinstance(value, Mapping):
            continue
        for key, number in value.items():
            if not isinstance(number, int) or isinstance(number, bool):
                continue
            if key.endswith("_total"):
                totals["created_total"] += number
            elif key in _PLAN_KEYS[1:]:
                totals[key] += number
    return totals


def counts_markdown(title: str, counts: Sequence[tuple[str, int]], lang: str) -> str:
    lines = [f"## {title}", "", f"| {label('item', lang)} | {label('count', lang)} |", "|---|---:|"]
    lines += [f"| {label(key, lang)} | {value} |" for key, value in counts]
    return "\n".join(lines) + "\n"


def coverage_table(report: CoverageReport, lang: str) -> list[dict[str, Any]]:
    """The county line, then one line per level-2 grid (township or community)."""
    rows = [g for g in report.grids if g.level in (COUNTY_LEVEL, TOWNSHIP_LEVEL)]
    return [
        {
            label("grid", lang): g.path, label("cadres", lang): g.cadres, label("contacted", lang): g.contacted,
            label("not_contacted", lang): g.missed, label("rate", lang): percent(g.rate),
        }
        for g in rows
    ]


def deadlines_markdown(record: DeadlineRecord, lang: str) -> str:
    title = report_text("mv_title", lang, first=record.first_day, last=record.last_day)
    lines = [f"## {title}", ""]
    if not (record.kept or record.missed or record.pending):
        return "\n".join(lines + [label("mv_none", lang)]) + "\n"
    lines.append(report_text(
        "mv_summary", lang, kept=record.kept, missed=record.missed, done_late=record.done_late, lapsed=record.lapsed,
        overdue=record.overdue, pending=record.pending,
    ))
    if record.late:
        how = {"done_late": label("done_late", lang), "missed": label("missed", lang), "overdue": label("overdue", lang)}
        lines += ["", f"| {label('task', lang)} | {label('cadre', lang)} | {label('grid', lang)} | {label('assignee', lang)} | {label('due', lang)} | {label('how', lang)} |",
                  "|---:|---|---|---|---|---|"]
        for late in record.late[:LATE_LISTED]:
            lines.append(f"| #{late.task_id} | {late.cadre or ''} | {late.grid or ''} | {late.assignee} | {late.due} | {how[late.how]} |")
        if len(record.late) > LATE_LISTED:
            lines.append("\n" + report_text("more", lang, more=len(record.late) - LATE_LISTED))
    return "\n".join(lines) + "\n"


def _trend_grids(history: Mapping[str, Sequence[CoverageSnapshot]]) -> list[tuple[int, str]]:
    """(grid_id, path) of the county and level-2 grids, in the newest month's order."""
    seen: dict[int, str] = {}
    for rows in reversed(list(history.values())):
        for row in rows:
            if row.level in (COUNTY_LEVEL, TOWNSHIP_LEVEL) and row.grid_id not in seen:
                seen[row.grid_id] = row.grid_path
    return list(seen.items())


def trend_table(history: Mapping[str, Sequence[CoverageSnapshot]], lang: str) -> list[dict[str, Any]]:
    """One line per grid, one column per snapshotted month: coverage month by month."""
    rates = {m: {r.grid_id: r for r in rows} for m, rows in history.items()}
    table = []
    for grid_id, path in _trend_grids(history):
        line: dict[str, Any] = {label("grid", lang): path}
        for month in history:
            row = rates[month].get(grid_id)
            line[month] = percent(row.rate) if row else "—"
        table.append(line)
    return table


_SPARK = "▁▂▃▄▅▆▇█"


def _spark(rate: float | None) -> str:
    if rate is None:
        return " "
    return _SPARK[min(int(rate * len(_SPARK)), len(_SPARK) - 1)]


def _bar(rate: float, width: int = 20) -> str:
    filled = round(rate * width)
    return "█" * filled + "░" * (width - filled)


def trend_chart(history: Mapping[str, Sequence[CoverageSnapshot]], lang: str) -> str:
    """A chart that any Markdown view can show: a sparkline per grid over the months, then a bar."""
    lines = [f"## {label('trend_title', lang)}", ""]
    if not history:
        return "\n".join(lines + [label("no_history", lang)]) + "\n"
    months = list(history)
    rates = {m: {r.grid_id: r.rate for r in rows} for m, rows in history.items()}
    rows = []
    for grid_id, path in _trend_grids(history):
        series = [rates[m].get(grid_id) for m in months]
        last = series[-1]
        rows.append([path, "".join(_spark(r) for r in series), _bar(last) if last is not None else "", percent(last) if last is not None else "—"])
    header = [label("grid", lang), f"{months[0]}…{months[-1]}", months[-1], label("rate", lang)]
    lines += ["```text", textable.render(header, rows, numeric=(3,)), "```"]
    return "\n".join(lines) + "\n"


def snapshot_table(rows: Sequence[CoverageSnapshot], lang: str) -> list[dict[str, Any]]:
    return [
        {
            label("grid", lang): r.grid_path, label("cadres", lang): r.cadres, label("contacted", lang): r.contacted,
            label("not_contacted", lang): r.missed, label("rate", lang): percent(r.rate),
        }
        for r in rows
        if r.level in (COUNTY_LEVEL, TOWNSHIP_LEVEL)
    ]


def activity_counts(activity: Activity) -> list[tuple[str, int]]:
    return [
        ("created", activity.created), ("done", activity.done), ("missed", activity.missed),
        ("cancelled", activity.cancelled), ("escalated", activity.escalated), ("overdue_now", activity.overdue_now),
        ("contacts", activity.contacts), ("cadres_reached", activity.cadres_reached),
    ]


# -- publishing ---------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def publish_markdown(key: str, markdown: str, description: str) -> None:
    create_markdown_artifact(markdown=redact(markdown), key=key, description=redact(description))


def publish_table(key: str, rows: Iterable[Mapping[str, Any]], description: str) -> None:
    table = [{k: _clean(v) for k, v in row.items()} for row in rows]
    create_table_artifact(table=table, key=key, description=redact(description))


def local_day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, the day after last 00:00) in the bureau's time zone, as UTC datetimes."""
    tz = clock.tz()
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return start, end


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    period = period_of("month", day)
    return period.start, period.end


def publish_deadlines(key: str, first: dt.date, last: dt.date, today: dt.date, lang: str) -> DeadlineRecord:
    with session_scope() as session:
        record = deadline_record(session, kinds=MUST_VISIT_KINDS, first_day=first, last_day=last, today=today, tz=clock.tz())
    what = bilingual(N_("must-visit deadlines"), " ")
    publish_markdown(key, deadlines_markdown(record, lang), f"{what} {first}..{last}")
    return record


def publish_coverage(key: str, day: dt.date, lang: str) -> CoverageReport:
    with session_scope() as session:
        report = coverage(session, period_of("month", day))
    what = bilingual(N_("coverage per level-2 grid, month to date"), " ")
    publish_table(key, coverage_table(report, lang), f"{report.month.key} {what}")
    return report


_run_marks: ContextVar[Marks | None] = ContextVar("yinhui_run_marks", default=None)


@contextlib.contextmanager
def counting_changes() -> Iterator[Marks]:
    """Within the block, `publish_day_artifacts` counts exactly what was written after it began."""
    with session_scope() as session:
        marks = high_water_marks(session)
    token = _run_marks.set(marks)
    try:
        yield marks
    finally:
        _run_marks.reset(token)


def day_changes(results: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """(the plan's counts, tasks created by kind): from the database when the run's start is known."""
    marks = _run_marks.get()
    if marks is None:  # called outside a planning run: rely on what the subflows reported
        return plan_counts(results), {}
    with session_scope() as session:
        changes = changes_since(session, marks)
    counts = {
        "created_total": changes.created_total, "overdue": changes.events.get("overdue", 0),
        "escalated": changes.events.get("escalated", 0), "missed": changes.events.get("lapsed", 0),
    }
    return counts, changes.created


@task(name=task_name("publish-day-artifacts", N_("publish the day's report")), tags=["artifacts"], **TASK_RETRIES)
def publish_day_artifacts(day: dt.date, results: Mapping[str, Any]) -> dict[str, int]:
    """Counts of the day's plan, coverage per level-2 grid this month, this month's must-visit deadlines."""
    lang = language()
    plan, by_kind = day_changes(results)
    yesterday = day - dt.timedelta(days=1)
    start, end = local_day_bounds(yesterday, yesterday)
    with session_scope() as session:
        activity = activity_between(session, start=start, end=end, first_day=yesterday, last_day=yesterday)
    digests = results.get("digests", 0)
    counts = [("created", plan["created_total"])]
    counts += [(f"· {kind_label(kind, lang)}", n) for kind, n in by_kind.items()]
    counts += [
        ("closed_yesterday", activity.done + activity.missed),
        ("newly_overdue", plan["overdue"]), ("overdue_now", activity.overdue_now),
        ("escalated", plan["escalated"]), ("lapsed", plan["missed"]),
        ("digests", digests if isinstance(digests, int) else 0),
    ]
    what = bilingual(N_("created, closed, overdue, escalated"), " ")
    publish_markdown("daily-plan-counts", counts_markdown(report_text("day_title", lang, day=day), counts, lang), f"{day} {what}")
    report = publish_coverage("coverage-by-township", day, lang)
    first, last = month_of(day)  # kept and missed so far, and what is still to come this month
    record = publish_deadlines("must-visit-deadlines", first, last, day, lang)
    summary = {key: value for key, value in counts if not key.startswith("·")}
    summary.update(must_visit_kept=record.kept, must_visit_missed=record.missed, cadres=report.total.cadres if report.grids else 0)
    get_run_logger().info(
        "artifacts for %s: %d created, %d overdue now, must-visits kept %d / missed %d",
        day, plan["created_total"], activity.overdue_now, record.kept, record.missed,
    )
    return summary
