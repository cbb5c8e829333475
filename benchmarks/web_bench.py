"""Task page benchmark: 50 coordinators at once on the demo county, over loopback.

Builds the demo county (`yinhui demo --days 3`, about 2,000 cadres and the quarter's first
days planned) in a temporary directory, serves the task page from a child process with uvicorn
(`yinhui web` does the same), binds 50 browsers, one per coordinator with the most open tasks,
each with its own one-time code, then lets them work at once with httpx: each loads its page
(我的任务) `--pages` times and presses an answer button (已走访, 接通, ...) on `--presses` of
its tasks, each press followed by the page again, as a browser would after the redirect.

Two rounds on the same server, one after the other:

- **at a person's pace**: each browser waits between its requests as someone reading the page
  and tapping would, a random 0.5-1.5 × `--pace` seconds (1 s on average: 50 people tapping once
  a second each, far busier than a county's coordinators ever are). The p99 ≤ 100 ms target is
  for this round.
- **flat out**: no wait at all, every browser sends its next request the moment the last one is
  answered. This measures what the server can carry (requests a second) and how latency grows
  once it is saturated: with 50 requests always in flight, each waits for the ones ahead of it.

With `--postgresql URL` the same county is also copied row for row into a new schema of that
PostgreSQL database (dropped at the end), before any round runs, and the rounds run again on a
server reading it (4 worker threads there, 2 on SQLite: `YINHUI_WEB_THREADS`'s defaults).

Prints, per database and round, the latency of the page and of a press (p50, p95, p99, max), the
requests per second and the machine's load average.

Usage (from the repository root; about two minutes):

    .venv/bin/python benchmarks/web_bench.py
    .venv/bin/python benchmarks/web_bench.py --clients 10 --pages 5 --presses 2   # quick look
    .venv/bin/python benchmarks/web_bench.py --rounds paced                    # the target's round only
    .venv/bin/python benchmarks/web_bench.py --postgresql postgresql+psycopg://yinhui:yinhui@127.0.0.1/yinhui_test
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = dt.date(2026, 10, 1)
DAYS = 3
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ANSWER = re.compile(r'action="/tasks/(\d+)/answer".*?value="([a-z]+)"', re.S)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(port: int, day: dt.date) -> None:
    """The child process: the task page on the demo database, its clock on the demo's last day."""
    from yinhui import clock
    from yinhui.web.app import create_app
    from yinhui.web.serving import serve

    with clock.frozen_at(day):
        serve(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _busiest(count: int) -> list[int]:
    """``count`` browsers' coordinators: the active ones, those with the most live tasks first; more
    browsers than coordinators go round again (a phone and a desktop of the same coordinator)."""
    from sqlalchemy import func, select

    from models.db import session_scope
    from models.people import Coordinator
    from models.tasks import LIVE_STATUSES, Task

    with session_scope(read_only=True) as session:
        load = (select(Task.assignee_id, func.count().label("n")).where(Task.status.in_(LIVE_STATUSES))
                .group_by(Task.assignee_id).subquery())
        ids = list(session.execute(
            select(Coordinator.id).outerjoin(load, load.c.assignee_id == Coordinator.id)
            .where(Coordinator.active).order_by(func.coalesce(load.c.n, 0).desc(), Coordinator.id)).scalars())
    return [ids[i % len(ids)] for i in range(count)]


def _code(coordinator_id: int) -> str:
    from models.db import session_scope
    from yinhui.services.chat import create_invite

    with session_scope() as session:
        return create_invite(session, coordinator_id=coordinator_id, actor="bench")


def _percentiles(samples: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return cuts[49], cuts[94], cuts[98], ordered[-1]


async def _bind(client: Any, coordinator_id: int) -> None:
    token = CSRF.search((await client.get("/bind")).text).group(1)
    bound = await client.post("/bind", data={"csrf": token, "code": _code(coordinator_id)})
    assert bound.status_code == 303, bound.text


async def _work(client: Any, pages: int, presses: int, pace: float, timings: dict[str, list[float]],
                refused: list[int]) -> None:
    async def think() -> None:  # someone reading the page before the next tap
        if pace:
            await asyncio.sleep(pace * random.uniform(0.5, 1.5))

    html = ""
    await think()  # the browsers do not all start in the same instant
    for _ in range(pages):
        await think()
        started = time.perf_counter()
        response = await client.get("/tasks")
        timings["page"].append(time.perf_counter() - started)
        assert response.status_code == 200
        html = response.text
    for task_id, outcome in ANSWER.findall(html)[:presses]:
        token = CSRF.search(html).group(1)
        await think()
        started = time.perf_counter()
        response = await client.post(f"/tasks/{task_id}/answer", data={"csrf": token, "outcome": outcome})
        timings["press"].append(time.perf_counter() - started)
        if response.status_code != 303 or "yinhui_flash" not in response.headers.get("set-cookie", ""):
            refused.append(int(task_id))
        html = (await client.get("/tasks")).text


ROUNDS = {"paced": "at a person's pace", "flat": "flat out"}


async def _run(base: str, coordinators: list[int], pages: int, presses: int, rounds: list[tuple[str, float]]
               ) -> list[tuple[str, dict[str, list[float]], list[int], float]]:
    """Each round's timings, refused presses and seconds, the same bound browsers throughout."""
    import httpx

    # An idle connection is dropped after 5 s (httpx's default), well before the server drops it (75 s).
    limits = httpx.Limits(max_connections=2, keepalive_expiry=5)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in coordinators]
    results = []
    try:
        for client, coordinator_id in zip(clients, coordinators, strict=True):
            await _bind(client, coordinator_id)  # one by one: a new code retires the coordinator's last one
        for name, pace in rounds:
            timings: dict[str, list[float]] = {"page": [], "press": []}
            refused: list[int] = []
            started = time.perf_counter()
            await asyncio.gather(*(_work(client, pages, presses, pace, timings, refused) for client in clients))
            results.append((name, timings, refused, time.perf_counter() - started))
        return results
    finally:
        for client in clients:
            await client.aclose()


def _copy_to_postgresql(source_url: str, base_url: str) -> tuple[str, str]:
    """The demo county copied row for row into a new schema of the PostgreSQL database at ``base_url``:
    the URL that works in that schema, and the schema's name (to drop it afterwards)."""
    import uuid

    from sqlalchemy import text

    import models  # noqa: F401  (every table)
    from models.db import make_engine

    schema = f"web_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    source, target = make_engine(source_url), make_engine(url)
    try:
        _copy_rows(source, target)
    except BaseException:
        _drop_schema(base_url, schema)
        raise
    finally:
        source.dispose()
        target.dispose()
    return url, schema


def _copy_rows(source: Any, target: Any) -> None:
    from sqlalchemy import func, insert, select, text
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(target)
    with source.connect() as reading, target.begin() as writing:
        for table in SQLModel.metadata.sorted_tables:  # parents before children
            rows = _parents_first(table, [dict(row) for row in reading.execute(select(table)).mappings()])
            for first in range(0, len(rows), 5000):
                writing.execute(insert(table), rows[first:first + 5000])
            if rows and list(table.primary_key.columns.keys()) == ["id"]:  # the next id after the copied ones
                top = writing.execute(select(func.max(table.c.id))).scalar_one()
                writing.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"), {"t": table.name, "n": top})
        writing.execute(text("ANALYZE"))


def _parents_first(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table that refers to itself (grid, party_org) ordered so a parent is written before its children."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        return rows
    ordered: list[dict[str, Any]] = []
    written: set[object] = set()
    waiting = rows
    while waiting:
        ready = [row for row in waiting if all(row[c] is None or row[c] in written for c in own)]
        if not ready:
            raise SystemExit(f"{table.name}: rows refer to parents that are not there")
        ordered += ready
        written |= {row["id"] for row in ready}
        waiting = [row for row in waiting if row["id"] not in written]
    return ordered


def _drop_schema(base_url: str, schema: str) -> None:
    from sqlalchemy import text

    from models.db import make_engine

    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _use_database(url: str | None) -> None:
    """Point this process (and a server forked from it) at ``url``, or at the demo's SQLite file."""
    from models.db import dispose_engines
    from yinhui.settings import reset_settings

    if url is None:
        os.environ.pop("YINHUI_DATABASE_URL", None)
    else:
        os.environ["YINHUI_DATABASE_URL"] = url
    reset_settings()
    dispose_engines()


Result = tuple[str, dict[str, list[float]], list[int], float]


def _measure(url: str | None, day: dt.date, args: argparse.Namespace, rounds: list[tuple[str, float]]
             ) -> tuple[list[int], list[Result]]:
    """One database: bind the browsers, serve the page from a child process, run the rounds."""
    _use_database(url)
    coordinators = _busiest(args.clients)
    _use_database(url)  # no open connection is handed down to the forked server
    port = _free_port()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(port, day), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        return coordinators, asyncio.run(_run(base, coordinators, args.pages, args.presses, rounds))
    finally:
        server.terminate()
        server.join(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pages", type=int, default=20, help="page loads per client")
    parser.add_argument("--presses", type=int, default=5, help="answer buttons pressed per client")
    parser.add_argument("--pace", type=float, default=1.0, help="a person's mean seconds between two requests")
    parser.add_argument("--rounds", default="paced,flat", help="which rounds, in order: paced, flat")
    parser.add_argument("--postgresql", metavar="URL", default=None,
                        help="also measure on PostgreSQL: the demo county is copied into a new schema of this "
                             "database (dropped afterwards), e.g. postgresql+psycopg://yinhui:yinhui@127.0.0.1/yinhui_test")
    args = parser.parse_args()
    rounds = [(name, args.pace if name == "paced" else 0.0) for name in args.rounds.split(",")]
    if not rounds or any(name not in ROUNDS for name, _ in rounds):
        parser.error(f"--rounds: a comma-separated list of {', '.join(ROUNDS)}")
    measured: list[tuple[str, list[int], list[Result]]] = []
    with tempfile.TemporaryDirectory(prefix="yinhui-web-bench-") as folder:
        os.environ["YINHUI_DATA_DIR"] = folder
        _use_database(None)
        print(f"building the demo county ({DAYS} days from {START}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "yinhui.cli", "demo", "--dir", folder, "--days", str(DAYS),
                        "--start", START.isoformat(), "--quiet"], check=True, stdout=subprocess.DEVNULL)
        day = START + dt.timedelta(days=DAYS - 1)
        databases: list[tuple[str, str | None]] = [("SQLite", None)]
        schema = None
        if args.postgresql:  # copied before any round, so both start from the same county
            print("copying it into PostgreSQL ...", flush=True)
            copied, schema = _copy_to_postgresql(f"sqlite:///{Path(folder) / 'yinhui.sqlite3'}", args.postgresql)
            databases.append(("PostgreSQL", copied))
        try:
            for label, url in databases:
                print(f"measuring on {label} ...", flush=True)
                measured.append((label, *_measure(url, day, args, rounds)))
        finally:
            _use_database(None)
            if schema is not None:
                _drop_schema(args.postgresql, schema)
    coordinators = measured[0][1]
    print(f"\n{len(coordinators)} clients at once ({len(set(coordinators))} coordinators), day {day}\n")
    print("| database | round | request | count | p50 ms | p95 ms | p99 ms | max ms | requests/s |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    verdicts = []
    for label, _, results in measured:
        for name, timings, refused, seconds in results:
            requests = len(timings["page"]) + 2 * len(timings["press"])
            worst = 0.0
            for kind, request in (("page", "coordinator's page (GET /tasks)"), ("press", "button press (POST answer)")):
                p50, p95, p99, top = _percentiles(timings[kind])
                worst = max(worst, p99)
                print(f"| {label} | {ROUNDS[name]} | {request} | {len(timings[kind])} | {p50 * 1000:.1f} | "
                      f"{p95 * 1000:.1f} | {p99 * 1000:.1f} | {top * 1000:.1f} | {requests / seconds:.0f} |")
            verdicts.append(f"{label}, {ROUNDS[name]}: p99 {worst * 1000:.0f} ms, {requests} requests in {seconds:.1f} s, "
                            f"presses refused: {len(refused)}")
    print()
    for verdict in verdicts:
        print(verdict)
    for label, _, results in measured:
        paced = [max(_percentiles(t[k])[2] for k in ("page", "press")) for name, t, _, _ in results if name == "paced"]
        if paced:
            print(f"{label}: p99 target 100 ms at a person's pace: {'met' if paced[0] <= 0.1 else 'NOT met'}")
    one, five, fifteen = os.getloadavg()  # the machine's load: other work slows every figure above
    print(f"load average at the end: {one:.2f} (1 min), {five:.2f} (5 min), {fifteen:.2f} (15 min) on {os.cpu_count()} cores")
    return 0


def _wait_for(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the task page did not start")


if __name__ == "__main__":
    raise SystemExit(main())
