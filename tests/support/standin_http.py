"""The stand-in's HTTP side: a threading server and a keep-alive handler that hand each request to the stand-in."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.bot_api_standin import BotApiStandIn

_LOGGER = logging.getLogger("tests.support.bot_api_standin")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck handler thread must never keep the process alive

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, cancelled long polls) are normal here.
        _LOGGER.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like Telegram: the client reuses connections, which is what
    # makes a dropped connection mid-stream meaningful.
    protocol_version = "HTTP/1.1"
    server_version = "BotApiStandIn/1.0"
    timeout = 60  # idle keep-alive connections give up eventually
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body
    # waits for the client's delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    standin: BotApiStandIn  # set on the per-instance subclass

    def setup(self) -> None:
        super().setup()
        self.standin._track_connection(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.standin._track_connection(self.connection, open_=False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        outcome = self.standin._process(self.path, self.headers.get("Content-Type"), body)
        if outcome.status is None:
            if outcome.delay > 0:
                self.standin._stopping.wait(outcome.delay)
            # Close without a single byte of response: the client sees a dropped connection.
            self.close_connection = True
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)
