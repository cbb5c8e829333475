"""A real browser for tests: one headless Chromium (Debian's `chromium` and `chromium-driver`) for the
whole run, and a web application served in-process by uvicorn on a free loopback port.

`chromium` is a session-scoped fixture: tests reuse the one browser and start from a clean slate
(`fresh(driver)` drops cookies). It skips, saying why, only when Chromium, its driver or Selenium
is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
PHONE = (412, 915)  # the shared browser's own size: the web pages are read on a phone


def _first(paths: tuple[str, ...], name: str) -> str | None:
    return next((p for p in paths if shutil.which(p)), None) or shutil.which(name)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium driven by Selenium, phone-sized (412 x 915), shared by every browser test."""
    binary, driver_path = _first(CHROMIUM, "chromium"), _first(DRIVER, "chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("browser tests need Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("browser tests need selenium: pip install -e '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={PHONE[0]},{PHONE[1]}", "--lang=zh-CN", "--no-first-run", "--disable-extensions",
                     "--proxy-server=direct://", "--proxy-bypass-list=*"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def fresh(driver: Any) -> Any:
    """The shared browser with no cookies of a previous test (an about:blank page first)."""
    driver.get("about:blank")
    driver.delete_all_cookies()
    return driver


@contextlib.contextmanager
def window(driver: Any, width: int, height: int) -> Iterator[Any]:
    """The shared browser at another size for a while (the Prefect UI is read on a desk), then phone-sized again."""
    driver.set_window_size(width, height)
    try:
        yield driver
    finally:
        driver.set_window_size(*PHONE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(app: Any, *, access_log: bool = False) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread of this process on 127.0.0.1; yields its base URL.

    Uvicorn leaves the logging setup alone (its records reach pytest's caplog)."""
    import uvicorn

    from yinhui.web.serving import server_config

    port = free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, log_level="info" if access_log else "warning",
                                          access_log=access_log, lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the test web server did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
