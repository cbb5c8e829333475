"""Every text the channels and the chat bot show a coordinator, a leader or a grid group.

The texts are English gettext message ids, keyed by what they are for; the Chinese lives in the
zh_CN catalogue (yinhui/locale, see yinhui.i18n). `text(language, key, **values)` is the one way
in: it translates the key's text for the reader ("zh", "en"; any other code reads Chinese) and
fills in its {placeholders}. Keys, not the texts themselves, are what callers name, so a view,
a state or a task kind can pick its text by name (`f"view.{view}"`).
"""

from __future__ import annotations

from yinhui import i18n
from yinhui.i18n import N_

LANGUAGES = tuple(i18n.LOCALES)  # ("zh", "en")
DEFAULT_LANGUAGE = "zh"

TEXTS: dict[str, str] = {
    # -- task kinds (section headings of a digest, report labels) --
    "kind.must_visit": N_("Must-visits"),
    "kind.festival_visit": N_("Festival visits"),
    "kind.visit": N_("Home visits"),
    "kind.service": N_("Door-to-door services"),
    "kind.call": N_("Phone calls"),
    "kind.event_step": N_("Event steps"),
    "kind.meeting": N_("Organisational life"),
    "kind.follow_up": N_("Follow-ups"),
    "kind.absence_visit": N_("Visits after absence"),
    "kind.lecture": N_("Monday lecture"),
    "kind.writing_group": N_("Writing group"),
    # -- the daily digest and the task lists asked for in chat --
    "digest.title": N_("Tasks for {day}"),
    "digest.greeting": N_(
        "Hello {name}. On {day} you have {total} open tasks: {new} new, {overdue} overdue, "
        "{due_soon} due within {horizon} days."
    ),
    "digest.escalated": N_("[Late tasks escalated to you] {count}"),
    "digest.more_command": N_("`yinhui tasks --coordinator {name}` shows them all."),
    "digest.answer_command": N_(
        "When done: yinhui complete TASK_ID --outcome reached|unreachable|visited|declined"
    ),
    "digest.answer_buttons": N_(
        "Tap a button under a task to record the result; /help lists the commands."
    ),
    "list.section": N_("[{label}] {count}"),
    "list.continued": N_("[{label}, continued]"),
    "list.part": N_(" ({i}/{n})"),
    "list.more": N_("... and {more} more not listed."),
    "list.empty": N_("Nothing to do. 👍"),
    "view.today": N_("Open tasks"),
    "view.overdue": N_("Overdue tasks"),
    "view.week": N_("Due within {days} days"),
    "task.due": N_("due {due}"),
    "task.overdue": N_("OVERDUE"),
    "task.new": N_("new"),
    "task.level": N_("escalated L{level}"),
    "task.phones": N_("☎ {phones}"),
    "task.kin": N_("next of kin {name} ({relation}) ☎ {phones}"),
    "task.nobody": N_("—"),
    # -- buttons under a task and the state an answer leaves on its line --
    "button.reached": N_("✅ Reached"),
    "button.unreachable": N_("📵 No answer"),
    "button.visited": N_("🏠 Visited"),
    "button.relative": N_("👪 Relative answered"),
    "button.reschedule": N_("📅 Later"),
    "button.note": N_("📝 Note"),
    "button.back": N_("« Back"),
    "state.reached": N_("✅ reached"),
    "state.unreachable": N_("📵 no answer"),
    "state.visited": N_("🏠 visited"),
    "state.relative": N_("👪 reached through a relative"),
    "state.declined": N_("🙅 declined"),
    "state.covered": N_("✔ covered"),
    "state.closed": N_("(closed)"),
    "state.rescheduled": N_("📅 moved to {date}"),
    "state.noted": N_("📝 noted"),
    "state.retry": N_("📵 attempt {attempt} of {attempts}, again on {date}"),
    "state.unreachable_after": N_("📵 unreachable after {attempts} attempts"),
    "weekdays": N_("MTWTFSS"),
    # -- a grid group's daily notice: counts only (网格群不发个人信息) --
    "notice.title": N_("Grid notice {day} · {grid}"),
    "notice.counts": N_("{live} open tasks, {overdue} of them overdue; {done} done this month."),
    "notice.late": N_("Grid coordinators, please see to the overdue tasks."),
    "notice.fine": N_("Nothing overdue. Thank you all!"),
    # -- a leader's alert when a channel stops delivering --
    "alert.broken.title": N_("Delivery failed"),
    "alert.broken.coordinator": N_(
        "[Delivery failed] Messages to {who} on {channel} cannot be delivered ({reason}). They "
        "stay in the outbox; ask them to bind again: yinhui coordinator invite {name}"
    ),
    "alert.broken.group": N_(
        "[Delivery failed] The group chat of grid {grid} cannot be reached ({reason}). Invite "
        "the bot again: yinhui chat group-invite {grid}"
    ),
    # -- the chat bot --
    "bot.stranger": N_(
        "Hello! This bot serves the veteran-cadres bureau's staff only. Please ask the "
        "operator for an invitation code."
    ),
    "bot.bound_coordinator": N_(
        "Done: this chat now belongs to {name}. Your daily tasks will arrive here; tap the "
        "buttons under a task to record the result. /help lists the commands."
    ),
    "bot.bound_group": N_(
        "Done: this is now the group chat of grid {grid}. It gets a daily grid notice (counts "
        "only, no personal data)."
    ),
    "bot.bound_relatives": N_(
        "Done: this is now the relatives' group (亲人群) of grid {grid}. It gets the bureau's notices "
        "(event invitations, festival greetings, policy news), never personal data."
    ),
    "bot.relatives_welcome": N_(
        "This is the relatives' group (亲人群) of grid {grid}: the bureau posts its notices here."
    ),
    "bot.bad_code": N_(
        "This invitation code is invalid, used or expired. Please ask the operator for a new "
        "one."
    ),
    "bot.too_many_codes": N_(
        "Too many wrong invitation codes: this chat cannot bind for an hour. Please check the "
        "code with the operator."
    ),
    "bot.refused": N_("Cannot bind: {reason}"),
    "bot.welcome_back": N_(
        "Hello {name}! /today shows your open tasks, /help lists the commands."
    ),
    "bot.group_welcome": N_(
        "This is the group chat of grid {grid}. /today shows the grid notice."
    ),
    "bot.help": N_(
        "Commands:\n/today — all open tasks\n/overdue — overdue tasks\n/week — due within {days} days\n"
        "{plugins}\n/help — this text\n\n"
        "Buttons under each task: ✅ Reached, 📵 No answer, 🏠 Visited, 📅 Later, 📝 Note."
    ),
    "bot.group_help": N_("In this group: /today — the grid notice (counts only)."),
    "bot.unknown_command": N_("Unknown command. /help lists the commands."),
    "bot.plain_text": N_("/today shows your open tasks, /help lists the commands."),
    "bot.recorded": N_("Recorded: {state}"),
    "bot.retry": N_("Recorded: 📵 no answer, attempt {attempt} of {attempts}. The call stays open: try again on {date}."),
    "bot.unreachable_closed": N_(
        "Recorded: 📵 no answer, attempt {attempt} of {attempts}: closed as unreachable. "
        "Next: task #{task_id} {follow_up}, due {date}."
    ),
    "bot.unreachable_closed_alone": N_(
        "Recorded: 📵 no answer, attempt {attempt} of {attempts}: closed as unreachable. Nothing further is planned."
    ),
    "bot.closed": N_("This task is already {status}; nothing to do."),
    "bot.not_yours": N_("This is not your task; nothing was changed."),
    "bot.invalid": N_("This button is no longer valid; nothing was changed."),
    "bot.no_dates": N_("This is the last day of the period; the task cannot move."),
    "bot.pick_date": N_("Pick the new date"),
    "bot.back": N_("Back"),
    "bot.rescheduled": N_("Moved to {date}"),
    "bot.note_prompt": N_("Reply to this message with your note for task #{task_id} ({name}):"),
    "bot.note_saved": N_("Note added to task #{task_id}."),
    "bot.note_too_long": N_("The note is too long (at most {limit} characters)."),
    "bot.failed": N_("Not done: {reason}"),
    "bot.failed_generic": N_("Not done: this change cannot be made now; nothing was changed."),
    "bot.closed_by": N_("This task was already {status} by {by}; nothing was changed."),
    "bot.closed_by_at": N_("This task was already {status} by {by} at {at}; nothing was changed."),
    "bot.not_open": N_("This task opens on {date}; it cannot be done before then."),
    "bot.date_out_of_range": N_("The task can move to a day from {first} to {last}; nothing was changed."),
    "bot.status.done": N_("done"),
    "bot.status.cancelled": N_("cancelled"),
    "bot.status.missed": N_("closed as missed"),
    "bot.cmd.start": N_("bind this chat (invitation code)"),
    "bot.cmd.today": N_("all open tasks"),
    "bot.cmd.overdue": N_("overdue tasks"),
    "bot.cmd.week": N_("due this week"),
    "bot.cmd.help": N_("help"),
    # -- chat commands other capabilities plug in: /report, /attend, /pause, /resume --
    "cadre.not_found": N_("No cadre called '{name}' among those you look after."),
    "cadre.ambiguous": N_(
        "Several cadres are called '{name}': {options}; write the number instead of the name, e.g. #{first}"
    ),
    "report.describe": N_(
        "/report KIND NAME [DATE] [NOTE] — report a must-visit (hospital, family, hardship, death)"
    ),
    "report.usage": N_("Usage: /report hospital|family|hardship|death NAME [DATE] [NOTE]"),
    "report.refused": N_("Not reported: {reason}"),
    "report.refused_generic": N_("Not reported: this report cannot be made now; nothing was changed."),
    "report.bad_date": N_("Not reported: '{value}' is not a date; write it as 2026-11-05 or 11-05."),
    "report.done": N_("Reported: {name} ({kind})"),
    "report.done_task": N_("Reported: {name} ({kind}), must-visit task #{task}"),
    "attend.describe": N_("/attend EVENT NAME... — record who attended an event"),
    "attend.usage": N_("Usage: /attend EVENT_NUMBER NAME..., e.g. /attend 3 Zhang Li"),
    "attend.refused": N_("Not recorded: {reason}"),
    "attend.refused_generic": N_("Not recorded: attendance cannot be recorded now; nothing was changed."),
    "attend.done": N_("Recorded {added} attendee(s) of event #{event}"),
    "attend.done_already": N_(
        "Recorded {added} attendee(s) of event #{event} ({already} already)"
    ),
    "pause.describe": N_("/pause NAME UNTIL REASON — no calls or visits until that day (must-visits go on)"),
    "pause.usage": N_("Usage: /pause NAME UNTIL REASON, e.g. /pause Zhang 2027-02-28 living with a child elsewhere "
                      "(UNTIL: 2027-02-28, or 02-28 for the next such day)"),
    "pause.bad_date": N_("Not paused: '{value}' is not a date; write it as 2027-02-28 or 02-28."),
    "pause.past": N_("Not paused: {until} has passed (today is {today}); the pause must end today or later."),
    "pause.too_far": N_("Not paused: {until} is more than a year ahead; a pause ends by {latest}, record it "
                        "again when it runs out."),
    "pause.already": N_("Not paused: {name} is already paused from {starts} to {until}; /resume {ref} first "
                        "to record another pause."),
    "pause.refused": N_("Not paused: {reason}"),
    "pause.refused_generic": N_("Not paused: this pause cannot be recorded now; nothing was changed."),
    "pause.done": N_("Paused: {name} until {until} ({reason}); no calls or visits meanwhile, must-visits go on."),
    "pause.done_cancelled": N_("Paused: {name} until {until} ({reason}); no calls or visits meanwhile, must-visits "
                               "go on. {count} open task(s) cancelled."),
    "resume.describe": N_("/resume NAME — end a pause today: calls and visits come back"),
    "resume.usage": N_("Usage: /resume NAME"),
    "resume.refused": N_("Not resumed: {reason}"),
    "resume.refused_generic": N_("Not resumed: this pause cannot be ended now; nothing was changed."),
    "resume.done": N_("Resumed: {name}'s calls and visits are planned again ({count} task(s) open again)."),
}


def language_of(preferred: str | None, default: str | None = None) -> str:
    """The language to write in: the reader's own if we have it, else the bureau's, else Chinese."""
    for language in (preferred, default):
        if language in LANGUAGES:
            return str(language)
    return DEFAULT_LANGUAGE


def text(language: str | None, key: str, /, **values: object) -> str:
    """One text in the reader's language with its {placeholders} filled in."""
    return i18n.text(language, TEXTS[key], **values)


def has_text(key: str) -> bool:
    return key in TEXTS


def kind_label(kind: str, language: str | None) -> str:
    """What a task kind is called ("电话联系", "Phone calls"); an unknown kind keeps its own name."""
    key = f"kind.{kind}"
    return text(language, key) if key in TEXTS else kind
