"""`yinhui demo`: a synthetic county imported through the real path, and a quarter of work played day by day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from yinhui.cli.common import day_option, progress

app = typer.Typer()


@app.command("demo")
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="where the demo lives (its own SQLite file)")] = Path("data/demo"),
    start: Annotated[dt.date, day_option("--start", help="the first simulated day")] = dt.date(2026, 10, 1),
    days: Annotated[int, typer.Option(help="how many days to simulate")] = 92,
    seed: Annotated[int, typer.Option(help="same seed, same county and the same quarter")] = 2026,
    quiet: Annotated[bool, typer.Option("--quiet", help="print the summary only")] = False,
) -> int:
    """build a synthetic county and simulate a quarter of work"""
    from yinhui.demo.simulate import run_demo

    with progress("simulated days", total=days) as advance:
        return run_demo(data_dir=directory, start=start, days=days, seed=seed, quiet=quiet,
                        on_day=lambda day: advance(description=f"simulated {day}"))
