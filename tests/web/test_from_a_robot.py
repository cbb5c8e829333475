"""The task page's "done when": a coordinator reached only through a WeCom group robot opens the
page from the digest, closes a task there, and the leader's page and `yinhui report coverage` show it.

Everything real: the Apprise channel posting to the robot stand-in on 127.0.0.1, the page served by
uvicorn, headless Chromium, the command line in this process.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.support.browser import fresh, served
from tests.support.robots import WECOM_KEY

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


def _coverage(capsys, month: str) -> dict:  # noqa: ANN001
    """`yinhui report coverage --format json`: 东街村's row."""
    from yinhui.cli import main

    capsys.readouterr()  # what came before (the console channel's digests) is not the report
    assert main(["report", "coverage", "--month", month, "--format", "json"]) == 0
    grids = json.loads(capsys.readouterr().out)["grids"]
    return next(g for g in grids if g["grid"].endswith("东街村"))


def _invite(capsys, name: str) -> str:
    """The code `yinhui coordinator invite NAME` prints, as the operator hands it over."""
    from yinhui.cli import main

    capsys.readouterr()
    assert main(["coordinator", "invite", name]) == 0
    return re.search(r"/start (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]


def _bind(driver, code: str, then: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    driver.find_element(By.ID, "code").send_keys(code)
    driver.find_element(By.ID, "bind").click()
    WebDriverWait(driver, 15).until(expected_conditions.url_to_be(then))


def test_a_coordinator_only_on_a_wecom_robot_closes_a_task_from_the_digest(database, app, robots, chromium, capsys,
                                                                        monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    from models.db import session_scope
    from models.tasks import Task, TaskEvent
    from tests.notifiers.conftest import build_county, deliver, plan_day
    from yinhui import clock
    from yinhui.services.delivery import add_apprise_target
    from yinhui.settings import reset_settings

    today = clock.today()
    month = today.strftime("%Y-%m")
    with served(app) as base:
        monkeypatch.setenv("YINHUI_WEB_URL", base)  # the address the digests end with
        reset_settings()
        county = build_county(bound=False)  # nobody is on Telegram
        with session_scope() as s:
            add_apprise_target(s, kind="wecom", url=f"wecombot://{WECOM_KEY}", coordinator_id=county.village)
        plan_day(today)
        deliver()
        [(_path, body)] = robots.posts  # the village's digest, in its grid's WeCom group
        digest = body["text"]["content"]
        assert "张老" in digest
        link = digest.rstrip().splitlines()[-1].removeprefix("在任务页处理：")
        assert link == base + "/tasks"
        before = _coverage(capsys, month)

        # From the digest: the page asks for the code the operator gives, then shows the list.
        driver = fresh(chromium)
        driver.get(link)
        assert driver.current_url == base + "/bind"
        _bind(driver, _invite(capsys, "赵村网格"), base + "/tasks")
        zhang = next(article for article in driver.find_elements(By.CSS_SELECTOR, "article.task")
                     if "张老" in article.find_element(By.TAG_NAME, "h3").text
                     and article.find_elements(By.CSS_SELECTOR, 'button[value="visited"]'))
        task_id = int(zhang.get_attribute("id").removeprefix("task-"))
        zhang.find_element(By.CSS_SELECTOR, 'button[value="visited"]').click()
        WebDriverWait(driver, 15).until(expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".flash"), f"任务 #{task_id}：🏠 已走访"))
        with session_scope() as s:
            task = s.get(Task, task_id)
            assert (task.status, task.outcome) == ("done", "visited")
            [event] = s.execute(select(TaskEvent).where(TaskEvent.task_id == task_id, TaskEvent.action == "completed")).scalars()
            assert event.actor == f"coordinator:{county.village}" and json.loads(event.detail)["channel"] == "web"

        # `yinhui report coverage` counts the visit ...
        after = _coverage(capsys, month)
        assert after["contacted"] == before["contacted"] + 1 and after["missed"] == before["missed"] - 1
        # ... and so does the leader's page, bound the same way.
        fresh(driver).get(base + "/bind")
        _bind(driver, _invite(capsys, "李局长"), base + "/tasks")
        driver.get(base + "/overview")
        row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "table.tree tbody tr.level-3")
                   if r.text.split()[0] == "东街村")
        assert row.text.split()[1:3] == [str(after["cadres"]), str(after["contacted"])]
