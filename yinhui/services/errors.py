"""The domain errors services raise; each message says what cannot be done and why, without personal data.

A message is an English catalogue text with {placeholders} and its values, so that every surface
words it in its reader's language: `str(error)` is the English (logs, tests), `error.render(lang)`
the reader's (the command line in the operator's language, a chat reply in the chat's)::

    raise TaskError(N_("no task #{task_id}"), task_id=task_id)
"""

from __future__ import annotations

from yinhui import i18n


class DomainError(ValueError):
    """A request that cannot be carried out; the message says why, in any language."""

    def __init__(self, message: str, /, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message.format(**values) if values else message)

    def render(self, language: str | None) -> str:
        """The message in a reader's language ("zh", "en")."""
        return i18n.text(language, self.message, **self.values)


class CareError(DomainError):
    """A care request (report, attendance, leave, volunteer log ...) that cannot be carried out."""

class CalendarError(DomainError):
    """A calendar, node or event request that cannot be carried out; the message says why."""


class ChatError(DomainError):
    """A chat request that cannot be carried out; the message says why (no personal data)."""


class CoordinatorError(DomainError):
    """A coordinator request that cannot be carried out; the message says why."""


class TaskError(DomainError):
    """A request about a task that cannot be carried out; the message says why."""


class TaskClosedError(TaskError):
    """The task was closed before this change: "task #12 is already done by 王芳 at 2026-11-29 10:15 (reached)".

    ``by`` is a person's name where a coordinator closed it (else the actor: ``cli``, a flow);
    ``at`` the local time, as shown. A surface may word its own reply from these.
    """

    def __init__(self, task_id: int, status: str, *, by: str, at: str | None, outcome: str | None = None) -> None:
        self.task_id, self.status, self.by, self.at, self.outcome = task_id, status, by, at, outcome
        word = {"missed": "closed as missed"}.get(status, status)
        when = f" at {at}" if at else ""
        what = f" ({outcome})" if outcome and status == "done" else ""
        super().__init__(f"task #{task_id} is already {word} by {by}{when}{what}; nothing was changed")


class PlanningError(TaskError):
    """A plan that must not run as asked (a day outside the planning window); the message says why.

    A `TaskError` (the tasks a plan would create are what is refused), so every surface that
    reports task refusals in one line reports this one too.
    """


class SnapshotError(DomainError):
    """A snapshot that cannot be taken (the month is not over yet, or is not a month)."""
