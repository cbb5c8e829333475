"""The Prefect UI as a bureau leader sees it, in a real browser: `yinhui serve --port N` with a small
planned county, the Deployments page, the day's "today" summary and the monthly coverage chart.

The browser is the one headless Chromium every browser test shares (tests/support/browser.py), at a
desk's size for these pages. The UI is a JavaScript application: every check waits for what it
looks for (bounded, generous: the machine may be busy), never a fixed sleep. The README's
screenshots are rewritten only with `YINHUI_TEST_SCREENSHOTS=1`; otherwise they go to the test's
own folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployments.schedules import DEFAULT_SPECS
from tests.support.browser import chromium, fresh, window  # noqa: F401  (chromium: the shared browser)
from tests.support.serving import wait_registered, yinhui_serve
from tests.support.stack import (
    DAY,
    RUN_TIMEOUT,
    SEEDED,
    TODAY,
    app_database,
    prefect_client,
    seed,
    wait_for,
)

pytestmark = pytest.mark.prefect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REFRESH = os.environ.get("YINHUI_TEST_SCREENSHOTS") == "1"
DESK = (1280, 800)  # a laptop: the artifact page shows its run beside it from 1280 pixels on
TALL = 1000  # the monthly chart's page: both images and the figures under them in one screenshot
UI_TIMEOUT = 120.0  # the first page load compiles nothing, but a busy 2-core machine is slow to answer
SPECS = {spec.flow_name: spec for spec in DEFAULT_SPECS}
ID_NUMBER = re.compile(r"\d{17}[\dXx]")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`yinhui serve --port N` on its own local Prefect server, a small county, today's plan run once."""
    from prefect.deployments import run_deployment

    workdir = tmp_path_factory.mktemp("prefect-ui")
    app_url, _ = app_database("sqlite", workdir)
    seed(app_url)
    with yinhui_serve(workdir, app_url) as serve:
        port, api_url, log = serve.port, serve.api_url, serve.log
        with prefect_client(api_url, workdir) as client:
            wait_registered(client, [spec.full_name for spec in DEFAULT_SPECS], log)
            run = run_deployment(SPECS["daily-plan"].full_name, client=client, parameters={"day": TODAY.isoformat()},
                                 timeout=0, as_subflow=False)
            done = wait_for("today's daily plan finishing", lambda: (r := client.read_flow_run(run.id)).state.is_final() and r,
                         RUN_TIMEOUT, log)
            assert done.state.is_completed(), f"the daily plan ended {done.state.type}"
            deployments = {spec.flow_name: client.read_deployment_by_name(spec.full_name).id for spec in DEFAULT_SPECS}
        yield {"base": f"http://127.0.0.1:{port}", "api_url": api_url, "app_url": app_url, "workdir": workdir, "run": done,
               "deployments": deployments, "log": log}


def _wait_for_text(driver: Any, *texts: str) -> str:
    """The page's visible text once every one of `texts` shows (the UI renders after its API calls)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> str | bool:
        try:
            body = d.find_element(By.TAG_NAME, "body").text
        except Exception:  # noqa: BLE001 - the page is being replaced
            return False
        return body if all(t in body for t in texts) else False

    try:
        return WebDriverWait(driver, UI_TIMEOUT, poll_frequency=0.5).until(shown)
    except Exception as exc:
        body = driver.find_element(By.TAG_NAME, "body").text[:2000]
        raise AssertionError(f"{texts} not shown at {driver.current_url} within {UI_TIMEOUT:.0f} s; the page:\n{body}") from exc


def _screenshot(driver: Any, folder: Path, name: str) -> None:
    taken = folder / name
    assert driver.save_screenshot(str(taken)) and taken.stat().st_size > 10_000
    if REFRESH:
        shutil.copyfile(taken, SCREENSHOTS / name)


def test_the_deployments_page_shows_each_job_by_its_chinese_name_and_when_in_beijing_time(chromium, served, tmp_path):  # noqa: F811
    with window(fresh(chromium), *DESK) as driver:
        driver.get(served["base"] + "/deployments")
        # Each row: the deployment's name large, its flow's name beneath (read separately by the UI), its tags.
        page = _wait_for_text(driver, *(spec.name for spec in DEFAULT_SPECS), *(spec.flow_name for spec in DEFAULT_SPECS))
        assert f"{len(DEFAULT_SPECS)} Deployments" in page
        assert all(chinese_tag(spec) in page for spec in DEFAULT_SPECS)
        _screenshot(driver, tmp_path, "prefect-deployments.png")

        for flow_name in ("daily-plan", "escalation-sweep", "dispatch-outbox"):
            spec = SPECS[flow_name]
            driver.get(f"{served['base']}/deployments/deployment/{served['deployments'][flow_name]}?tab=Description")
            page = _wait_for_text(driver, spec.summary("zh"))
            assert spec.summary("en") in page and "北京时间" in spec.summary("zh")
        assert SPECS["escalation-sweep"].summary("zh").startswith("工作日 10:00、15:00 北京时间")
        assert SPECS["daily-plan"].summary("zh").startswith("每天 06:30 北京时间")


def chinese_tag(spec: Any) -> str:
    """The deployment's Chinese label (计划, 发送, 督办, 报表) as the Tags column shows it."""
    return next(tag for tag in spec.tags if not tag.isascii())


