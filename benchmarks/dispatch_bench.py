"""Dispatch benchmark: 10,000 digests to 2,000 coordinators over Telegram, against the Bot API stand-in.

Runs the real path — planning, `write_digests`, the outbox's `deliver_batch`, the Telegram channel,
python-telegram-bot over HTTP — against `BotApiStandIn` on 127.0.0.1, which refuses anything above
Telegram's limits (429). Twice: clean, then with 20% of sendMessage requests failing (429 with
retry_after, 500, timeouts, connections dropped before or after the message was accepted).

Batches are dispatched as the `dispatch-outbox` flow does: two in flight, the next claimed as
soon as the oldest is done (`--lanes 1`: one after another).

Prints, per run: messages per second, the largest rate seen per chat, per group and overall,
requests refused by the limits, lost and duplicated messages. Targets: within 10% of the
configured overall rate (sendMessage requests a second, over the whole send phase), never above
a limit, nothing lost, and duplicates only where the stand-in dropped a response after accepting
the message; the last lines give the verdict for each run.

Usage (from the repository root; about six minutes a run at the defaults):

    /work/venv/bin/python benchmarks/dispatch_bench.py
    /work/venv/bin/python benchmarks/dispatch_bench.py --digests 1000 --coordinators 200   # quick look
"""

from __future__ import annotations

import argparse
import contextvars
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.bot_api_standin import FAULT_KINDS, BotApiStandIn, FaultPlan, TelegramLimits  # noqa: E402

START = dt.date(2026, 10, 1)


@dataclass
class RunResult:
    name: str
    messages: int
    sends: int
    seconds: float
    wall_seconds: float
    max_overall: int
    max_chat: int
    max_group_minute: int
    refused_by_limit: int
    lost: int
    duplicates: int
    dropped_after_accept: int
    unexplained_duplicates: int
    faults: Counter[str]
    retried_later: int

    @property
    def rate(self) -> float:
        """Messages accepted per second."""
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def send_rate(self) -> float:
        """sendMessage requests per second, failed ones included: what the limiter paces."""
        return self.sends / self.seconds if self.seconds else 0.0


