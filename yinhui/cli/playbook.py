"""`yinhui playbook check [FILE]`: the bureau's rules file, validated before it is used."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yinhui.cli.common import _
from yinhui.i18n import N_

app = typer.Typer(help=N_("the bureau's playbook"))


@app.command("check", help=N_("validate a playbook file"))
def check(file: Annotated[Path | None, typer.Argument(help=N_("the playbook (default: the shipped one)"))] = None) -> int:
    from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
    from yinhui.services.roster_import import roster_options

    path = file or DEFAULT_PLAYBOOK
    playbook = load_playbook(path)
    roster_options(playbook)  # PlaybookError when the bureau's roster words contradict the built-in table
    every = {"month": _("every month"), "quarter": _("every quarter"), "year": _("every year")}
    rules = ", ".join(_("{rule} ({every})", rule=r.rule, every=every[r.every]) for r in playbook.cadence)
    print(_("{path}: valid; cadence rules: {rules}", path=path, rules=rules))
    return 0
