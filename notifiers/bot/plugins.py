"""Chat commands other capabilities plug into: `/report` (must-visits, 四必访) and `/attend` (events).

A command here is plain sync code over one database session: it gets the bound coordinator and
the words after the command, and returns the reply text. The bot wraps it (thread, transaction,
language, refusal of strangers), so a capability adds a command by registering one object:

    from notifiers.bot.plugins import register
    register(MyCommand())          # has .name, .describe(language) and .run(session, ctx, args)

`/report` and `/attend` are registered here already: `/report` finds the cadre among those the
coordinator answers for and hands over to `models.must_visits.report_must_visit`; `/attend` to
`models.events.record_attendance`. Each service is looked up when the command runs, so a missing
one gets a polite "not available yet" instead of an error.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlmodel import Session, col

from models.grids import Grid
from models.people import ACTIVE, Cadre, CoordinatorGrid
from models.tasks import LIVE_STATUSES, Task


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


def _t(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


# -- finding a cadre the coordinator answers for ------------------------------------------------


def cadre_scope(coordinator_id: int) -> Any:
    """SQL condition: cadres this coordinator answers for (named, in their grids, or on their list)."""
    held = select(col(CoordinatorGrid.grid_id)).where(col(CoordinatorGrid.coordinator_id) == coordinator_id)
    under_held = select(col(Grid.id)).where(col(Grid.parent_id).in_(held))
    on_list = select(col(Task.cadre_id)).where(
        col(Task.status).in_(LIVE_STATUSES),
        or_(col(Task.assignee_id) == coordinator_id, col(Task.escalated_to_id) == coordinator_id),
    )
    return or_(
        col(Cadre.coordinator_id) == coordinator_id,
        col(Cadre.grid_id).in_(held),
        col(Cadre.grid_id).in_(under_held),
        col(Cadre.id).in_(on_list),
    )


def find_my_cadre(session: Session, ctx: ChatContext, ref: str) -> Cadre:
    """A cadre by name or #id, among those the coordinator answers for; ambiguity is refused."""
    text = ref.strip()
    query = select(Cadre).where(cadre_scope(ctx.coordinator_id), col(Cadre.status) == ACTIVE)
    if text.lstrip("#").isdigit() and len(text.lstrip("#")) < 10:
        query = query.where(col(Cadre.id) == int(text.lstrip("#")))
    else:
        query = query.where(col(Cadre.name) == text)
    found = list(session.execute(query.order_by(col(Cadre.id)).limit(6)).scalars())
    if not found:
        raise CommandRefused(_t(ctx.language, f"在您负责的老干部中没有找到“{text}”。",
                                f"No cadre called {text!r} among those you look after."))
    if len(found) > 1:
        options = "、".join(f"#{c.id}" for c in found[:5])
        raise CommandRefused(_t(ctx.language, f"有多位“{text}”：{options}，请改用编号，例如 /report 住院 #{found[0].id}",
                                f"Several cadres are called {text!r}: {options}; use the number instead."))
    return found[0]


# -- /report KIND CADRE: must-visits (四必访) -----------------------------------------------------

MUST_VISIT_KINDS = {
    "hospitalisation": ("住院", "生病", "生病住院", "hospital", "hospitalisation", "hospitalization"),
    "family_event": ("家事", "大事", "家有大事", "family", "family_event"),
    "hardship": ("困难", "特殊困难", "hardship"),
    "death": ("去世", "逝世", "病故", "death", "deceased"),
}
# The must-visit service (models.must_visits): report_must_visit(session, *, cadre_id, reason, actor, on,
# note=None) -> Task | None, raising a ValueError (CareError) on bad input.
MUST_VISIT_SERVICE = ("yinhui.services.must_visits", "report_must_visit")


def _service(spec: tuple[str, str]) -> Callable[..., Any] | None:
    module_name, attribute = spec
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    found = getattr(module, attribute, None)
    return found if callable(found) else None


def must_visit_kind(word: str) -> str | None:
    lowered = word.strip().lower()
    for kind, words in MUST_VISIT_KINDS.items():
        if lowered in words:
            return kind
    return None


class ReportCommand:
    name = "report"

    def describe(self, language: str) -> str:
        return _t(language, "/report 类型 姓名 [说明] — 上报必访（住院、家事、困难、去世）",
                  "/report KIND NAME [NOTE] — report a must-visit (hospital, family, hardship, death)")

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str:
        if len(args) < 2:
            raise CommandRefused(_t(ctx.language, "用法：/report 住院|家事|困难|去世 姓名 [说明]，例如 /report 住院 张老 县医院",
                                    "Usage: /report hospital|family|hardship|death NAME [NOTE]"))
        # Our words map to the four kinds; any other word goes to the service, which knows more
        # (出院 discharged, 婚事 ...) and refuses what it does not know.
        kind = must_visit_kind(args[0]) or args[0]
        cadre = find_my_cadre(session, ctx, args[1])
        note = " ".join(args[2:]) or None
        service = _service(MUST_VISIT_SERVICE)
        if service is None:
            raise CommandRefused(_t(ctx.language, "必访上报功能尚未开通，请暂时电话告知局里。",
                                    "Must-visit reports are not available yet; please phone the bureau."))
        try:
            task = service(session, cadre_id=cadre.id, reason=kind, actor=ctx.actor, on=ctx.today, note=note)
        except ValueError as exc:  # the service's own refusal (an unknown kind, a cadre not active ...)
            raise CommandRefused(_t(ctx.language, "未能上报：", "Not reported: ") + str(exc).splitlines()[0]) from None
        number = getattr(task, "id", None)
        return _t(ctx.language, f"已上报：{cadre.name}（{args[0]}）" + (f"，必访任务 #{number}" if number else ""),
                  f"Reported: {cadre.name} ({args[0]})" + (f", must-visit task #{number}" if number else ""))


# -- /attend EVENT NAME...: attendance at an event --------------------------------------------------

ATTENDANCE_SERVICE = ("yinhui.services.events", "record_attendance")


class AttendCommand:
    name = "attend"

    def describe(self, language: str) -> str:
        return _t(language, "/attend 活动编号 姓名… — 登记老干部参加活动",
                  "/attend EVENT NAME... — record who attended an event")

    def run(self, session: Session, ctx: ChatContext, args: list[str]) -> str:
        if len(args) < 2 or not args[0].lstrip("#").isdigit():
            raise CommandRefused(_t(ctx.language, "用法：/attend 活动编号 姓名…，例如 /attend 3 张老 李老",
                                    "Usage: /attend EVENT_NUMBER NAME..., e.g. /attend 3 Zhang Li"))
        service = _service(ATTENDANCE_SERVICE)
        if service is None:
            raise CommandRefused(_t(ctx.language, "活动签到功能尚未开通。", "Attendance is not available yet."))
        from yinhui.playbook_loader import current_playbook

        cadres = [find_my_cadre(session, ctx, ref) for ref in args[1:]]
        try:
            result = service(session, int(args[0].lstrip("#")), [c.id for c in cadres],
                             playbook=current_playbook(), today=ctx.today, actor=ctx.actor)
        except ValueError as exc:  # the events service's CalendarError
            raise CommandRefused(str(exc).splitlines()[0]) from None
        added = len(getattr(result, "added", []))
        already = len(getattr(result, "already", []))
        return _t(ctx.language, f"已登记 {added} 人参加活动 #{args[0].lstrip('#')}" + (f"（{already} 人此前已登记）" if already else ""),
                  f"Recorded {added} attendee(s) of event #{args[0].lstrip('#')}" + (f" ({already} already)" if already else ""))


register(ReportCommand())
register(AttendCommand())
