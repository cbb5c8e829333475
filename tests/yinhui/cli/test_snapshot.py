"""`yinhui snapshot`: a frozen month shows the paused, the contacts through a relative and the
cadres unreachable after every attempt, as `yinhui report coverage` showed them live."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from models.db import session_scope
from tests.services.test_snapshots import october_of_every_kind
from yinhui import clock
from yinhui.cli import main

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat


def _grid_line(out: str, grid: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:1] == [grid])


def test_a_frozen_month_shows_what_live_coverage_showed(database, prefect_harness, capsys):
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")
    with session_scope() as s:
        october_of_every_kind(s)
    with clock.frozen_at(D("2026-11-02")):
        assert main(["report", "coverage", "--month", "2026-10", "--format", "json"]) == 0
        live = json.loads(capsys.readouterr().out)["grids"][0]
        assert main(["snapshot", "--month", "2026-10"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["grid", "cadres", "contacted", "via", "relative", "paused", "missed",
                                           "unreachable", "after", "every", "attempt", "rate"]
    figures = [str(live[k]) for k in ("cadres", "contacted", "via_relative", "paused", "missed", "unreachable")]
    assert _grid_line(out, "老干部局") == ["老干部局", *figures, "50%"] == ["老干部局", "5", "2", "1", "1", "2", "1", "50%"]
    # Its one cadre was away all month: nobody to count, so no rate (never 100%), as live coverage says.
    assert _grid_line(out, "河底镇") == ["河底镇", "1", "0", "0", "1", "0", "0", "No", "data"]
