"""The leader's page lists the frozen monthly snapshots and links to the day's runs in the Prefect UI."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import bind


def _freeze(county, month: str) -> None:  # noqa: ANN001
    """Last month's snapshot as the monthly flow leaves it: the county 3 of 4, 东街村 2 of 2."""
    from sqlalchemy import select

    from models.db import session_scope
    from models.grids import Grid
    from models.snapshots import CoverageSnapshot

    with session_scope() as s:
        grids = {g.name: g for g in s.execute(select(Grid)).scalars()}
        for name, cadres, contacted in (("老干部局", 4, 3), ("城关镇", 3, 2), ("东街村", 2, 2), ("西街村", 1, 0)):
            g = grids[name]
            s.add(CoverageSnapshot(month=month, grid_id=g.id, level=g.level, parent_id=g.parent_id, grid_path=name,
                                   cadres=cadres, contacted=contacted, taken_by="test"))


def _previous_month(county) -> str:  # noqa: ANN001
    first = county.today.replace(day=1)
    return f"{first.year - (first.month == 1):04d}-{(first.month - 2) % 12 + 1:02d}"


def _snapshot_row(page: str, month: str) -> tuple[str, ...] | None:
    found = re.search(rf'<tr class="([a-z]+)" id="snapshot-{month}"><td>{month}</td><td>(\d+)</td><td>(\d+)</td>'
                      rf"<td>(\d+)%</td><td>[0-9-]+</td></tr>", page)
    return found.groups() if found else None


def test_the_frozen_months_are_listed_with_their_figures(county, browser_client):
    month = _previous_month(county)
    bind(browser_client, county.leader)
    assert "还没有冻结的月份。" in browser_client.get("/overview").text
    _freeze(county, month)
    page = browser_client.get("/overview").text
    assert "月度快照" in page
    assert _snapshot_row(page, month) == ("fair", "4", "3", "75"), page


def test_a_grid_coordinator_sees_the_snapshots_of_their_grid_only(county, browser_client):
    month = _previous_month(county)
    _freeze(county, month)
    bind(browser_client, county.village)
    assert _snapshot_row(browser_client.get("/overview").text, month) == ("good", "2", "2", "100")


@pytest.fixture
def prefect_ui(monkeypatch, database):  # noqa: ANN001, ANN201
    monkeypatch.delenv("PREFECT_UI_URL", raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    from yinhui.web.app import create_app

    return create_app()


def test_the_leader_gets_links_to_the_days_runs(county, prefect_ui):
    from fastapi.testclient import TestClient

    day = county.today.isoformat()
    with TestClient(prefect_ui, base_url="http://127.0.0.1", follow_redirects=False) as leader, \
            TestClient(prefect_ui, base_url="http://127.0.0.1", follow_redirects=False) as village:
        bind(leader, county.leader)
        page = leader.get("/overview").text
        assert f'href="http://127.0.0.1:4200/runs?flow-run-search={day}"' in page
        assert f'href="http://127.0.0.1:4200/runs?flow-run-search=daily-plan%20{day}"' in page
        assert "Prefect 界面中今天的运行" in page
        bind(village, county.village)
        assert "4200" not in village.get("/overview").text  # the runs are the county's: leaders only


def test_no_links_without_a_prefect_address(county, monkeypatch, browser_client):
    bind(browser_client, county.leader)
    assert 'id="runs"' not in browser_client.get("/overview").text
