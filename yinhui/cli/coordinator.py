"""`yinhui coordinator add | list | invite | deactivate | activate`: the people who carry out the tasks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import typer

from yinhui.cli.common import ACTOR, CommandError, FormatOption, database, show_list

app = typer.Typer(help="add, list, invite, deactivate or activate coordinators")

Role = Literal["staff", "grid", "leader"]


@app.command("add")
def add(
    name: str,
    role: Annotated[Role, typer.Option(help="staff, grid or leader")],
    grid: Annotated[list[str] | None, typer.Option(help="a grid they answer for: 城关镇 or 城关镇/东街村 (repeat)")] = None,
    phone: Annotated[str | None, typer.Option(help="a mobile or a landline")] = None,
) -> int:
    """add a coordinator"""
    from yinhui.roster.fields import FieldError, parse_phone
    from yinhui.services.coordinators import save_coordinator

    parsed = None
    if phone:
        try:
            parsed = parse_phone(phone)
        except FieldError as exc:
            raise CommandError(f"--phone: {exc}") from None
    with database() as session:
        coordinator = save_coordinator(session, name=name, role=role, grids=grid or [], phone=parsed)
        print(f"coordinator #{coordinator.id} {coordinator.name} ({coordinator.role}) added")
    return 0


@app.command("list")
def list_(fmt: FormatOption = "table") -> None:
    """list coordinators"""
    from yinhui.services.coordinators import list_coordinators

    show_list(
        list_coordinators, fmt, ["id", "name", "role", "grids", "named cadres", "channel", "active"],
        lambda r: [r["id"], r["name"], r["role"], ", ".join(r["grids"]), r["named_cadres"], r["channel"],
                   "yes" if r["active"] else "no (left)"],
        numeric=(0, 4),
    )


@app.command("invite")
def invite(
    name: str,
    days: Annotated[int, typer.Option(help="how long the code stays valid (default 7)")] = 7,
) -> int:
    """a one-time code that binds a coordinator's Telegram chat"""
    from yinhui.services.chat import create_invite
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.errors import ChatError

    with database() as session:
        coordinator = find_coordinator(session, name)
        if not coordinator.active:
            raise CommandError(f"coordinator {coordinator.name!r} is not active")
        try:
            code = create_invite(session, coordinator_id=coordinator.id, days=days, actor="cli")
        except ChatError as exc:
            raise CommandError(str(exc)) from None
        who = coordinator.name
    until = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    print(f"invite code for {who}: {code} (one use, valid until about {until})")
    print(f"  in Telegram, open the bureau's bot and send:  /start {code}")
    return 0


def _set_active(name: str, *, active: bool) -> int:
    from yinhui.services.handover import set_coordinator_active

    with database() as session:
        handover = set_coordinator_active(session, name, active=active, actor=ACTOR)
    verb = "is active again" if active else "is inactive: no new tasks, digests or chat replies"
    print(f"{handover.coordinator} {verb}; {handover.moved} live task(s) handed to whoever answers for them now")
    if handover.still_held:
        print(f"  {handover.still_held} task(s) without a cadre (lectures, writing group) move at the next "
              "`yinhui plan`")
    if handover.uncovered:
        shown = ", ".join(handover.uncovered[:10]) + (" ..." if len(handover.uncovered) > 10 else "")
        print(f"  {len(handover.uncovered)} base grid(s) now have no coordinator (their tasks go to a leader): {shown}")
    return 0


@app.command("deactivate")
def deactivate(name: str) -> int:
    """a coordinator left: hand their live tasks over, send them nothing more"""
    return _set_active(name, active=False)


@app.command("activate")
def activate(name: str) -> int:
    """bring a deactivated coordinator back"""
    return _set_active(name, active=True)
