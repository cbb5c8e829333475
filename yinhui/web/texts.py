"""The task page's own words (titles, buttons, refusals), English message ids with Chinese in the catalogue.

Task lines, states and kinds come from `yinhui.messages.texts`, so the page says what the chat says.
"""

from __future__ import annotations

from yinhui import i18n
from yinhui.i18n import N_

TEXTS: dict[str, str] = {
    "title.tasks": N_("My tasks"),
    "title.overview": N_("County overview"),
    "title.grid_overview": N_("Overview of {grid}"),
    "title.bind": N_("Bind this browser"),
    "bind.intro": N_("Enter the one-time invitation code the operator gave you (yinhui coordinator invite NAME)."),
    "bind.code": N_("Invitation code"),
    "bind.submit": N_("Bind"),
    "bind.bad_code": N_("This invitation code is invalid, used or expired. Please ask the operator for a new one."),
    "bind.too_many": N_("Too many wrong invitation codes: this browser cannot bind for an hour."),
    "bind.done": N_("Done: this browser now belongs to {name}."),
    "nav.tasks": N_("My tasks"),
    "nav.overview": N_("Overview"),
    "nav.logout": N_("Sign out"),
    "logout.done": N_("This browser is signed out."),
    "section.overdue": N_("Overdue"),
    "section.today": N_("Today"),
    "section.week": N_("This week"),
    "section.later": N_("Later"),
    "section.empty": N_("Nothing here."),
    "task.kin_call": N_("Next of kin: {name} ({relation})"),
    "task.attempts": N_("{attempts} attempt(s) unreachable so far"),
    "form.reschedule": N_("Move to"),
    "form.note": N_("Note"),
    "refused.forged": N_("This form has expired or did not come from this page; nothing was changed. Please try again."),
    "refused.not_yours": N_("This is not your task; nothing was changed."),
    "refused.not_open": N_("This task opens on {date}; nothing was changed."),
    "refused.bad_date": N_("Pick a date; nothing was changed."),
    "refused.generic": N_("The change could not be made; nothing was changed."),
    "refused.leaders_only": N_("Only a leader or a grid coordinator sees an overview."),
    "done.noted": N_("Note saved on task #{task_id}."),
    "done.recorded": N_("Task #{task_id}: {state}"),
    "overview.month": N_("Coverage in {month}"),
    "overview.grid": N_("Grid"),
    "overview.cadres": N_("Cadres"),
    "overview.contacted": N_("Contacted"),
    "overview.rate": N_("Rate"),
    "overview.missed": N_("Missed so far"),
    "overview.no_missed": N_("Nobody missed so far."),
    "overview.must_visits": N_("Must-visits by deadline"),
    "overview.no_must_visits": N_("No open must-visits."),
    "overview.overdue": N_("Overdue by coordinator"),
    "overview.no_overdue": N_("Nothing overdue."),
    "overview.trend": N_("Coverage over 12 months"),
    "overview.trend_label": N_("Coverage rate per month, the current month so far"),
    "overview.escalated": N_("escalated"),
    "overview.late": N_("late"),
    "overview.due_today": N_("due today"),
    "overview.paused": N_("Paused"),
    "overview.no_data": N_("No data"),
    "overview.snapshots": N_("Frozen monthly snapshots"),
    "overview.snapshot_month": N_("Month"),
    "overview.snapshot_taken": N_("Frozen on"),
    "overview.no_snapshots": N_("No month has been frozen yet."),
    "overview.runs": N_("Today's runs in the Prefect UI"),
    "report.title": N_("Report a must-visit"),
    "report.kind": N_("Occasion"),
    "report.kind.hospitalisation": N_("in hospital"),
    "report.kind.family_event": N_("a major family event"),
    "report.kind.hardship": N_("special hardship"),
    "report.kind.death": N_("passed away"),
    "report.cadre": N_("Cadre (name or #number)"),
    "report.on": N_("Day it happened (empty: today)"),
    "report.submit": N_("Report"),
    "attend.title": N_("Event attendance"),
    "attend.event": N_("Event"),
    "attend.cadres": N_("Who attended (names or #numbers, separated by spaces or commas)"),
    "attend.submit": N_("Record attendance"),
    "attend.none": N_("No event was held in the last two weeks."),
    "error.not_found": N_("Not found."),
    "error.sign_in": N_("Please bind this browser with your invitation code first."),
}


def t(language: str | None, key: str, /, **values: object) -> str:
    """One of the page's texts in the reader's language ("zh" by default), placeholders filled in."""
    return i18n.text(language, TEXTS[key], **values)
