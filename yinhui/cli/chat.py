"""`yinhui chat group-invite | undelivered | notices | target add | target list` and `yinhui notice send`:
grid group chats and relatives' groups (亲人群), other targets, undelivered messages, the operator's notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from yinhui.cli.common import (
    CommandError,
    FormatOption,
    _,
    database,
    day_option,
    error_text,
    show_list,
    yes_no,
)
from yinhui.i18n import N_

if TYPE_CHECKING:  # the CLI imports the database layer only when a command runs
    from sqlmodel import Session

    from models.grids import Grid

app = typer.Typer(help=N_("chat channels: grid group chats, relatives' groups, other targets, undelivered messages"))
target = typer.Typer(help=N_("WeCom / DingTalk robots and e-mail (Apprise URLs)"))
notice = typer.Typer(help=N_("notices to a grid's group chats or its relatives' groups (亲人群)"))

Relatives = Annotated[bool, typer.Option("--relatives", help=N_("the grid's relatives' group (亲人群), not its group chat"))]


def _grid(session: Session, ref: str) -> Grid:
    from yinhui.services.grids import GridBook

    grid = GridBook(session).resolve(ref)
    if grid is None:
        raise CommandError(_("grid {grid!r} is not known: write a township as 城关镇 or a base grid as 城关镇/东街村",
                             grid=ref))
    return grid


@app.command("group-invite", help=N_("a one-time code that binds a grid's Telegram group chat (or, with --relatives, its relatives' group)"))
def group_invite(
    grid: Annotated[str, typer.Argument(help=N_("城关镇 or 城关镇/东街村"))],
    days: Annotated[int, typer.Option(help=N_("how long the code stays valid (default 7)"))] = 7,
    relatives: Relatives = False,
) -> int:
    from models.chat import GRID_AUDIENCE, RELATIVES_AUDIENCE
    from yinhui.services.chat import create_invite

    with database() as session:
        found = _grid(session, grid)
        code = create_invite(session, grid_id=found.id, days=days, actor="cli",
                             audience=RELATIVES_AUDIENCE if relatives else GRID_AUDIENCE)
    if relatives:
        print(_("invite code for the relatives' group (亲人群) of grid {grid}: {code} (one use)", grid=grid, code=code))
    else:
        print(_("invite code for the group chat of grid {grid}: {code} (one use)", grid=grid, code=code))
    print("  " + _("add the bot to the group, then send in the group:  /start {code}", code=code))
    return 0


@app.command("undelivered", help=N_("messages that did not reach their recipient, with the reason; and those being sent right now"))
def undelivered(fmt: FormatOption = "table") -> None:

    from yinhui.services.delivery import undelivered_report
    from yinhui.services.outbox import claims_in_flight

    def both(session: Session) -> list[dict[str, Any]]:
        return [*undelivered_report(session), *claims_in_flight(session)]

    def summary(rows: Sequence[Mapping[str, Any]]) -> str:
        held = sum(1 for r in rows if r["status"] in ("sending", "stale"))
        stale = sum(1 for r in rows if r["status"] == "stale")
        line = _("({count} message(s) not delivered; failed ones are retried, dead ones need a fix "
                 "and `yinhui dispatch`)", count=len(rows) - held)
        if held:
            line += "\n" + _("({held} being sent, {stale} of them stale: a stale claim's dispatcher is gone and the "
                             "next `yinhui dispatch` takes it over at once)", held=held, stale=stale)
        return line

    show_list(
        both, fmt, [_("id"), _("recipient"), _("channel"), _("kind"), _("status"), _("tries"), _("reason")],
        lambda r: [r["id"], r["recipient"], r["channel"], r["kind"], r["status"], r["attempts"],
                   (r["reason"] + (f" [{r['holder']}]" if r.get("holder") else ""))[:100]],
        numeric=(0, 5),
        after=summary,
    )


@app.command("notices", help=N_("queue today's grid notices (counts only) for group chats and grid targets (never relatives' groups)"))
def notices(date: Annotated[dt.date | None, day_option("--date", help=N_("the day (default today)"))] = None) -> int:
    from yinhui import clock
    from yinhui.services.grid_notices import queue_grid_notices
    from yinhui.settings import get_settings

    day = date or clock.today()
    with database() as session:
        written = queue_grid_notices(session, day, default_language=get_settings().language)
    print(_("{day}: {count} grid notice(s) queued; `yinhui dispatch` sends them", day=day.isoformat(), count=written))
    return 0


@target.command("add", help=N_("add a target: wecombot://KEY, dingtalk://TOKEN, mailtos://..."))
def target_add(
    url: Annotated[str, typer.Argument(help=N_("wecombot://KEY, dingtalk://TOKEN, mailtos://..."))],
    coordinator: Annotated[str | None, typer.Option(metavar="NAME", help=N_("a coordinator's own channel"))] = None,
    grid: Annotated[str | None, typer.Option(metavar="GRID", help=N_("a grid's channel (counts only)"))] = None,
    label: Annotated[str | None, typer.Option(help=N_("a name to tell targets apart"))] = None,
    relatives: Relatives = False,
) -> int:
    if bool(coordinator) == bool(grid):
        raise typer.BadParameter(_("give one of them, not both"), param_hint="'--coordinator' / '--grid'")
    if relatives and not grid:
        raise typer.BadParameter(_("a relatives' group belongs to a grid"), param_hint="'--relatives'")
    from models.chat import GRID_AUDIENCE, RELATIVES_AUDIENCE
    from notifiers.apprise_channel import TargetError, check_target
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.delivery import add_apprise_target

    try:
        kind = check_target(url)
    except TargetError as exc:
        raise CommandError(error_text(exc)) from None
    with database() as session:
        owner: dict[str, Any]
        if coordinator:
            owner = {"coordinator_id": find_coordinator(session, coordinator).id}
        else:
            owner = {"grid_id": _grid(session, grid or "").id}
        number = add_apprise_target(session, kind=kind, url=url, label=label or "",
                                    audience=RELATIVES_AUDIENCE if relatives else GRID_AUDIENCE, **owner).id
    if coordinator:
        print(_("{kind} target #{number} added for coordinator {name} (their channel is now {kind})", kind=kind,
                number=number, name=coordinator))
    elif relatives:
        print(_("{kind} target #{number} added for the relatives' group (亲人群) of grid {grid}", kind=kind,
                number=number, grid=grid))
    else:
        print(_("{kind} target #{number} added for grid {grid}", kind=kind, number=number, grid=grid))
    return 0


@target.command("list", help=N_("list targets (keys masked)"))
def target_list(fmt: FormatOption = "table") -> None:
    from notifiers.bot.redaction import mask_url
    from yinhui.services.delivery import list_targets

    def owner(row: Mapping[str, Any]) -> str:
        if row["coordinator"]:
            return str(row["coordinator"])
        return _("{grid} (relatives)", grid=row["grid"]) if row.get("audience") == "relatives" else str(row["grid"])

    show_list(
        lambda session: [dict(r, url=mask_url(r["url"])) for r in list_targets(session)], fmt,
        [_("id"), _("kind"), _("for"), _("url"), _("label"), _("active")],
        lambda r: [r["id"], r["kind"], owner(r), r["url"], r["label"], yes_no(r["active"])],
        numeric=(0,),
    )


@notice.command("send", help=N_("queue a notice for a grid's group chats, or with --relatives its relatives' groups (亲人群); text only, never an ID number or a phone number"))
def notice_send(
    text: Annotated[str, typer.Argument(metavar="TEXT", help=N_("the notice: an event invitation, a festival greeting, a policy notice"))],
    grid: Annotated[str, typer.Option(metavar="GRID", help=N_("the grid (and the grids under it): 城关镇 or 城关镇/东街村"))],
    relatives: Relatives = False,
) -> int:
    from yinhui.services.grid_notices import queue_notice
    from yinhui.settings import get_settings

    with database() as session:
        found = _grid(session, grid)
        written = queue_notice(session, found.id or 0, text, relatives=relatives, actor="cli:operator",
                               default_language=get_settings().language)
    which = _("relatives' group(s)") if relatives else _("group chat(s)")
    print(_("notice queued for {count} {which} of {grid}; `yinhui dispatch` sends it", count=written, which=which,
            grid=grid))
    return 0
