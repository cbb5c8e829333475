"""`yinhui coordinator add | list | invite | sign-out | deactivate | activate`: the people who carry out the tasks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import typer

from yinhui.cli.common import ACTOR, CommandError, FormatOption, _, database, error_text, show_list
from yinhui.i18n import N_

app = typer.Typer(help=N_("add, list, invite, sign out, deactivate or activate coordinators"))

Role = Literal["staff", "grid", "leader"]


@app.command("add", help=N_("add a coordinator"))
def add(
    name: Annotated[str, typer.Argument(help=N_("the coordinator's name"))],
    role: Annotated[Role, typer.Option(help=N_("staff, grid or leader"))],
    grid: Annotated[list[str] | None, typer.Option(help=N_("a grid they answer for: 城关镇 or 城关镇/东街村 (repeat)"))] = None,
    phone: Annotated[str | None, typer.Option(help=N_("a mobile or a landline"))] = None,
) -> int:
    from yinhui.roster.fields import FieldError, parse_phone
    from yinhui.services.coordinators import save_coordinator

    parsed = None
    if phone:
        try:
            parsed = parse_phone(phone)
        except FieldError as exc:
            raise CommandError(_("--phone: {problem}", problem=error_text(exc))) from None
    with database() as session:
        coordinator = save_coordinator(session, name=name, role=role, grids=grid or [], phone=parsed)
        print(_("coordinator #{id} {name} ({role}) added", id=coordinator.id, name=coordinator.name, role=coordinator.role))
    return 0


@app.command("list", help=N_("list coordinators"))
def list_(fmt: FormatOption = "table") -> None:
    from yinhui.services.coordinators import list_coordinators

    show_list(
        list_coordinators, fmt, [_("id"), _("name"), _("role"), _("grids"), _("named cadres"), _("channel"), _("active")],
        lambda r: [r["id"], r["name"], r["role"], ", ".join(r["grids"]), r["named_cadres"], r["channel"],
                   _("yes") if r["active"] else _("no (left)")],
        numeric=(0, 4),
    )


@app.command("invite", help=N_("a one-time code that binds a coordinator's Telegram chat or a browser (the task page)"))
def invite(
    name: Annotated[str, typer.Argument(help=N_("the coordinator's name"))],
    days: Annotated[int, typer.Option(help=N_("how long the code stays valid (default 7)"))] = 7,
) -> int:
    from yinhui.services.chat import create_invite
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.errors import ChatError
    from yinhui.web.serving import page_address

    with database() as session:
        coordinator = find_coordinator(session, name)
        if not coordinator.active:
            raise CommandError(_("coordinator {name!r} is not active", name=coordinator.name))
        try:
            code = create_invite(session, coordinator_id=coordinator.id, days=days, actor="cli")
        except ChatError as exc:
            raise CommandError(error_text(exc)) from None
        who = coordinator.name
    until = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    print(_("invite code for {name}: {code} (one use, valid until about {until})", name=who, code=code, until=until))
    print(_("  in Telegram, open the bureau's bot and send:  /start {code}", code=code))
    print(_("  in a browser (WeChat, WeCom, DingTalk or any other), open {url} and type the code", url=page_address("/bind")))
    return 0



@app.command("sign-out", help=N_("sign out every browser bound to a coordinator (a lost phone); Telegram stays bound"))
def sign_out(name: Annotated[str, typer.Argument(help=N_("the coordinator's name"))]) -> int:
    from yinhui.services.coordinators import find_coordinator, sign_out_browsers

    with database() as session:
        coordinator = find_coordinator(session, name)
        sign_out_browsers(session, coordinator)
        who = coordinator.name
    print(_("every browser bound to {name} is signed out; a new code binds one again "
            "(`yinhui coordinator invite {name}`)", name=who))
    return 0


def _set_active(name: str, *, active: bool) -> int:
    from yinhui.services.handover import set_coordinator_active

    with database() as session:
        handover = set_coordinator_active(session, name, active=active, actor=ACTOR)
    if active:
        print(_("{name} is active again; {moved} live task(s) handed to whoever answers for them now",
                name=handover.coordinator, moved=handover.moved))
    else:
        print(_("{name} is inactive: no new tasks, digests or chat replies; {moved} live task(s) handed to whoever "
                "answers for them now", name=handover.coordinator, moved=handover.moved))
    if handover.still_held:
        print(_("  {count} task(s) without a cadre (lectures, writing group) move at the next `yinhui plan`",
                count=handover.still_held))
    if handover.uncovered:
        shown = ", ".join(handover.uncovered[:10]) + (" ..." if len(handover.uncovered) > 10 else "")
        print(_("  {count} base grid(s) now have no coordinator (their tasks go to a leader): {grids}",
                count=len(handover.uncovered), grids=shown))
    return 0


@app.command("deactivate", help=N_("a coordinator left: hand their live tasks over, send them nothing more"))
def deactivate(name: Annotated[str, typer.Argument(help=N_("the coordinator's name"))]) -> int:
    return _set_active(name, active=False)


@app.command("activate", help=N_("bring a deactivated coordinator back"))
def activate(name: Annotated[str, typer.Argument(help=N_("the coordinator's name"))]) -> int:
    return _set_active(name, active=True)
