"""The overview page (全县概况): coverage as a tree, named misses, must-visits, overdue work, a 12-month trend."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.web.conftest import bind, post


def _row(html: str, name: str) -> str:
    found = re.search(r'<tr class="level-\d ([a-z]+)[^"]*" id="grid-\d+">\s*<td><a[^>]*>' + re.escape(name)
                      + r"</a></td>\s*<td>(\d+)</td><td>(\d+)</td>\s*<td><span class=\"rate\">(\d+)%", html)
    assert found, f"no row for {name}"
    return " ".join(found.groups())


def test_the_leader_sees_the_county_tree_and_a_visit_moves_it(county, app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as leader, \
            TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as village:
        bind(leader, county.leader)
        bind(village, county.village)
        page = leader.get("/overview").text
        assert "全县概况" in page
        assert _row(page, "老干部局") == "poor 4 0 0"
        assert _row(page, "城关镇") == "poor 3 0 0" and _row(page, "东街村") == "poor 2 0 0"
        assert page.index("城关镇") < page.index("东街村") < page.index("西街村") < page.index("河底镇")
        post(village, f"/tasks/{county.visit}/answer", outcome="visited")
        post(village, f"/tasks/{county.call}/answer", outcome="reached")
        page = leader.get("/overview").text
        assert _row(page, "东街村") == "good 2 2 100" and _row(page, "老干部局") == "poor 4 2 50"
        assert "<svg" in page and "近12个月覆盖率" in page and page.count("<rect") == 1  # this month only


def test_drill_down_names_the_missed(county, browser_client):
    from models.db import session_scope
    from models.grids import Grid

    with session_scope() as s:
        west = s.execute(select(Grid).where(Grid.name == "西街村")).scalar_one().id
    bind(browser_client, county.leader)
    page = browser_client.get(f"/overview?grid={west}").text
    assert 'id="misses"' in page and "丙老" in page and "甲老" not in page


def test_a_grid_coordinator_sees_their_own_grid_only(county, browser_client):
    bind(browser_client, county.village)
    page = browser_client.get("/overview").text
    assert "东街村 概况" in page and "东街村" in page
    assert "西街村" not in page and "河底镇" not in page and "老干部局" not in page


def test_must_visits_by_deadline_and_overdue_by_coordinator(county, browser_client):
    import datetime as dt

    from models.db import session_scope
    from models.people import Cadre
    from models.tasks import Task
    from yinhui.rules.must_visits import HOSPITALISATION, must_visit_rule
    from yinhui.services.tasks import create_tasks, mark_overdue

    with session_scope() as s:
        jia = s.execute(select(Cadre).where(Cadre.name == "甲老")).scalar_one()
        yesterday = county.today - dt.timedelta(days=1)
        create_tasks(session=s, actor="test", rows=[{
            "kind": "must_visit", "rule": must_visit_rule(HOSPITALISATION), "subject_id": jia.id, "cadre_id": jia.id,
            "period": "x1", "window_opens": yesterday - dt.timedelta(days=3), "due": yesterday,
            "assignee_id": county.village}])
        s.flush()
        mark_overdue(s, day=county.today, actor="test")
        assert s.execute(select(func.count()).select_from(Task).where(Task.status == "overdue")).scalar_one() == 1
    bind(browser_client, county.leader)
    page = browser_client.get("/overview").text
    must = page[page.index('id="must-visits"'):page.index('id="overdue"')]
    assert "甲老" in must and "逾期" in must
    overdue = page[page.index('id="overdue"'):page.index('id="trend"')]
    assert "赵村网格 · 1" in overdue


def test_a_snapshot_month_draws_a_bar(county, browser_client):
    from models.db import session_scope
    from models.grids import Grid
    from models.snapshots import CoverageSnapshot

    previous = county.today.replace(day=1) - __import__("datetime").timedelta(days=1)
    with session_scope() as s:
        county_grid = s.execute(select(Grid).where(Grid.level == 1)).scalar_one()
        s.add(CoverageSnapshot(month=previous.strftime("%Y-%m"), grid_id=county_grid.id, level=1, parent_id=None,
                               grid_path=county_grid.name, cadres=4, contacted=3, taken_by="test"))
    bind(browser_client, county.leader)
    page = browser_client.get("/overview").text
    assert page.count("<rect") == 2 and f"{previous.strftime('%Y-%m')} 75%" in page


def test_staff_without_grids_are_refused(county, browser_client):
    from models.db import session_scope
    from tests import factories

    with session_scope() as s:
        staff = factories.coordinator(s, "钱干事", "staff").id
    bind(browser_client, staff)
    refused = browser_client.get("/overview")
    assert refused.status_code == 403 and "只有领导和网格员可以查看概况" in refused.text
