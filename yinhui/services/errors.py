"""The domain errors services raise; each message says what cannot be done and why, without personal data."""

from __future__ import annotations


class CareError(ValueError):
    """A care request (report, attendance, leave, volunteer log ...) that cannot be carried out."""

class CalendarError(ValueError):
    """A calendar, node or event request that cannot be carried out; the message says why."""


class ChatError(ValueError):
    """A chat request that cannot be carried out; the message says why (no personal data)."""


class CoordinatorError(ValueError):
    """A coordinator request that cannot be carried out; the message says why."""


class TaskError(ValueError):
    """A request about a task that cannot be carried out; the message says why."""


class SnapshotError(ValueError):
    """A snapshot that cannot be taken (the month is not over yet, or is not a month)."""
