"""`yinhui web`: serves the task page on the address given, and says where."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.browser import free_port


def test_yinhui_web_serves_the_page_on_the_port_given(database):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "yinhui.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "YINHUI_CLI_LANGUAGE": "en"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/bind", timeout=2)
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"yinhui web did not start: {server.communicate()[0]}")
                time.sleep(0.2)
        assert page.status_code == 200 and "绑定本浏览器" in page.text
        assert "server" not in page.headers  # no software banner
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert f"Task page: http://127.0.0.1:{port}/  (public address: not set, YINHUI_WEB_URL)" in output
    assert '"GET /bind HTTP/1.1" 200' in output  # the access log: paths only


def test_the_installed_package_carries_the_templates_and_the_stylesheet():
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["yinhui.web"]
    web = root / "yinhui" / "web"
    shipped = [p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file() and p.suffix in (".html", ".css")]
    assert shipped and all(any(fnmatch(name, glob) for glob in data) for name in shipped)