def _populate(coordinators: int, days: int, groups: int, group_messages: int) -> int:
    """A county of `coordinators` grid coordinators, two cadres each; `days` days of digests."""
    from sqlalchemy import insert
    from sqlmodel import SQLModel

    import models  # noqa: F401
    from flows.digests import write_digests
    from models.chat import GroupChat
    from models.db import get_engine, session_scope
    from models.grids import Grid
    from models.people import Cadre, Coordinator, CoordinatorGrid
    from models.types import utcnow
    from yinhui.playbook_loader import current_playbook
    from yinhui.roster.idcard import make_id_number
    from yinhui.rules.cadence import due_cadence
    from yinhui.services.outbox import enqueue
    from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners

    SQLModel.metadata.create_all(get_engine())
    playbook = current_playbook()
    now = utcnow()
    with session_scope() as s:
        county = Grid(name="老干部局", level=1, kind="county")
        s.add(county)
        s.flush()
        towns = []
        for t in range(max(1, coordinators // 100)):
            town = Grid(name=f"镇{t}", level=2, kind="township", parent_id=county.id)
            s.add(town)
            towns.append(town)
        s.flush()
        leader = Coordinator(name="局长", role="leader", channel="telegram", chat_id=9_000_000)
        s.add(leader)
        s.flush()
        s.add(CoordinatorGrid(coordinator_id=leader.id, grid_id=county.id))
        for i in range(coordinators):
            grid = Grid(name=f"村{i}", level=3, kind="village", parent_id=towns[i % len(towns)].id)
            s.add(grid)
            s.flush()
            person = Coordinator(name=f"网格员{i:05d}", role="grid", channel="telegram", chat_id=10_000 + i)
            s.add(person)
            s.flush()
            s.add(CoordinatorGrid(coordinator_id=person.id, grid_id=grid.id))
            s.execute(insert(Cadre), [
                {"id_number": make_id_number("142623", dt.date(1950, 1, 1) + dt.timedelta(days=i // 250),
                                         (2 * i + k) % 500, "M"),
                 "name": f"老{i}-{k}", "gender": "M", "birth_date": dt.date(1950, 1, 1), "category": "tuixiu",
                 "phones": f"139{i:04d}{k:04d}", "address": "", "grid_id": grid.id, "created_at": now,
                 "updated_at": now, "status": "active", "lives_alone": False, "hardship": False}
                for k in range(2)
            ])
        group_ids = []
        for g in range(groups):
            group = GroupChat(chat_id=-100_000 - g, grid_id=towns[g % len(towns)].id, title=f"群{g}")
            s.add(group)
            s.flush()
            group_ids.append(group.id)
    with session_scope() as s:
        assignment = refresh_grid_owners(s)
        for due in due_cadence(playbook, START):
            create_cadence_tasks(s, due, day=START, prio=playbook.priority, leader_id=assignment.leader_id, actor="bench")
    written = 0
    for d in range(days):
        day = START + dt.timedelta(days=d)
        written += write_digests(day)
        # Group notices spread over the days, as the grid notices would be.
        with session_scope() as s:
            for g, group_id in enumerate(group_ids):
                for k in range(group_messages // days + (1 if d < group_messages % days else 0)):
                    written += enqueue(s, dedupe_key=f"notice:{day}:{g}:{k}", recipient_id=None, channel="telegram",
                                       kind="notice", subject="网格通报", body=f"📣 {day} 网格通报 {g}-{k}\n在办任务若干。",
                                       payload={"group_chat_id": group_id})
    return written


def _drain(limit: int, lanes: int) -> None:
    """deliver_batch as the dispatch-outbox flow runs it: `lanes` batches overlapping, a new one
    claimed as soon as the oldest is done, until a batch comes back short."""
    from flows.deliver import deliver_batch

    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="dispatch-lane") as pool:
        def submit() -> Future[dict[str, int]]:
            # Each lane sees the caller's clock (moved forward for the later runs).
            return pool.submit(contextvars.copy_context().run, deliver_batch, limit)

        running = deque(submit() for _ in range(lanes))
        while running:
            result = running.popleft().result()
            if result.get("claimed", 0) >= limit or result.get("channels_broken"):
                running.append(submit())


def _dispatch_until_empty(limit: int, lanes: int) -> int:
    """Dispatch until nothing is left; failed messages get their retry by moving the clock."""
    import pendulum
    from sqlalchemy import func, select

    from models.db import session_scope
    from models.outbox import FAILED, Notification
    from yinhui import clock

    _drain(limit, lanes)
    retried = 0
    for hours in range(1, 12):  # the outbox's later runs, without waiting for them
        with session_scope() as s:
            left = s.execute(select(func.count()).select_from(Notification).where(Notification.status == FAILED)).scalar_one()
        if not left:
            break
        retried += left
        with clock.frozen_at(pendulum.now("Asia/Shanghai").add(hours=hours)):
            _drain(limit, lanes)
    return retried


def run_once(name: str, args: argparse.Namespace, fault_plan: FaultPlan | None) -> RunResult:
    from sqlalchemy import select

    from models.db import dispose_engines, session_scope
    from models.outbox import Notification
    from notifiers import NOTIFIERS
    from notifiers.rate_limit import ChatLimits
    from notifiers.telegram import TelegramNotifier
    from yinhui.settings import reset_settings

    days = max(1, args.digests // args.coordinators)
    with tempfile.TemporaryDirectory() as tmp, BotApiStandIn(
        fault_plan=fault_plan, enforce_limits=True,
        limits=TelegramLimits(overall_per_second=args.rate, tolerance=0.0),
    ) as api:
        os.environ["YINHUI_DATABASE_URL"] = args.database or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["YINHUI_TELEGRAM_TOKEN"] = api.token
        os.environ["YINHUI_TELEGRAM_API_URL"] = api.base_url
        reset_settings()
        dispose_engines()
        queued = _populate(args.coordinators, days, args.groups, args.group_messages)
        read_timeout = args.read_timeout

        class BenchTelegram(TelegramNotifier):
            def __init__(self) -> None:
                super().__init__(limits=ChatLimits(overall_per_second=args.rate), read_timeout=read_timeout)

        NOTIFIERS["telegram"] = BenchTelegram
        print(f"[{name}] {queued} messages queued; dispatching ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        retried = _dispatch_until_empty(args.batch, args.lanes)
        wall = time.monotonic() - started

        with session_scope() as s:
            rows = s.execute(select(Notification.status, Notification.recipient_id, Notification.body)).all()
        sent = api.sent
        accepted = {(m.chat_id, m.text.split("\n", 1)[0]) for m in sent}
        not_sent = sum(1 for status, _, _ in rows if status != "sent")
        duplicates = api.duplicates()
        unexplained = sum(1 for copies in duplicates.values() if not any(c.response_dropped for c in copies))
        times = sorted(m.accepted_at for m in sent)
        faults = Counter(r.fault for r in api.requests if r.fault)
        refused = sum(1 for r in api.requests if r.status == 429 and r.fault is None)
        missing = max(0, sum(1 for status, _, _ in rows if status == "sent") - len(accepted))
        result = RunResult(
            name=name, messages=len(sent), sends=sum(1 for r in api.requests if r.method == "sendMessage"), seconds=(times[-1] - times[0]) if len(times) > 1 else 0.0,
            wall_seconds=wall, max_overall=api.max_rate_overall(), max_chat=api.max_rate_per_chat(),
            max_group_minute=api.max_per_group_minute(), refused_by_limit=refused, lost=not_sent + missing,
            duplicates=sum(len(c) - 1 for c in duplicates.values()), dropped_after_accept=api.dropped_after_accept,
            unexplained_duplicates=unexplained, faults=faults, retried_later=retried,
        )
        dispose_engines()
    return result


def print_table(results: list[RunResult], args: argparse.Namespace) -> None:
    from yinhui.textable import render

    rows = []
    for r in results:
        rows.append([
            r.name, r.messages, r.sends, f"{r.seconds:.1f}", f"{r.rate:.2f}", f"{r.send_rate:.2f}",
            f"{r.send_rate / args.rate:.1%}",
            f"{r.max_overall}/{args.rate}", f"{r.max_chat}/1", f"{r.max_group_minute}/20", r.refused_by_limit,
            r.lost, r.duplicates, r.dropped_after_accept, r.unexplained_duplicates, r.retried_later,
        ])
    print(render(
        ["run", "accepted", "requests", "seconds", "accepted/s", "requests/s", "of rate", "max 1s overall", "max 1s chat", "max 60s group",
         "429 by limit", "lost", "dupes", "dropped after accept", "unexplained dupes", "retried later"],
        rows, numeric=(1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15),
    ))
    for r in results:
        if r.faults:
            kinds = ", ".join(f"{k} {r.faults.get(k, 0)}" for k in FAULT_KINDS)
            print(f"{r.name}: injected faults: {kinds}")
    ok = all(
        r.max_overall <= args.rate and r.max_chat <= 1 and r.max_group_minute <= 20 and r.lost == 0
        and r.unexplained_duplicates == 0 and r.refused_by_limit == 0 for r in results
    )
    print(f"limits kept, nothing lost, duplicates explained: {'yes' if ok else 'NO'}")
    for r in results:
        fast = r.send_rate >= 0.9 * args.rate
        print(f"{r.name}: requests within 10% of {args.rate}/s: {'yes' if fast else 'NO'} ({r.send_rate / args.rate:.1%})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digests", type=int, default=10_000)
    parser.add_argument("--coordinators", type=int, default=2_000)
    parser.add_argument("--groups", type=int, default=10, help="grid group chats, to exercise 20/min per group")
    parser.add_argument("--group-messages", type=int, default=25, help="notices per group chat")
    parser.add_argument("--rate", type=int, default=30, help="overall messages per second (Telegram: 30)")
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--read-timeout", type=float, default=1.5, help="client read timeout, seconds")
    parser.add_argument("--batch", type=int, default=500, help="messages claimed per outbox batch")
    parser.add_argument("--lanes", type=int, default=2,
                        help="outbox batches in flight at once (the dispatch-outbox flow overlaps 2; 1: one after another)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=["clean", "faults"])
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    results = []
    if args.only in (None, "clean"):
        results.append(run_once("clean", args, None))
    if args.only in (None, "faults"):
        plan = FaultPlan(rate=args.fault_rate, retry_after=1, timeout_seconds=args.read_timeout + 0.5, seed=args.seed)
        results.append(run_once(f"{args.fault_rate:.0%} faults", args, plan))
    print_table(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
