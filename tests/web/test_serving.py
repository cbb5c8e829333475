"""How the task page is served: a keep-alive connection left idle is still answered."""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.support.browser import served


def _ask(connection: socket.socket) -> bytes:
    """One request on the open connection; its whole answer (head and body), or what came before the server closed it."""
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer, length = b"", None
    while length is None or len(answer) < length:
        part = connection.recv(4096)
        if not part:  # the server closed the connection instead of answering
            return answer
        answer += part
        if length is None and b"\r\n\r\n" in answer:
            head = answer.split(b"\r\n\r\n", 1)[0]
            size = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            assert size, head
            length = len(head) + 4 + int(size.group(1))
    return answer


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_connection_idle_as_long_as_clients_keep_one_is_still_answered(app):
    # httpx and requests keep an idle connection 5 s and reuse it without a retry; a server that
    # closes it at the same 5 s (uvicorn's own default) races them, and the loser gets no answer.
    with served(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            assert _ask(connection).startswith(b"HTTP/1.1 200")
            time.sleep(6)
            assert _ask(connection).startswith(b"HTTP/1.1 200")
