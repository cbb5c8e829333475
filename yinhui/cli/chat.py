"""`yinhui chat group-invite | undelivered | notices | target add | target list`: grid group chats, other targets, undelivered messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from yinhui.cli.common import CommandError, FormatOption, database, day_option, show_list

if TYPE_CHECKING:  # the CLI imports the database layer only when a command runs
    from sqlmodel import Session

    from models.grids import Grid

app = typer.Typer(help="chat channels: grid group chats, other targets, undelivered messages")
target = typer.Typer(help="WeCom / DingTalk robots and e-mail (Apprise URLs)")


def _grid(session: Session, ref: str) -> Grid:
    from yinhui.services.grids import GridBook

    grid = GridBook(session).resolve(ref)
    if grid is None:
        raise CommandError(f"grid {ref!r} is not known: write a township as 城关镇 or a base grid as 城关镇/东街村")
    return grid


@app.command("group-invite")
def group_invite(
    grid: Annotated[str, typer.Argument(help="城关镇 or 城关镇/东街村")],
    days: Annotated[int, typer.Option(help="how long the code stays valid (default 7)")] = 7,
) -> int:
    """a one-time code that binds a grid's Telegram group chat"""
    from yinhui.services.chat import create_invite
    from yinhui.services.errors import ChatError

    with database() as session:
        found = _grid(session, grid)
        try:
            code = create_invite(session, grid_id=found.id, days=days, actor="cli")
        except ChatError as exc:
            raise CommandError(str(exc)) from None
    print(f"invite code for the group chat of grid {grid}: {code} (one use)")
    print(f"  add the bot to the group, then send in the group:  /start {code}")
    return 0


@app.command("undelivered")
def undelivered(fmt: FormatOption = "table") -> None:
    """messages that did not reach their recipient, with the reason; and those being sent right now"""

    from yinhui.services.delivery import undelivered_report
    from yinhui.services.outbox import claims_in_flight

    def both(session: Session) -> list[dict[str, Any]]:
        return [*undelivered_report(session), *claims_in_flight(session)]

    def summary(rows: Sequence[Mapping[str, Any]]) -> str:
        held = sum(1 for r in rows if r["status"] in ("sending", "stale"))
        stale = sum(1 for r in rows if r["status"] == "stale")
        line = (f"({len(rows) - held} message(s) not delivered; failed ones are retried, dead ones need a fix "
                "and `yinhui dispatch`)")
        if held:
            line += (f"\n({held} being sent, {stale} of them stale: a stale claim's dispatcher is gone and the "
                     "next `yinhui dispatch` takes it over at once)")
        return line

    show_list(
        both, fmt, ["id", "recipient", "channel", "kind", "status", "tries", "reason"],
        lambda r: [r["id"], r["recipient"], r["channel"], r["kind"], r["status"], r["attempts"],
                   (r["reason"] + (f" [{r['holder']}]" if r.get("holder") else ""))[:100]],
        numeric=(0, 5),
        after=summary,
    )


@app.command("notices")
def notices(date: Annotated[dt.date | None, day_option("--date", help="the day (default today)")] = None) -> int:
    """queue today's grid notices (counts only) for group chats and grid targets"""
    from yinhui import clock
    from yinhui.services.grid_notices import queue_grid_notices
    from yinhui.settings import get_settings

    day = date or clock.today()
    with database() as session:
        written = queue_grid_notices(session, day, default_language=get_settings().language)
    print(f"{day.isoformat()}: {written} grid notice(s) queued; `yinhui dispatch` sends them")
    return 0


@target.command("add")
def target_add(
    url: Annotated[str, typer.Argument(help="wecombot://KEY, dingtalk://TOKEN, mailtos://...")],
    coordinator: Annotated[str | None, typer.Option(metavar="NAME", help="a coordinator's own channel")] = None,
    grid: Annotated[str | None, typer.Option(metavar="GRID", help="a grid's channel (counts only)")] = None,
    label: Annotated[str | None, typer.Option(help="a name to tell targets apart")] = None,
) -> int:
    """add a target: wecombot://KEY, dingtalk://TOKEN, mailtos://..."""
    if bool(coordinator) == bool(grid):
        raise typer.BadParameter("give one of them, not both", param_hint="'--coordinator' / '--grid'")
    from notifiers.apprise_channel import TargetError, check_target
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.delivery import add_apprise_target

    try:
        kind = check_target(url)
    except TargetError as exc:
        raise CommandError(str(exc)) from None
    with database() as session:
        owner: dict[str, Any]
        if coordinator:
            owner = {"coordinator_id": find_coordinator(session, coordinator).id}
        else:
            owner = {"grid_id": _grid(session, grid or "").id}
        number = add_apprise_target(session, kind=kind, url=url, label=label or "", **owner).id
    whom = f"coordinator {coordinator} (their channel is now {kind})" if coordinator else f"grid {grid}"
    print(f"{kind} target #{number} added for {whom}")
    return 0


@target.command("list")
def target_list(fmt: FormatOption = "table") -> None:
    """list targets (keys masked)"""
    from notifiers.bot.redaction import mask_url
    from yinhui.services.delivery import list_targets

    show_list(
        lambda session: [dict(r, url=mask_url(r["url"])) for r in list_targets(session)], fmt,
        ["id", "kind", "for", "url", "label", "active"],
        lambda r: [r["id"], r["kind"], r["coordinator"] or r["grid"], r["url"], r["label"], "yes" if r["active"] else "no"],
        numeric=(0,),
    )
