"""`yinhui plan` / `yinhui rerun`: a day outside the plan's window is one line before any flow run; `--backfill`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import flows.daily_plan
from tests.yinhui.cli.test_core import run

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def flow_calls(monkeypatch) -> list[dict[str, Any]]:
    """The planning flow, replaced: what it was asked to do, and a plan that made nothing."""
    calls: list[dict[str, Any]] = []

    def daily_plan(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return {"contact_cadence": {"day": kwargs["day"], "created": {}, "created_total": 0, "overdue": 0,
                                    "escalated": 0, "missed": 0, "uncovered_grids": 0}, "digests": 0}

    monkeypatch.setattr(flows.daily_plan, "daily_plan", daily_plan)
    return calls


@pytest.mark.parametrize("day", ["1901-01-01", "9999-12-31", "2026-11-22"])
def test_a_day_outside_the_window_is_one_line_and_no_flow_runs(capsys, flow_calls, frozen_day, day):
    with frozen_day(TODAY):
        code, out, err = run(capsys, "plan", "--date", day)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"cannot plan {day}" in err and "unexpected" not in err
    assert flow_calls == []


def test_an_older_day_needs_backfill_and_the_flow_is_told(database, capsys, flow_calls, frozen_day):
    with frozen_day(TODAY):
        code, _, err = run(capsys, "plan", "--date", "2026-06-01", "--no-dispatch")
        assert code == 1 and "--backfill" in err and flow_calls == []
        code, _, err = run(capsys, "rerun", "--date", "2026-06-01", "--no-dispatch")
        assert code == 1 and "--backfill" in err and flow_calls == []
        code, out, err = run(capsys, "plan", "--date", "2026-06-01", "--no-dispatch", "--backfill")
        assert code == 0, err
        code, out, err = run(capsys, "rerun", "--date", "2026-06-02", "--backfill")
        assert code == 0, err
        code, _, err = run(capsys, "rerun", "--date", "1901-01-01", "--backfill")
        assert code == 1 and len(err.strip().splitlines()) == 1
    assert flow_calls == [
        {"day": dt.date(2026, 6, 1), "dispatch": False, "backfill": True},
        {"day": dt.date(2026, 6, 2), "dispatch": True, "backfill": True},
    ]


def test_a_day_in_the_window_is_planned_without_backfill(database, capsys, flow_calls, frozen_day):
    with frozen_day(TODAY):
        assert run(capsys, "plan", "--no-dispatch")[0] == 0
        assert run(capsys, "rerun", "--date", "2026-11-01")[0] == 0
    assert [(c["day"], c["backfill"]) for c in flow_calls] == [(TODAY, False), (dt.date(2026, 11, 1), False)]
