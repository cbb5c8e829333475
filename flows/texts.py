"""What the flows show people: English gettext msgids (yinhui/locale/zh_CN holds the Chinese).

Two ways of showing them:

- artifacts and alerts speak their reader's language: ``report_text(key, lang)`` (the bureau's
  language) or ``yinhui.i18n.text(language, msgid)`` (a leader's own);
- names and descriptions that Prefect keeps with a flow, a task or a deployment are written once
  and read by everyone, so they carry both languages, Chinese first: ``bilingual(N_("..."))``,
  ``task_name("plan-visits", N_("..."))``.
"""

from __future__ import annotations

from yinhui.i18n import N_, text, translator

# The report labels and titles of the artifacts, by key (the keys also name the counts a run returns).
TEXTS: dict[str, str] = {
    "created": N_("Tasks created"),
    "closed_yesterday": N_("Closed yesterday"),
    "newly_overdue": N_("Newly overdue"),
    "overdue_now": N_("Overdue now"),
    "escalated": N_("Escalated"),
    # Closed by the sweep after running overdue (逾期关闭（未办）). The English reader sees
    # "Closed as missed", like "missed" below: the en catalogue translates this msgid to it.
    "lapsed": N_("Closed as missed after running overdue"),
    "digests": N_("Digests written"),
    "done": N_("Done"),
    "missed": N_("Closed as missed"),
    "cancelled": N_("Cancelled"),
    "contacts": N_("Contacts recorded"),
    "cadres_reached": N_("Cadres reached"),
    "item": N_("Item"),
    "count": N_("Count"),
    "day_title": N_("Daily plan {day}"),
    "sweep_title": N_("Escalation sweep {day}"),
    "sweep_skipped": N_("{day} is a day off: no sweep."),
    "week_title": N_("Week {first} to {last}"),
    "grid": N_("Grid"),
    "cadres": N_("Cadres"),
    "contacted": N_("Contacted"),
    "not_contacted": N_("Not contacted"),
    "rate": N_("Coverage"),
    "mv_title": N_("Must-visit deadlines {first} to {last}"),
    "mv_summary": N_(
        "Kept **{kept}** · missed **{missed}** (done late {done_late}, closed as missed {lapsed}, "
        "still overdue {overdue}) · not yet due {pending}"
    ),
    "mv_none": N_("No must-visit fell due in this period."),
    "task": N_("Task"),
    "cadre": N_("Cadre"),
    "assignee": N_("Assignee"),
    "due": N_("Due"),
    "how": N_("What happened"),
    "done_late": N_("done late"),
    "overdue": N_("still overdue"),
    "more": N_("... and {more} more not listed"),
    "month": N_("Month"),
    "trend_title": N_("Monthly coverage (frozen snapshots)"),
    "snapshot_title": N_("Coverage {month} (frozen, {taken})"),
    "no_history": N_("No snapshot yet."),
    "total_row": N_("{name} (total)"),
    "no_data": N_("No data"),
    "change": N_("Change (points)"),
    "axis": N_("{month}: each bar runs from {floor} (empty) to 100% (full)."),
    "chart_alt": N_("Coverage of {month} per level-2 grid as bars from {floor} to 100%, the county total first, "
                    "then the worst covered first."),
    "chart_alt_marks": N_("Coverage of {month} per level-2 grid as bars from {floor} to 100%, each with a diamond "
                          "at {before}, the county total first, then the worst covered first."),
    "line_alt": N_("The county's coverage month by month, {first} to {last}, on an axis from {floor} to 100%."),
}


def report_text(key: str, lang: str, /, **values: object) -> str:
    """One report text in `lang`, its {placeholders} filled in."""
    return text(lang, TEXTS[key], **values)


def label(key: str, lang: str) -> str:
    """A row's or a column's label; a key without a text (a task kind's line) is shown as it is."""
    return report_text(key, lang) if key in TEXTS else key


def chinese(english: str) -> str:
    """The Chinese of a marked text (the English itself while it has none)."""
    return translator("zh").gettext(english)


def bilingual(english: str, between: str = " — ") -> str:
    """`中文 — English`: how the Prefect UI labels what everybody reads, whatever the bureau's language."""
    return f"{chinese(english)}{between}{english}"


def task_name(name: str, english: str) -> str:
    """`plan-festival-visits · 节日走访`: a task's name, then what it does, in Chinese."""
    return f"{name} · {chinese(english)}"


def bureau_language() -> str:
    from yinhui.settings import get_settings

    return get_settings().language


def say(english: str, /, **values: object) -> str:
    """A run log line a leader reads in the UI (counts, warnings, failures), in the bureau's language."""
    return text(bureau_language(), english, **values)
