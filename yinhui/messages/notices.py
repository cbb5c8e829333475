"""Renderers for the short messages: a grid group's daily notice, a leader's broken-channel alert, a stored text."""

from __future__ import annotations

from yinhui.messages.content import Message
from yinhui.messages.texts import language_of, text

NOTICE_ICON = "📣"


def render_grid_notice(*, grid: str, day: str, live: int, overdue: int, done: int, language: str) -> Message:
    """A grid group's daily notice: counts only, never a name, phone or address (网格群不发个人信息)."""
    language = language_of(language)
    return Message(
        kind="notice", language=language, title=text(language, "notice.title", day=day, grid=grid),
        icon=NOTICE_ICON,
        intro=(
            text(language, "notice.counts", live=live, overdue=overdue, done=done),
            text(language, "notice.late" if overdue else "notice.fine"),
        ),
    )


def render_channel_broken(*, who: str, channel: str, reason: str, language: str) -> Message:
    """A leader hears that a coordinator's channel stopped delivering, and how to bind them again."""
    language = language_of(language)
    body = text(language, "alert.broken.coordinator", who=who, channel=channel, reason=reason, name=who)
    return Message(kind="alert", language=language, title=text(language, "alert.broken.title"), headline=False,
                   intro=(body,))


def render_group_broken(*, grid: str, reason: str, language: str) -> Message:
    """A leader hears that a grid's group chat cannot be reached any more."""
    language = language_of(language)
    body = text(language, "alert.broken.group", grid=grid, reason=reason)
    return Message(kind="alert", language=language, title=text(language, "alert.broken.title"), headline=False,
                   intro=(body,))


def stored_text(*, kind: str, subject: str, body: str, language: str) -> Message:
    """A message queued as finished text by a part of Yinhui without a renderer here (a run alert)."""
    return Message(kind=kind, language=language_of(language), title=subject, headline=False, intro=(body,))
