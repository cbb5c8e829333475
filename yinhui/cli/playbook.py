"""`yinhui playbook check [FILE]`: the bureau's rules file, validated before it is used."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="the bureau's playbook")


@app.command("check")
def check(file: Annotated[Path | None, typer.Argument(help="the playbook (default: the shipped one)")] = None) -> int:
    """validate a playbook file"""
    from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
    from yinhui.services.roster_import import roster_options

    path = file or DEFAULT_PLAYBOOK
    playbook = load_playbook(path)
    roster_options(playbook)  # PlaybookError when the bureau's roster words contradict the built-in table
    rules = ", ".join(f"{r.rule} (every {r.every})" for r in playbook.cadence)
    print(f"{path}: valid; cadence rules: {rules}")
    return 0
