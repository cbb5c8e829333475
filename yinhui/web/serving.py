"""How the task page is served: one uvicorn configuration for `yinhui web`, the benchmark and the tests.

Idle keep-alive: a client that sends its next request on a connection at the very moment the
server closes it as idle gets no answer at all (an HTTP client without retries reports "server
disconnected"). The race is avoided when the side that sends gives up on idle connections first.
Browsers retry such a request; a reverse proxy and HTTP libraries may not: nginx keeps its idle
upstream connections 60 s, httpx and requests 5 s. So the server keeps them longer than all of
those.
"""

from __future__ import annotations

from typing import Any

KEEP_ALIVE_SECONDS = 75
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8080  # where `yinhui web` listens unless told otherwise


def page_address(path: str = "/") -> str:
    """The address people open for ``path``: the public one (`YINHUI_WEB_URL`), else where `yinhui web`
    listens by default."""
    from yinhui.settings import get_settings

    return (get_settings().web_url or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}").rstrip("/") + path


def server_config(application: Any, *, host: str, port: int, log_level: str = "info",
                  access_log: bool = True, **options: Any) -> Any:
    """A uvicorn ``Config`` for the task page (no ``Server`` header, idle connections kept 75 s)."""
    import uvicorn

    return uvicorn.Config(application, host=host, port=port, log_level=log_level, access_log=access_log,
                          server_header=False, timeout_keep_alive=KEEP_ALIVE_SECONDS, **options)


def serve(application: Any, *, host: str, port: int, log_level: str = "info", access_log: bool = True) -> None:
    """Serve until Ctrl-C or SIGTERM (uvicorn's own signal handling)."""
    import uvicorn

    uvicorn.Server(server_config(application, host=host, port=port, log_level=log_level,
                                 access_log=access_log)).run()
