"""`yinhui demo`: a synthetic county imported through the real path, and a quarter of work played day by day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from yinhui.cli.common import _, day_option, progress
from yinhui.i18n import N_

app = typer.Typer()


@app.command("demo", help=N_("build a synthetic county and simulate a quarter of work"))
def demo(
    directory: Annotated[Path, typer.Option("--dir", help=N_("where the demo lives (its own SQLite file)"))] = Path("data/demo"),
    start: Annotated[dt.date, day_option("--start", help=N_("the first simulated day"))] = dt.date(2026, 10, 1),
    days: Annotated[int, typer.Option(help=N_("how many days to simulate"))] = 92,
    seed: Annotated[int, typer.Option(help=N_("same seed, same county and the same quarter"))] = 2026,
    quiet: Annotated[bool, typer.Option("--quiet", help=N_("print the summary only"))] = False,
) -> int:
    from yinhui.demo.simulate import run_demo

    with progress(_("simulated days"), total=days) as advance:
        code = run_demo(data_dir=directory, start=start, days=days, seed=seed, quiet=quiet,
                        on_day=lambda day: advance(description=_("simulated {day}", day=day)))
    if code == 0:
        print_task_page(directory)
    return code


def print_task_page(directory: Path) -> None:
    """What to open after the demo: the task page over the demo's database, and how a coordinator binds."""
    from sqlalchemy import select
    from sqlmodel import col

    from models.db import dispose_engines, get_engine, session_scope
    from models.people import Coordinator
    from yinhui.services.overview import LEADER
    from yinhui.web.serving import page_address

    engine = get_engine(f"sqlite:///{(directory / 'yinhui.sqlite3').resolve()}")
    try:
        with session_scope(engine, read_only=True) as session:
            names = list(session.execute(
                select(col(Coordinator.name), col(Coordinator.role))
                .where(col(Coordinator.active).is_(True)).order_by(col(Coordinator.id))).all())
    finally:
        dispose_engines()
    leader = next((name for name, role in names if role == LEADER), None)
    coordinator = next((name for name, role in names if role == "grid"),
                       next((name for name, role in names if role != LEADER), None))
    prefix = f"YINHUI_DATA_DIR={directory}"
    print()
    print(_("Open the task page: {prefix} yinhui web, then {url}", prefix=prefix,
            url=page_address("/")))
    if coordinator:
        print(_("A coordinator binds a browser with a one-time code: {prefix} yinhui coordinator invite {name}",
                prefix=prefix, name=coordinator))
    if leader:
        print(_("The county overview (全县概况) is the leader's: {prefix} yinhui coordinator invite {name}",
                prefix=prefix, name=leader))
