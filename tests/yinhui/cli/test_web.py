"""`yinhui web`: serves the task page on the address given, and says where."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.browser import free_port


@contextlib.contextmanager
def yinhui_web(port: int, output: list[str], **env: str) -> Iterator[None]:
    """`yinhui web --port PORT` in a child process, until the block ends; its output lands in ``output``."""
    server = subprocess.Popen(
        [sys.executable, "-m", "yinhui.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "YINHUI_CLI_LANGUAGE": "en", **env},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"yinhui web did not start: {server.communicate()[0]}")
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        output.append(server.communicate(timeout=20)[0])


def test_yinhui_web_serves_the_page_on_the_port_given(database):
    port, output = free_port(), []
    with yinhui_web(port, output):
        page = httpx.get(f"http://127.0.0.1:{port}/bind", timeout=10)
        assert page.status_code == 200 and "绑定本浏览器" in page.text
        assert "server" not in page.headers  # no software banner
    assert f"Task page: http://127.0.0.1:{port}/  (public address: not set, YINHUI_WEB_URL)" in output[0]
    assert '"GET /bind HTTP/1.1" 200' in output[0]  # the access log: paths only


def test_the_invite_names_the_page_where_the_code_binds_a_browser(database, capsys, monkeypatch):
    from models.db import session_scope
    from tests import factories
    from yinhui.cli import main
    from yinhui.settings import reset_settings

    with session_scope() as s:
        factories.small_county(s)
    port, output = free_port(), []
    address = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("YINHUI_WEB_URL", address + "/")
    reset_settings()
    assert main(["coordinator", "invite", "赵村网格"]) == 0
    printed = capsys.readouterr().out
    [line] = [line for line in printed.splitlines() if "in a browser" in line]
    assert line == f"  in a browser (WeChat, WeCom, DingTalk or any other), open {address}/bind and type the code"
    code = re.search(r"/start (\S+)", printed).group(1)
    with yinhui_web(port, output, YINHUI_WEB_URL=address), httpx.Client(base_url=address) as browser:
        token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/bind").text).group(1)
        bound = browser.post("/bind", data={"csrf": token, "code": code}, follow_redirects=True)
        assert bound.url.path == "/tasks" and "赵村网格" in bound.text


def test_the_installed_package_carries_the_templates_and_the_stylesheet():
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["yinhui.web"]
    web = root / "yinhui" / "web"
    shipped = [p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file() and p.suffix in (".html", ".css")]
    assert shipped and all(any(fnmatch(name, glob) for glob in data) for name in shipped)
