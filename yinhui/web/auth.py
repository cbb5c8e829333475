"""Who a browser is: a signed, HTTP-only session cookie for a coordinator, a CSRF token per browser, slow wrong codes.

The session cookie carries the coordinator's id, the invite that bound it and when, signed with
the page's key (`YINHUI_WEB_SECRET`, else a random key kept in the data directory); it is honoured
only while the coordinator is active, so deactivating a coordinator signs out every browser, and
only if it was bound after the coordinator's browsers were last signed out (`yinhui coordinator
sign-out NAME`, or 在所有浏览器上退出 on the page: a lost phone). Both times are the machine's own
wall clock. It never touches the Telegram binding: a coordinator may use both.

CSRF: every form carries the token of the browser's `yinhui_csrf` cookie (double submit); the
token is renewed when a browser binds or signs out, so a form from before is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from models.people import Coordinator
from notifiers.bot.guard import CodeAttempts
from yinhui.settings import Settings

SESSION_COOKIE = "yinhui_session"
CSRF_COOKIE = "yinhui_csrf"
FLASH_COOKIE = "yinhui_flash"
SESSION_DAYS = 90
SECRET_FILE = "web_secret"


def signing_key(settings: Settings) -> bytes:
    """The key that signs cookies: the configured secret, else one kept (mode 0600) in the data directory."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value().encode()
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process wrote it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


class Signer:
    """HMAC-SHA256 over a small JSON value, for cookies: `payload.signature`, both URL-safe base64."""

    def __init__(self, key: bytes, purpose: str) -> None:
        self._key = hashlib.sha256(purpose.encode() + b"\0" + key).digest()

    def _mac(self, body: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()).decode().rstrip("=")

    def sign(self, value: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body.encode())}"

    def unsign(self, token: str | None, *, max_age: float | None = None) -> dict[str, object] | None:
        """The value, or None when the token is missing, altered or older than ``max_age`` seconds."""
        if not token or "." not in token:
            return None
        body, _, mac = token.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        issued = value.get("at")
        if max_age is not None and (not isinstance(issued, int | float) or time.time() - issued > max_age):
            return None
        return value


@dataclass(frozen=True)
class WebSession:
    """A bound browser: whose it is, the invite that bound it, and when (seconds since the epoch)."""

    coordinator_id: int
    invite_id: int
    bound_at: float

    def honoured_for(self, coordinator: Coordinator | None) -> bool:
        """Whether the session still counts: its coordinator is active and has not had their browsers
        signed out since it was bound."""
        if coordinator is None or not coordinator.active or coordinator.id != self.coordinator_id:
            return False
        signed_out = coordinator.browsers_signed_out_at
        return signed_out is None or self.bound_at > signed_out.timestamp()


def session_token(signer: Signer, coordinator_id: int, invite_id: int) -> str:
    # Milliseconds: a browser bound right after a sign-out (the same second) must still count.
    return signer.sign({"c": coordinator_id, "i": invite_id, "at": round(time.time(), 3)})


def read_session(signer: Signer, token: str | None) -> WebSession | None:
    value = signer.unsign(token, max_age=SESSION_DAYS * 86400)
    if value is None or not isinstance(value.get("c"), int) or not isinstance(value.get("i"), int):
        return None
    return WebSession(int(value["c"]), int(value["i"]), float(value["at"]))  # type: ignore[call-overload, arg-type]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, submitted: str | None) -> bool:
    """The form's token is the browser's own (compared in constant time)."""
    return bool(cookie) and bool(submitted) and hmac.compare_digest(str(cookie), str(submitted))


class BindAttempts:
    """Wrong invitation codes per client address, by the chat's rule (`notifiers.bot.guard`)."""

    def __init__(self) -> None:
        self._book = CodeAttempts()

    @staticmethod
    def _key(client: str) -> int:
        return int.from_bytes(hashlib.sha256(client.encode()).digest()[:8], "big")

    def locked(self, client: str) -> bool:
        return self._book.locked(self._key(client))

    def wrong(self, client: str) -> None:
        self._book.wrong(self._key(client))
