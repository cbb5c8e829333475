"""From an outbox row to its `Message`: the renderer its payload names, else the text stored with it.

A row keeps the renderer's input (its payload: counts, names, tasks) beside the plain text written
when it was queued. At delivery the same renderer draws it again for the channel's format, with
the buttons and chat splitting that only the channel knows about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from yinhui.messages.content import Message
from yinhui.messages.digest import render_digest
from yinhui.messages.notices import (
    render_channel_broken,
    render_grid_notice,
    render_group_broken,
    stored_text,
)
from yinhui.rules.playbook import Playbook

Renderer = Callable[[Mapping[str, Any], Playbook | None], Message]

RENDERERS: dict[str, Renderer] = {
    "digest": lambda p, playbook: render_digest(p, playbook=playbook),
    "grid_notice": lambda p, _: render_grid_notice(
        grid=str(p["grid"]), day=str(p["day"]), live=int(p["live"]), overdue=int(p["overdue"]),
        done=int(p["done"]), language=str(p["language"]),
    ),
    "channel_broken": lambda p, _: render_channel_broken(
        who=str(p["who"]), channel=str(p["channel"]), reason=str(p["reason"]), language=str(p["language"]),
    ),
    "group_broken": lambda p, _: render_group_broken(
        grid=str(p["grid"]), reason=str(p["reason"]), language=str(p["language"]),
    ),
}


def message_for(
    *, kind: str, payload: Any, subject: str, body: str, language: str, playbook: Playbook | None = None
) -> Message:
    """The content of a queued message, drawn by its renderer (or its stored text when it names none)."""
    data: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    name = data.get("render")
    if name is None and kind == "digest" and isinstance(data.get("items"), list):
        name = "digest"  # queued before payloads named their renderer
    renderer = RENDERERS.get(str(name)) if name is not None else None
    if renderer is not None:
        try:
            return renderer(data, playbook)
        except (KeyError, TypeError, ValueError):  # a payload of another shape: its stored text still serves
            pass
    return stored_text(kind=kind, subject=subject, body=body, language=language)
