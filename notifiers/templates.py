"""Deprecated: the texts and the digest renderer moved to `yinhui.messages`; these names stay until their last users move.

(flows/alerts.py and flows/artifacts.py use `language_of` and `kind_label`; tests/services use
`render_digest` and `digest_payload`.)
"""

from __future__ import annotations

from yinhui.messages.content import as_text
from yinhui.messages.digest import render_digest as _render
from yinhui.messages.texts import kind_label, language_of
from yinhui.services.digests import Digest, digest_payload

__all__ = ["digest_payload", "kind_label", "language_of", "render_digest"]


def render_digest(digest: Digest, *, language: str, horizon_days: int) -> tuple[str, str]:
    """(subject, body) of a digest in plain text: `as_text(render_digest(digest_payload(...)))`."""
    return as_text(_render(digest_payload(digest, language=language, horizon_days=horizon_days)))
