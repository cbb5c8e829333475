"""What the Prefect UI shows of a run (artifacts) and keeps out of run logs: names at most, never ID numbers or phones."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.run_names import day_of, run_name  # noqa: F401 - the flows import them from here too
from flows.texts import bilingual, label, report_text
from models.db import session_scope
from models.grids import COUNTY_LEVEL, TOWNSHIP_LEVEL
from models.snapshots import CoverageSnapshot
from yinhui import clock
from yinhui.i18n import N_
from yinhui.privacy import mask_id_number, mask_phone
from yinhui.rules.cadence import period_of
from yinhui.services.coverage import CoverageReport, coverage
from yinhui.services.snapshots import Activity, DeadlineRecord, deadline_record
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


def percent(rate: float) -> str:
    return f"{rate:.0%}"


# -- builders (pure) --------------------------------------------------------------------------


def counts_markdown(title: str, counts: Sequence[tuple[str, int]], lang: str) -> str:
    lines = [f"## {title}", "", f"| {label('item', lang)} | {label('count', lang)} |", "|---|---:|"]
    lines += [f"| {label(key, lang)} | {value} |" for key, value in counts]
    return "\n".join(lines) + "\n"


def rate_of(row: Any) -> float | None:
    """Contacted out of those to contact (the paused left out); None when nobody was to be contacted.

    A month before any work, or a grid without cadres, has no coverage to speak of: "无数据",
    never the 100% that 0 of 0 would make.
    """
    expected = row.cadres - getattr(row, "paused", 0)
    return row.contacted / expected if expected > 0 else None


def rate_text(rate: float | None, lang: str) -> str:
    return label("no_data", lang) if rate is None else percent(rate)


def worst_first(rate: float | None, name: str) -> tuple[int, float, str]:
    """Sort key: the lowest coverage first, grids without data last."""
    return (rate is None, rate or 0.0, name)


def grid_path(row: Any) -> str:
    return str(getattr(row, "grid_path", None) or row.path)


def total_label(path: str, lang: str) -> str:
    """The county line, marked as the total: `老干部局（合计）`."""
    return report_text("total_row", lang, name=path)


def coverage_rows(rows: Sequence[Any], lang: str) -> list[dict[str, Any]]:
    """The county total first (marked), then one line per level-2 grid, the worst covered first.

    `rows` are today's `GridCoverage` lines or a month's frozen `CoverageSnapshot` lines.
    """
    county = [r for r in rows if r.level == COUNTY_LEVEL]
    grids = sorted((r for r in rows if r.level == TOWNSHIP_LEVEL), key=lambda r: worst_first(rate_of(r), grid_path(r)))
    return [
        {
            label("grid", lang): total_label(grid_path(r), lang) if r.level == COUNTY_LEVEL else grid_path(r),
            label("cadres", lang): r.cadres, label("contacted", lang): r.contacted,
            label("not_contacted", lang): r.missed, label("rate", lang): rate_text(rate_of(r), lang),
        }
        for r in [*county, *grids]
    ]


def coverage_table(report: CoverageReport, lang: str) -> list[dict[str, Any]]:
    """This month so far: the county total, then each level-2 grid (township or community), worst first."""
    return coverage_rows(report.grids, lang)


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


def snapshot_table(rows: Sequence[CoverageSnapshot], lang: str) -> list[dict[str, Any]]:
    """A frozen month: the county total, then each level-2 grid, worst first."""
    return coverage_rows(rows, lang)


def activity_counts(activity: Activity) -> list[tuple[str, int]]:
    return [
        ("created", activity.created), ("done", activity.done), ("missed", activity.missed),
        ("cancelled", activity.cancelled), ("escalated", activity.escalated), ("overdue_now", activity.overdue_now),
        ("contacts", activity.contacts), ("cadres_reached", activity.cadres_reached),
    ]


# -- publishing ---------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


EMBEDDED_IMAGE = re.compile(r"(\(data:image/svg\+xml;base64,)([A-Za-z0-9+/=]+)(\))")


def _redact_image(match: re.Match[str]) -> str:
    """An embedded chart is checked as the text it draws: masking the base64 itself could break the
    image (its letters and digits may form what looks like a phone number) and check nothing."""
    try:
        drawn = base64.b64decode(match.group(2), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):  # not a drawing of ours: masked as plain text
        return redact(match.group(0))
    return match.group(1) + base64.b64encode(redact(drawn).encode("utf-8")).decode("ascii") + match.group(3)


def publish_markdown(key: str, markdown: str, description: str) -> None:
    pieces = EMBEDDED_IMAGE.split(markdown)  # text, then (opening, base64, closing) per image, then text
    cleaned = [redact(piece) if i % 4 == 0 else piece for i, piece in enumerate(pieces)]
    markdown = EMBEDDED_IMAGE.sub(_redact_image, "".join(cleaned))
    create_markdown_artifact(markdown=markdown, key=key, description=redact(description))


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


def load_deadlines(first: dt.date, last: dt.date, today: dt.date) -> DeadlineRecord:
    with session_scope() as session:
        return deadline_record(session, kinds=MUST_VISIT_KINDS, first_day=first, last_day=last, today=today, tz=clock.tz())


def publish_deadlines(
    key: str, first: dt.date, last: dt.date, today: dt.date, lang: str, record: DeadlineRecord | None = None
) -> DeadlineRecord:
    record = record or load_deadlines(first, last, today)
    what = bilingual(N_("must-visit deadlines"), " ")
    publish_markdown(key, deadlines_markdown(record, lang), f"{what} {first}..{last}")
    return record


def load_coverage(day: dt.date) -> CoverageReport:
    with session_scope() as session:
        return coverage(session, period_of("month", day))


def publish_coverage(key: str, day: dt.date, lang: str, report: CoverageReport | None = None) -> CoverageReport:
    report = report or load_coverage(day)
    what = bilingual(N_("coverage per level-2 grid, month to date"), " ")
    publish_table(key, coverage_table(report, lang), f"{report.month.key} {what}")
    return report
