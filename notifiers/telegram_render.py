"""Deprecated: a grid notice is rendered by `yinhui.messages.notices.render_grid_notice` (the CLI still imports this)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from notifiers.telegram.chat_format import to_chat
from yinhui.messages.notices import render_grid_notice as _render


def render_grid_notice(counts: Any, day: dt.date, language: str) -> str:
    """The notice as a group chat shows it (kept for `queue_grid_notices(render=...)` callers)."""
    message = _render(grid=counts.grid, day=day.isoformat(), live=counts.live, overdue=counts.overdue,
                      done=counts.done_this_month, language=language)
    return "\n".join(part.text for part in to_chat(message, private=False))
