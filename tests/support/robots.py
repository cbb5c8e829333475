"""Local stand-ins for the group robots (WeCom, DingTalk) and an SMTP server, for the Apprise channel's tests.

`robots` points Apprise's WeCom and DingTalk plugins at a loopback HTTP server that records each post;
`mailbox` is just enough SMTP to receive a message. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.wecombot import NotifyWeComBot

WECOM_KEY = "wecom-robot-key-0001"


class Robots:
    """A local stand-in for the WeCom and DingTalk robot endpoints."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                robots.posts.append((self.path, json.loads(body or b"{}")))
                self.send_response(robots.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


class Mailbox(socketserver.ThreadingTCPServer):
    """Just enough SMTP to receive one message at a time."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[str] = []
        box = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 localhost ESMTP\r\n")
                data, in_data = [], False
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace")
                    if in_data:
                        if line.rstrip("\r\n") == ".":
                            box.messages.append("".join(data))
                            in_data = False
                            self.wfile.write(b"250 OK\r\n")
                        else:
                            data.append(line)
                        continue
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                    elif verb == "AUTH":
                        self.wfile.write(b"235 accepted\r\n")
                    elif verb == "DATA":
                        in_data, data = True, []
                        self.wfile.write(b"354 go ahead\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 OK\r\n")

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def robots(monkeypatch) -> Iterator[Robots]:
    server = Robots()
    server.thread.start()
    monkeypatch.setattr(NotifyWeComBot, "notify_url", server.url + "/cgi-bin/webhook/send?key={key}")
    monkeypatch.setattr(NotifyDingTalk, "notify_url", server.url + "/robot/send?access_token={token}")
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    thread = threading.Thread(target=box.serve_forever, daemon=True)
    thread.start()
    yield box
    box.shutdown()
    box.server_close()


def mail_url(mailbox: Any) -> str:
    """An e-mail target that sends to the local mailbox stand-in."""
    port = mailbox.server_address[1]
    return f"mailto://bureau:secret@127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure&from=bureau@example.org&to=zhao@example.org"