def test_the_days_today_summary_reads_in_chinese_and_carries_no_personal_data(chromium, served, tmp_path):  # noqa: F811
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )
    from selenium.webdriver.common.by import By

    with prefect_client(served["api_url"], served["workdir"]) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["today"]), flow_run_id=ArtifactFilterFlowRunId(any_=[served["run"].id])))
    assert len(found) == 1, "the day's run publishes one `today` summary"
    with window(fresh(chromium), *DESK) as driver:
        driver.get(f"{served['base']}/artifacts/artifact/{found[0].id}")
        # The summary, and beside it the run it belongs to by its dated name (read separately by the UI).
        page = _wait_for_text(driver, f"今日概况 {TODAY}", "失败的运行", f"daily-plan {TODAY}")
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h2, h3") if h.text]
        assert headings[:2] == [f"今日概况 {TODAY}", "失败的运行"]
        for line in ("本月至今覆盖率", "本月必访", "今日计划：新建任务", "自昨日以来没有失败的运行。"):
            assert line in page
        assert not ID_NUMBER.search(page) and not PHONE.search(page)
        _screenshot(driver, tmp_path, "prefect-today.png")


def _contacts_over_two_months(app_url: str, months: tuple[dt.date, dt.date]) -> None:
    """Three level-2 grids contacted unevenly over two months, so that the chart has differences to show.

    城关镇 60% then 80%, 石桥乡 80% then 60%, 河底镇 50% then 100% (the county 67% then 75%).
    """
    from sqlmodel import Session, select

    from models.db import make_engine
    from models.people import Cadre
    from tests import factories
    from yinhui import clock
    from yinhui.playbook_loader import load_playbook
    from yinhui.services.tasks import record_contact

    engine = make_engine(app_url)
    playbook = load_playbook()
    with clock.frozen_at(SEEDED), Session(engine) as session:
        for i in range(5):
            factories.cadre(session, f"石{i}", township="石桥乡", village="南村")
        factories.cadre(session, "上村二", township="河底镇", village="上村")
        session.commit()
    contacted = {months[0]: ["东0", "东1", "东2", "石0", "石1", "石2", "石3", "上村一"],
                 months[1]: ["东0", "东1", "东2", "东3", "石0", "石1", "石2", "上村一", "上村二"]}
    with Session(engine) as session:
        ids = dict(session.execute(select(Cadre.name, Cadre.id)).all())
        for month, names in contacted.items():
            for name in names:
                record_contact(session=session, cadre_id=ids[name], on=month + dt.timedelta(days=9), mode="call",
                               actor="test", playbook=playbook)
        session.commit()
    engine.dispose()


def test_the_monthly_chart_is_an_image_of_the_grids_on_the_datas_own_axis(chromium, served, tmp_path):  # noqa: F811
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )
    from prefect.deployments import run_deployment
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    last = DAY  # the first of last month: a month that is over
    before = (last - dt.timedelta(days=1)).replace(day=1)
    _contacts_over_two_months(served["app_url"], (before, last))
    with prefect_client(served["api_url"], served["workdir"]) as client:
        for month in (before, last):  # the first of each month freezes the month before; here both, in order
            run = run_deployment(SPECS["monthly-coverage-snapshot"].full_name, client=client, timeout=0,
                                 parameters={"month": month.strftime("%Y-%m")}, as_subflow=False)
            done = wait_for(f"the snapshot of {month:%Y-%m}", lambda run_id=run.id: (r := client.read_flow_run(run_id)).state.is_final() and r,
                         RUN_TIMEOUT, served["log"])
            assert done.state.is_completed(), f"the snapshot of {month:%Y-%m} ended {done.state.type}"
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["monthly-coverage-chart"]), flow_run_id=ArtifactFilterFlowRunId(any_=[done.id])))
    assert len(found) == 1
    with window(fresh(chromium), DESK[0], TALL) as driver:
        driver.get(f"{served['base']}/artifacts/artifact/{found[0].id}")
        page = _wait_for_text(driver, "月度覆盖率走势（冻结快照）", f"{last:%Y-%m}：条形从 40%（空）到 100%（满）。")
        # The grids' bars, then the county month by month: both drawn (an image that failed has no natural size).
        images = WebDriverWait(driver, UI_TIMEOUT, poll_frequency=0.5).until(
            lambda d: len(drawn := d.find_elements(By.CSS_SELECTOR, "img[src^='data:image/svg+xml;base64,']")) == 2 and drawn)
        sizes = WebDriverWait(driver, UI_TIMEOUT, poll_frequency=0.5).until(lambda d: d.execute_script(
            "const s = arguments[0].map(i => i.complete && i.naturalWidth > 0 && [i.naturalWidth, i.width]);"
            "return s.every(Boolean) && s;", images))
        assert all(natural >= 600 and shown > 300 for natural, shown in sizes), f"the charts are drawn {sizes} pixels wide"
        assert images[0].get_attribute("alt").startswith(f"{last:%Y-%m} 各二级网格覆盖率条形图，坐标从 40% 到 100%")
        assert images[1].get_attribute("alt").startswith(f"全县覆盖率逐月折线图，{before:%Y-%m} 至 {last:%Y-%m}")
        assert "█" not in page and "| 石桥乡 | 80% | 60% | -20 |" not in page  # a table the UI draws, not Markdown source
        assert all(name in page for name in ("老干部局（合计）", "石桥乡", "城关镇", "河底镇"))
        assert not ID_NUMBER.search(page) and not PHONE.search(page)
        _screenshot(driver, tmp_path, "prefect-trend-chart.png")
