"""The task page in a real browser (headless Chromium): bind, see the day's tasks, press 已走访, see the
leader's coverage move; another coordinator can neither see nor change the task; a stale form is refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.support.browser import fresh, served
from tests.web.conftest import CSRF, invite

# The README's screenshots: refreshed by `YINHUI_TEST_SCREENSHOTS=1 pytest tests/web/test_browser.py`;
# otherwise they are taken into the test's own folder only, leaving the committed ones alone.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REFRESH = os.environ.get("YINHUI_TEST_SCREENSHOTS") == "1"


def _bind(driver, base: str, coordinator_id: int) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    fresh(driver).get(base + "/bind")
    driver.find_element(By.ID, "code").send_keys(invite(coordinator_id))
    driver.find_element(By.ID, "bind").click()
    # The click returns once the form is sent; on a busy machine the redirect may land a moment later.
    WebDriverWait(driver, 15).until(expected_conditions.url_to_be(base + "/tasks"))


def _status(task_id: int) -> str:
    from models.db import session_scope
    from models.tasks import Task

    with session_scope() as s:
        return s.get(Task, task_id).status


def _as_browser(driver, base: str) -> httpx.Client:  # noqa: ANN001
    """An HTTP client carrying the browser's own cookies: a POST made by hand, as a tinkerer would."""
    return httpx.Client(base_url=base, cookies={c["name"]: c["value"] for c in driver.get_cookies()})


def _screenshot(driver, folder: Path, name: str, *, readme: bool) -> None:  # noqa: ANN001
    taken = folder / name
    assert driver.save_screenshot(str(taken)) and taken.stat().st_size > 1000
    if readme and REFRESH:
        shutil.copyfile(taken, SCREENSHOTS / name)


def test_bind_answer_and_see_the_county_move_in_a_browser(county, app, chromium, tmp_path,
                                                          request: pytest.FixtureRequest):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    first_backend = request.node.callspec.params.get("database") == "sqlite"
    with served(app) as base:
        driver = chromium
        _bind(driver, base, county.village)
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "绑定成功：本浏览器现属于赵村网格。" in body and "甲老" in body and "乙老" in body
        assert driver.find_element(By.CSS_SELECTOR, f"#task-{county.visit} a.phone").get_attribute("href") == "tel:13912345678"
        _screenshot(driver, tmp_path, "tasks.png", readme=first_backend)
        driver.find_element(By.CSS_SELECTOR, f'#task-{county.visit} button[value="visited"]').click()
        WebDriverWait(driver, 15).until(expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".flash"), f"任务 #{county.visit}：🏠 已走访"))
        assert not driver.find_elements(By.ID, f"task-{county.visit}")
        assert _status(county.visit) == "done"
        stale_page = driver.page_source  # its form token, kept for later

        _bind(driver, base, county.leader)
        driver.get(base + "/overview")
        row = driver.find_element(By.CSS_SELECTOR, "table.tree tbody tr.level-3")  # 城关镇/东街村, first village
        assert row.text.split()[:4] == ["东街村", "2", "1", "50%"]
        _screenshot(driver, tmp_path, "overview.png", readme=first_backend)

        # A second coordinator (王网格) sees none of 赵村网格's tasks and cannot change them by hand.
        _bind(driver, base, county.town)
        assert "乙老" not in driver.find_element(By.TAG_NAME, "body").text
        token = CSRF.search(driver.page_source).group(1)  # type: ignore[union-attr]
        with _as_browser(driver, base) as tinkerer:
            refused = tinkerer.post(f"/tasks/{county.call}/answer", data={"csrf": token, "outcome": "reached"})
            assert refused.status_code == 403 and "这不是您的任务" in refused.text
            # A form from an earlier page (赵村网格's, before this browser bound again) is stale.
            stale = CSRF.search(stale_page).group(1)  # type: ignore[union-attr]
            refused = tinkerer.post(f"/tasks/{county.other}/answer", data={"csrf": stale, "outcome": "visited"})
            assert refused.status_code == 403 and "此表单已过期" in refused.text
        assert _status(county.call) == "open" and _status(county.other) == "open"
