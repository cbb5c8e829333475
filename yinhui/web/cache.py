"""The coordinator's page, kept rendered between changes: most loads of a page find nothing changed.

A page is kept per (coordinator, day, language) with the version of their list it was drawn from
(`yinhui.services.overview.page_version`: the newest task, how many are theirs and the newest
audit event of those; every task change writes one, from any process), and is used again only
while that version still holds and for at most `MAX_AGE` seconds (what no task event records, such
as a cadre's new phone number or an event moved, shows within that time). The page is kept with a placeholder where the browser's
CSRF token goes; a page showing a one-time message (flash) is drawn afresh and not kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

MAX_AGE = 30.0  # seconds
MAX_PAGES = 500  # about ten times the coordinators of a county
TOKEN_SLOT = "\x00csrf\x00"  # never in a rendered page otherwise; replaced by the browser's token


class PageCache:
    """Rendered pages by key, each with the data version it shows; thread-safe (endpoints run in a pool)."""

    def __init__(self, *, max_age: float = MAX_AGE, max_pages: int = MAX_PAGES) -> None:
        self._pages: OrderedDict[Hashable, tuple[Hashable, float, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_age = max_age
        self._max_pages = max_pages

    def get(self, key: Hashable, version: Hashable) -> str | None:
        with self._lock:
            kept = self._pages.get(key)
            if kept is None:
                return None
            kept_version, at, html = kept
            if kept_version != version or time.monotonic() - at > self._max_age:
                del self._pages[key]
                return None
            return html

    def put(self, key: Hashable, version: Hashable, html: str) -> None:
        with self._lock:
            self._pages[key] = (version, time.monotonic(), html)
            self._pages.move_to_end(key)
            while len(self._pages) > self._max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
