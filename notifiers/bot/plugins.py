"""Chat commands other capabilities plug into: `/report` (must-visits, 四必访), `/attend` (events),
`/pause` and `/resume` (a cadre away for a while, 暂停联系).

A command here is plain sync code over one database session: it gets the bound coordinator and
the words after the command, and returns the reply text. The bot wraps it (thread, transaction,
language, refusal of strangers), so a capability adds a command by registering one object:

    from notifiers.bot.plugins import register
    register(MyCommand())          # has .name, .describe(language) and .run(session, ctx, args)

`/report KIND NAME [DATE] [NOTE]` finds the cadre among those the coordinator answers for and hands
over to `yinhui.services.must_visits.report_must_visit`; `/attend` to
`yinhui.services.events.record_attendance`; `/pause` and `/resume` to `yinhui.services.pauses` (what
`yinhui cadre pause|resume` calls). A refusal is worded in the chat's language
(`notifiers.bot.common.refusal_reason`), never with the service's English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from models.people import Cadre
from models.types import id_of
from notifiers.bot.common import refusal_reason
from yinhui.messages.texts import text
from yinhui.playbook_loader import current_playbook
from yinhui.services.bot_queries import find_my_cadres
from yinhui.services.events import record_attendance
from yinhui.services.must_visits import report_must_visit
from yinhui.services.pauses import MAX_PAUSE_DAYS, current_pause, pause_cadre, resume_cadre


@dataclass(frozen=True)
class ChatContext:
    """Who is asking, in which language, on which day."""

    coordinator_id: int
    coordinator_name: str
    language: str
    today: dt.date

    @property
    def actor(self) -> str:
        return f"coordinator:{self.coordinator_id}"


class CommandRefused(Exception):
    """A command that cannot be carried out; the message is the reply (no personal data beyond the chat's own)."""


class ChatCommand(Protocol):
    name: str

    def describe(self, language: str) -> str: ...

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str: ...


COMMANDS: dict[str, ChatCommand] = {}


def register(command: ChatCommand) -> None:
    """Add or replace a chat command (the bot picks it up when it builds its handlers)."""
    COMMANDS[command.name] = command


def find_my_cadre(session: Session, ctx: ChatContext, ref: str) -> Cadre:
    """A cadre by name or #id, among those the coordinator answers for; ambiguity is refused."""
    name = ref.strip()
    found = find_my_cadres(session, coordinator_id=ctx.coordinator_id, ref=name)
    if not found:
        raise CommandRefused(text(ctx.language, "cadre.not_found", name=name))
    if len(found) > 1:
        options = "、".join(f"#{c.id}" for c in found[:5])
        raise CommandRefused(text(ctx.language, "cadre.ambiguous", name=name, options=options, first=found[0].id))
    return found[0]


# -- /report KIND CADRE: must-visits (四必访) -----------------------------------------------------

MUST_VISIT_KINDS = {
    "hospitalisation": ("住院", "生病", "生病住院", "hospital", "hospitalisation", "hospitalization"),
    "family_event": ("家事", "大事", "家有大事", "family", "family_event"),
    "hardship": ("困难", "特殊困难", "hardship"),
    "death": ("去世", "逝世", "病故", "death", "deceased"),
}


def must_visit_kind(word: str) -> str | None:
    lowered = word.strip().lower()
    for kind, words in MUST_VISIT_KINDS.items():
        if lowered in words:
            return kind
    return None


DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?$")  # what someone means as a date: 2026-11-05, 11-05


def report_day(word: str, ctx: ChatContext) -> dt.date | None:
    """The day a /report names (YYYY-MM-DD, or MM-DD of this year); None for a word that is no date at all.

    A word shaped like a date that is no real day (2026-11-99) is refused here, in the chat's words.
    """
    if not DATE_LIKE.match(word):
        return None
    parts = [int(p) for p in re.split(r"[-/.]", word)]
    year, month, day = parts if len(parts) == 3 else [ctx.today.year, *parts]
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CommandRefused(text(ctx.language, "report.bad_date", value=word)) from None


class ReportCommand:
    name = "report"

    def describe(self, language: str) -> str:
        return text(language, "report.describe")

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str:
        if len(args) < 2:
            raise CommandRefused(text(ctx.language, "report.usage"))
        # Our words map to the four kinds; any other word goes to the service, which knows more
        # (出院 discharged, 婚事 ...) and refuses what it does not know.
        kind = must_visit_kind(args[0]) or args[0]
        rest = args[2:]
        on = report_day(rest[0], ctx) if rest else None
        if on is not None:  # the day it happened; else today
            rest = rest[1:]
        cadre = find_my_cadre(session, ctx, args[1])
        note = " ".join(rest) or None
        try:
            task = report_must_visit(session, cadre_id=id_of(cadre), reason=kind, actor=ctx.actor, on=on or ctx.today,
                                     note=note)
        except ValueError as exc:  # the service's own refusal (an unknown kind, a cadre not active ...)
            reason = refusal_reason(ctx.language, exc)
            raise CommandRefused(text(ctx.language, "report.refused", reason=reason) if reason
                                 else text(ctx.language, "report.refused_generic")) from None
        if task is not None and task.id is not None:
            return text(ctx.language, "report.done_task", name=cadre.name, kind=args[0], task=task.id)
        return text(ctx.language, "report.done", name=cadre.name, kind=args[0])


# -- /attend EVENT NAME...: attendance at an event --------------------------------------------------


class AttendCommand:
    name = "attend"

    def describe(self, language: str) -> str:
        return text(language, "attend.describe")

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str:
        if len(args) < 2 or not args[0].lstrip("#").isdigit():
            raise CommandRefused(text(ctx.language, "attend.usage"))
        event = int(args[0].lstrip("#"))
        cadres = [find_my_cadre(session, ctx, ref) for ref in args[1:]]
        try:
            result = record_attendance(session, event, [id_of(c) for c in cadres], playbook=current_playbook(),
                                       today=ctx.today, actor=ctx.actor)
        except ValueError as exc:  # the events service's CalendarError
            reason = refusal_reason(ctx.language, exc)
            raise CommandRefused(text(ctx.language, "attend.refused", reason=reason) if reason
                                 else text(ctx.language, "attend.refused_generic")) from None
        if result.already:
            return text(ctx.language, "attend.done_already", added=len(result.added), event=event,
                        already=len(result.already))
        return text(ctx.language, "attend.done", added=len(result.added), event=event)


# -- /pause NAME UNTIL REASON... and /resume NAME: a cadre away for a while (暂停联系) -------------


def pause_until(word: str, ctx: ChatContext) -> dt.date | None:
    """The last day a /pause names: YYYY-MM-DD, or MM-DD as the next such day (today or later);
    None for a word that is no date at all. A date-shaped word that is no real day is refused."""
    if not DATE_LIKE.match(word):
        return None
    parts = [int(p) for p in re.split(r"[-/.]", word)]
    if len(parts) == 3:
        try:
            return dt.date(*parts)
        except ValueError:
            raise CommandRefused(text(ctx.language, "pause.bad_date", value=word)) from None
    month, day = parts
    for year in range(ctx.today.year, ctx.today.year + 9):  # 02-29: the next leap year's
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= ctx.today:
            return candidate
    raise CommandRefused(text(ctx.language, "pause.bad_date", value=word))


class PauseCommand:
    name = "pause"

    def describe(self, language: str) -> str:
        return text(language, "pause.describe")

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str:
        until = pause_until(args[1], ctx) if len(args) >= 3 else None
        if until is None:
            raise CommandRefused(text(ctx.language, "pause.usage"))
        # The chat's own words for what a coordinator can get wrong here (the service says it with
        # the CLI's options); the service checks the same again and refuses the rest.
        if until < ctx.today:
            raise CommandRefused(text(ctx.language, "pause.past", until=until.isoformat(),
                                      today=ctx.today.isoformat()))
        latest = ctx.today + dt.timedelta(days=MAX_PAUSE_DAYS)
        if until > latest:
            raise CommandRefused(text(ctx.language, "pause.too_far", until=until.isoformat(),
                                      latest=latest.isoformat()))
        cadre = find_my_cadre(session, ctx, args[0])
        held = current_pause(session, id_of(cadre), ctx.today)
        if held is not None and held.starts <= until:
            ends = held.until if held.ended_on is None else held.ended_on - dt.timedelta(days=1)
            raise CommandRefused(text(ctx.language, "pause.already", name=cadre.name, starts=held.starts.isoformat(),
                                      until=ends.isoformat(), ref=args[0]))
        try:
            result = pause_cadre(session, cadre, starts=ctx.today, until=until, reason=" ".join(args[2:]),
                                 actor=ctx.actor, today=ctx.today)
        except ValueError as exc:  # the service's CareError (a reason too long ...)
            reason = refusal_reason(ctx.language, exc)
            raise CommandRefused(text(ctx.language, "pause.refused", reason=reason) if reason
                                 else text(ctx.language, "pause.refused_generic")) from None
        values = {"name": cadre.name, "until": result.pause.until.isoformat(), "reason": result.pause.reason}
        if result.cancelled:
            return text(ctx.language, "pause.done_cancelled", count=result.cancelled, **values)
        return text(ctx.language, "pause.done", **values)


class ResumeCommand:
    name = "resume"

    def describe(self, language: str) -> str:
        return text(language, "resume.describe")

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str:
        if len(args) != 1:
            raise CommandRefused(text(ctx.language, "resume.usage"))
        cadre = find_my_cadre(session, ctx, args[0])
        try:
            _pause, reopened = resume_cadre(session, cadre, actor=ctx.actor, today=ctx.today)
        except ValueError as exc:  # the service's CareError: not paused
            reason = refusal_reason(ctx.language, exc)
            raise CommandRefused(text(ctx.language, "resume.refused", reason=reason) if reason
                                 else text(ctx.language, "resume.refused_generic")) from None
        return text(ctx.language, "resume.done", name=cadre.name, count=reopened)


register(ReportCommand())
register(AttendCommand())
register(PauseCommand())
register(ResumeCommand())
