"""Chat commands: `yinhui bot`, `yinhui coordinator invite NAME`, and `yinhui chat ...` (groups, targets, report)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from typing import TYPE_CHECKING

from yinhui.cli import CommandError, _day, _print_json, _require_schema

if TYPE_CHECKING:  # the CLI imports the database layer only when a command runs
    from sqlmodel import Session

    from models.grids import Grid


def add_invite_action(csub: argparse._SubParsersAction) -> None:
    """`yinhui coordinator invite NAME`: attached to the `coordinator` group by yinhui.cli."""
    invite = csub.add_parser("invite", help="a one-time code that binds a coordinator's Telegram chat")
    invite.add_argument("name")
    invite.add_argument("--days", type=int, default=7, help="how long the code stays valid (default 7)")
    invite.set_defaults(handler=cmd_coordinator_invite)


def _print_code(code: str, days: int, who: str) -> None:
    until = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    print(f"invite code for {who}: {code} (one use, valid until about {until})")
    print(f"  in Telegram, open the bureau's bot and send:  /start {code}")


def cmd_coordinator_invite(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.chat import create_invite
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.errors import ChatError

    _require_schema()
    with session_scope() as session:
        coordinator = find_coordinator(session, args.name)
        if not coordinator.active:
            raise CommandError(f"coordinator {coordinator.name!r} is not active")
        try:
            code = create_invite(session, coordinator_id=coordinator.id, days=args.days, actor="cli")
        except ChatError as exc:
            raise CommandError(str(exc)) from None
        name = coordinator.name
    _print_code(code, args.days, name)
    return 0


def _grid(session: Session, ref: str) -> Grid:
    from yinhui.services.grids import GridBook

    grid = GridBook(session).resolve(ref)
    if grid is None:
        raise CommandError(f"grid {ref!r} is not known: write a township as 城关镇 or a base grid as 城关镇/东街村")
    return grid


def cmd_group_invite(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.chat import create_invite
    from yinhui.services.errors import ChatError

    _require_schema()
    with session_scope() as session:
        grid = _grid(session, args.grid)
        try:
            code = create_invite(session, grid_id=grid.id, days=args.days, actor="cli")
        except ChatError as exc:
            raise CommandError(str(exc)) from None
    print(f"invite code for the group chat of grid {args.grid}: {code} (one use)")
    print(f"  add the bot to the group, then send in the group:  /start {code}")
    return 0


def cmd_undelivered(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.services.delivery import undelivered_report

    _require_schema()
    with session_scope() as session:
        rows = undelivered_report(session)
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(
        ["id", "recipient", "channel", "kind", "status", "tries", "reason"],
        [[r["id"], r["recipient"], r["channel"], r["kind"], r["status"], r["attempts"], r["reason"][:80]] for r in rows],
        numeric=(0, 5),
    ))
    print(f"({len(rows)} message(s) not delivered; failed ones are retried, dead ones need a fix and `yinhui dispatch`)")
    return 0


def cmd_target_add(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from notifiers.apprise_channel import TargetError, check_target
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.delivery import add_apprise_target

    _require_schema()
    try:
        kind = check_target(args.url)
    except TargetError as exc:
        raise CommandError(str(exc)) from None
    with session_scope() as session:
        if args.coordinator:
            owner = {"coordinator_id": find_coordinator(session, args.coordinator).id}
        else:
            owner = {"grid_id": _grid(session, args.grid).id}
        target = add_apprise_target(session, kind=kind, url=args.url, label=args.label or "", **owner)
        number = target.id
    whom = f"coordinator {args.coordinator} (their channel is now {kind})" if args.coordinator else f"grid {args.grid}"
    print(f"{kind} target #{number} added for {whom}")
    return 0


def cmd_target_list(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from notifiers.bot.redaction import mask_url
    from yinhui import textable
    from yinhui.services.delivery import list_targets

    _require_schema()
    with session_scope() as session:
        rows = [dict(r, url=mask_url(r["url"])) for r in list_targets(session)]
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(
        ["id", "kind", "for", "url", "label", "active"],
        [[r["id"], r["kind"], r["coordinator"] or r["grid"], r["url"], r["label"], "yes" if r["active"] else "no"]
         for r in rows],
        numeric=(0,),
    ))
    return 0


def cmd_notices(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from notifiers.telegram_render import render_grid_notice
    from yinhui import clock
    from yinhui.services.grid_notices import queue_grid_notices
    from yinhui.settings import get_settings

    _require_schema()
    day = args.date or clock.today()
    with session_scope() as session:
        written = queue_grid_notices(session, day, render=render_grid_notice, default_language=get_settings().language)
    print(f"{day.isoformat()}: {written} grid notice(s) queued; `yinhui dispatch` sends them")
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from notifiers.base import NotifyError
    from notifiers.bot.app import run_bot
    from notifiers.bot.redaction import install_log_redaction
    from notifiers.telegram import api_base_url, resolve_token

    _require_schema()
    try:
        token = resolve_token()
    except NotifyError as exc:
        raise CommandError(str(exc)) from None
    install_log_redaction(token)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    mode = f"webhook {args.webhook}" if args.webhook else "long polling"
    print(f"yinhui bot: serving via {mode}; Ctrl-C stops", file=sys.stderr, flush=True)
    run_bot(token=token, base_url=api_base_url(), webhook_url=args.webhook, listen=args.listen, port=args.port,
            poll_timeout=args.poll_timeout)
    print("yinhui bot: stopped", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    bot = sub.add_parser("bot", help="run the Telegram bot (long polling, or a webhook with --webhook URL)",
                         description="Run the Telegram bot beside the flows, until Ctrl-C or SIGTERM.")
    bot.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts updates to (default: long polling)")
    bot.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on (default 0.0.0.0)")
    bot.add_argument("--port", type=int, default=8443, help="webhook: port to listen on (default 8443)")
    bot.add_argument("--poll-timeout", type=int, default=30, help="polling: seconds one getUpdates may wait")
    bot.set_defaults(handler=cmd_bot)

    chat = sub.add_parser("chat", help="chat channels: grid group chats, other targets, undelivered messages")
    csub = chat.add_subparsers(dest="action", required=True, metavar="ACTION")
    invite = csub.add_parser("group-invite", help="a one-time code that binds a grid's Telegram group chat")
    invite.add_argument("grid", help="城关镇 or 城关镇/东街村")
    invite.add_argument("--days", type=int, default=7)
    invite.set_defaults(handler=cmd_group_invite)
    report = csub.add_parser("undelivered", help="messages that did not reach their recipient, with the reason")
    report.add_argument("--format", choices=["table", "json"], default="table")
    report.set_defaults(handler=cmd_undelivered)
    notices = csub.add_parser("notices", help="queue today's grid notices (counts only) for group chats and grid targets")
    notices.add_argument("--date", type=_day)
    notices.set_defaults(handler=cmd_notices)
    target = csub.add_parser("target", help="WeCom / DingTalk robots and e-mail (Apprise URLs)")
    tsub = target.add_subparsers(dest="target_action", required=True, metavar="ACTION")
    add = tsub.add_parser("add", help="add a target: wecombot://KEY, dingtalk://TOKEN, mailtos://...")
    owner = add.add_mutually_exclusive_group(required=True)
    owner.add_argument("--coordinator", metavar="NAME")
    owner.add_argument("--grid", metavar="GRID")
    add.add_argument("url")
    add.add_argument("--label")
    add.set_defaults(handler=cmd_target_add)
    lst = tsub.add_parser("list", help="list targets (keys masked)")
    lst.add_argument("--format", choices=["table", "json"], default="table")
    lst.set_defaults(handler=cmd_target_list)
