"""Benchmark: plan the heaviest day (first day of a quarter: a call and a visit for every cadre).

Usage:
    python benchmarks/plan_bench.py [--sizes 10000,100000,1000000] [--postgres-url URL]

For each size it builds a synthetic county in a fresh database (not timed), then, each in its own
process so peak memory is that step's alone:
  * set-based: the contact-cadence flow's steps (grid owners, task creation, overdue and
    escalation, digests into the outbox) as the flow runs them;
  * naive: the same day planned one cadre at a time through the ORM (skipped above 100k).
It prints a table of seconds, tasks per second and peak memory, and the cost ratio between sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAY = dt.date(2026, 10, 1)
NAIVE_LIMIT = 100_000
ROOT = Path(__file__).resolve().parent.parent


def _use(url: str) -> None:
    os.environ["YINHUI_DATABASE_URL"] = url
    os.environ["YINHUI_DATA_DIR"] = tempfile.gettempdir()
    from yinhui.settings import reset_settings

    reset_settings()


def build(url: str, size: int) -> dict[str, float]:
    """A county of `size` cadres: ~50 per base grid, ~20 base grids per township, one coordinator each township."""
    _use(url)
    from sqlalchemy import insert, text
    from sqlmodel import SQLModel

    import models  # noqa: F401
    from models.db import get_engine
    from models.grids import Grid
    from models.people import Cadre, Coordinator, CoordinatorGrid

    engine = get_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    base_grids = max(size // 50, 1)
    townships = max(base_grids // 20, 1)
    now = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Grid), [{"id": 1, "name": "老干部局", "level": 1, "kind": "county", "parent_id": None}])
        conn.execute(insert(Grid), [
            {"id": 2 + t, "name": f"镇{t}", "level": 2, "kind": "township", "parent_id": 1} for t in range(townships)
        ])
        first_base = 2 + townships
        conn.execute(insert(Grid), [
            {"id": first_base + g, "name": f"村{g}", "level": 3, "kind": "village", "parent_id": 2 + g % townships}
            for g in range(base_grids)
        ])
        conn.execute(insert(Coordinator), [{"id": 1, "name": "局长", "role": "leader", "channel": "console",
                                            "active": True, "created_at": now}] + [
            {"id": 2 + t, "name": f"网格员{t}", "role": "grid", "channel": "console", "active": True, "created_at": now}
            for t in range(townships)
        ])
        conn.execute(insert(CoordinatorGrid), [{"coordinator_id": 1, "grid_id": 1}] + [
            {"coordinator_id": 2 + t, "grid_id": 2 + t} for t in range(townships)
        ])
        batch = []
        for i in range(size):
            batch.append({
                "id": i + 1, "id_number": f"{i:018d}", "name": f"干部{i}", "gender": "M" if i % 2 else "F",
                "birth_date": dt.date(1930 + i % 36, 1 + i % 12, 1 + i % 28),
                "category": "lixiu" if i % 20 == 0 else "tuixiu", "phones": "", "address": "",
                "grid_id": first_base + i % base_grids, "lives_alone": i % 8 == 0, "hardship": i % 19 == 0,
                "status": "active", "created_at": now, "updated_at": now,
            })
            if len(batch) == 20_000:
                conn.execute(insert(Cadre), batch)
                batch = []
        if batch:
            conn.execute(insert(Cadre), batch)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    return {"cadres": size}


def set_based(url: str, size: int = 0) -> dict[str, float]:
    """The contact-cadence flow's four steps, called as its tasks call them (without Prefect's overhead)."""
    _use(url)
    from flows.digests import write_digests
    from flows.planning_context import planning_context
    from models.db import session_scope
    from yinhui.rules.cadence import due_cadence
    from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
    from yinhui.services.tasks import escalate_overdue, escalation_schedules, mark_overdue

    ctx = planning_context(DAY)
    started = time.perf_counter()
    with session_scope() as session:
        leader = refresh_grid_owners(session).leader_id
    created = 0
    with session_scope() as session:
        for due in due_cadence(ctx.playbook, DAY, ctx.shift_due):
            created += create_cadence_tasks(session, due, day=DAY, prio=ctx.playbook.priority, leader_id=leader,
                                            actor="bench")
    planned = time.perf_counter()
    with session_scope() as session:
        mark_overdue(session, day=DAY, actor="bench")
        escalate_overdue(session=session, day=DAY, schedules=escalation_schedules(ctx.playbook), leader_id=leader, actor="bench")
    digests = write_digests(DAY)
    ended = time.perf_counter()
    return {"tasks": created, "seconds": ended - started, "create_seconds": planned - started, "digests": digests}


def naive(url: str, size: int = 0) -> dict[str, float]:
    """The same day, one cadre at a time through the ORM, as a first version might do it."""
    _use(url)
    from sqlalchemy import select

    from flows.planning_context import planning_context
    from models.db import session_scope
    from models.grids import Grid
    from models.people import Cadre, Coordinator, CoordinatorGrid
    from models.tasks import Task
    from yinhui.rules.cadence import due_cadence, priority_of

    ctx = planning_context(DAY)
    started = time.perf_counter()
    created = 0
    with session_scope() as session:
        leader = session.execute(select(Coordinator.id).where(Coordinator.role == "leader")).scalars().first()
        for cadre in session.execute(select(Cadre).where(Cadre.status == "active")).scalars():
            grid = session.get(Grid, cadre.grid_id)
            owner = None
            for grid_id in (grid.id, grid.parent_id):
                owner = session.execute(
                    select(CoordinatorGrid.coordinator_id).where(CoordinatorGrid.grid_id == grid_id)
                ).scalars().first()
                if owner:
                    break
            for due in due_cadence(ctx.playbook, DAY, ctx.shift_due):
                exists = session.execute(select(Task.id).where(
                    Task.rule == due.rule, Task.subject_id == cadre.id, Task.period == due.period.key)).first()
                if exists:
                    continue
                session.add(Task(kind=due.kind, rule=due.rule, subject_id=cadre.id, period=due.period.key,
                                 cadre_id=cadre.id, window_opens=due.window_opens, due=due.due,
                                 priority=priority_of(ctx.playbook.priority, category=cadre.category,
                                                      birth_date=cadre.birth_date, lives_alone=cadre.lives_alone,
                                                      hardship=cadre.hardship, day=DAY),
                                 assignee_id=owner or leader, created_by="bench"))
                created += 1
    return {"tasks": created, "seconds": time.perf_counter() - started}


def _child(step: str, url: str, size: int) -> dict[str, float]:
    """Run one step in a fresh interpreter and return its figures plus its peak memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, "--url", url, "--size", str(size)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{step} {size} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--postgres-url", default=os.environ.get("YINHUI_BENCH_POSTGRES_URL"))
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    if args.child:
        result = {"build": build, "set": set_based, "naive": naive}[args.child](args.url, args.size) or {}
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="yinhui-bench-"))
    backends = [("sqlite", None)] + ([("postgresql", args.postgres_url)] if args.postgres_url else [])
    rows = []
    for backend, pg_url in backends:
        for size in sizes:
            url = pg_url or f"sqlite:///{workdir / f'bench-{size}.sqlite3'}"
            _child("build", url, size)
            fast = _child("set", url, size)
            rows.append((backend, size, "set-based", fast))
            if size <= NAIVE_LIMIT:
                _child("build", url, size)
                rows.append((backend, size, "naive ORM loop", _child("naive", url, size)))
            else:
                rows.append((backend, size, "naive ORM loop", None))
            if not pg_url:
                for leftover in workdir.glob(f"bench-{size}.sqlite3*"):
                    leftover.unlink()
    print(f"\nplanning {DAY} (first day of a quarter: one call and one visit per cadre)\n")
    print(f"{'backend':<11}{'cadres':>10}  {'method':<16}{'tasks':>10}{'seconds':>10}{'tasks/s':>12}{'peak MB':>10}")
    for backend, size, method, r in rows:
        if r is None:
            print(f"{backend:<11}{size:>10,}  {method:<16}{'skipped (above 100k: would take too long)':>52}")
            continue
        print(f"{backend:<11}{size:>10,}  {method:<16}{int(r['tasks']):>10,}{r['seconds']:>10.2f}"
              f"{r['tasks'] / r['seconds']:>12,.0f}{r['peak_mb']:>10.0f}")
    print()
    for backend, _ in backends:
        fast = [(s, r) for b, s, m, r in rows if b == backend and m == "set-based"]
        for (s1, r1), (s2, r2) in zip(fast, fast[1:], strict=False):
            print(f"{backend}: {s2 // s1}x the cadres took {r2['seconds'] / r1['seconds']:.1f}x the time (set-based)")
        pairs = {s: r for b, s, m, r in rows if b == backend and m == "naive ORM loop" and r}
        for s, r in pairs.items():
            f = next(r2 for s2, r2 in fast if s2 == s)
            print(f"{backend}: at {s:,} cadres the naive loop took {r['seconds'] / f['seconds']:.0f}x the set-based time")


if __name__ == "__main__":
    main()
