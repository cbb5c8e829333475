"""`yinhui serve --port N` / `--host`: the UI in a browser calls the server on that port, not 4200.

The Prefect UI reads where its API is from `GET /ui-settings` (`api_url`) before anything else;
a server started on another port without being told so sends the browser to 4200 ("Unable to
connect to Prefect server", or silently another server that runs there).
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from deployments.serve import local_prefect_server, server_urls
from tests.support.serving import yinhui_serve
from tests.support.stack import (
    START_TIMEOUT,
    app_database,
    free_port,
    ready_prefect_home,
    wait_for,
)

pytestmark = pytest.mark.prefect


def ui_settings(port: int) -> dict:
    """What the browser reads first: the UI's settings, from the server on `port`."""
    return httpx.get(f"http://127.0.0.1:{port}/ui-settings", timeout=10).json()


def test_serve_on_another_port_points_the_ui_at_that_port(tmp_path: Path):
    app_url, _ = app_database("sqlite", tmp_path)
    with yinhui_serve(tmp_path, app_url) as serve:
        assert ui_settings(serve.port)["api_url"] == serve.api_url == f"http://127.0.0.1:{serve.port}/api"
        wait_for("serve printing where the UI is", lambda: f"http://127.0.0.1:{serve.port}" in serve.log.read_text(),
              START_TIMEOUT, serve.log)


def test_a_server_on_every_interface_gives_the_browser_the_machines_name(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PREFECT_UI_API_URL", raising=False)
    port = free_port()
    assert server_urls("0.0.0.0", port) == (f"http://127.0.0.1:{port}/api", f"http://{socket.gethostname()}:{port}/api")
    assert server_urls("::1", port)[0] == f"http://[::1]:{port}/api"
    with local_prefect_server(ready_prefect_home(tmp_path / "server"), port=port, host="0.0.0.0", scheduler=False, timeout=START_TIMEOUT) as api_url:
        assert api_url == f"http://127.0.0.1:{port}/api"
        assert ui_settings(port)["api_url"] == f"http://{socket.gethostname()}:{port}/api"

    monkeypatch.setenv("PREFECT_UI_API_URL", "https://yinhui.example.org/prefect/api")  # behind a proxy: as given
    assert server_urls("0.0.0.0", port)[1] == "https://yinhui.example.org/prefect/api"
