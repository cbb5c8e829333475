"""Chat commands other capabilities plug into: `/report` (must-visits, 四必访) and `/attend` (events).

A command here is plain sync code over one database session: it gets the bound coordinator and
the words after the command, and returns the reply text. The bot wraps it (thread, transaction,
language, refusal of strangers), so a capability adds a command by registering one object:

    from notifiers.bot.plugins import register
    register(MyCommand())          # has .name, .describe(language) and .run(session, ctx, args)

`/report` finds the cadre among those the coordinator answers for and hands over to
`yinhui.services.must_visits.report_must_visit`; `/attend` to `yinhui.services.events.record_attendance`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from models.people import Cadre
from models.types import id_of
from yinhui.messages.texts import text
from yinhui.playbook_loader import current_playbook
from yinhui.services.bot_queries import find_my_cadres
from yinhui.services.events import record_attendance
from yinhui.services.must_visits import report_must_visit


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
        cadre = find_my_cadre(session, ctx, args[1])
        note = " ".join(args[2:]) or None
        try:
            task = report_must_visit(session, cadre_id=id_of(cadre), reason=kind, actor=ctx.actor, on=ctx.today,
                                     note=note)
        except ValueError as exc:  # the service's own refusal (an unknown kind, a cadre not active ...)
            raise CommandRefused(text(ctx.language, "report.refused", reason=str(exc).splitlines()[0])) from None
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
            raise CommandRefused(str(exc).splitlines()[0]) from None
        if result.already:
            return text(ctx.language, "attend.done_already", added=len(result.added), event=event,
                        already=len(result.already))
        return text(ctx.language, "attend.done", added=len(result.added), event=event)


register(ReportCommand())
register(AttendCommand())
