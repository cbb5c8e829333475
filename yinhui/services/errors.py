"""The domain errors services raise; each message says what cannot be done and why, without personal data.

A message is an English catalogue text with {placeholders} and its values, so that every surface
words it in its reader's language: `str(error)` is the English (logs, tests), `error.render(lang)`
the reader's (the command line in the operator's language, a chat reply in the chat's)::

    raise TaskError(N_("no task #{task_id}"), task_id=task_id)
"""

from __future__ import annotations

from yinhui import i18n
from yinhui.i18n import N_


class Word(str):
    """One of our own words given as a value (a status, an outcome, a kind): English in ``str(error)``,
    translated with the message in ``error.render(lang)``, e.g. ``status=Word(cadre.status)``."""

    __slots__ = ()


# The words of ours that refusals name, so that the catalogues carry them (a Word that is not
# among them reads as written).
WORDS = (
    N_("active"), N_("inactive"), N_("deceased"), N_("moved"),
    N_("done"), N_("cancelled"), N_("closed as missed"), N_("open"), N_("overdue"),
    N_("reached"), N_("unreachable"), N_("visited"), N_("declined"), N_("covered"),
    N_("hospitalisation"), N_("family_event"), N_("hardship"), N_("death"), N_("discharged"), N_("resolved"),
)


class DomainError(ValueError):
    """A request that cannot be carried out; the message says why, in any language."""

    def __init__(self, message: str, /, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message.format(**values) if values else message)

    def render(self, language: str | None) -> str:
        """The message in a reader's language ("zh", "en"), our own words in it translated too."""
        values = {key: i18n.text(language, value) if isinstance(value, Word) else value
                  for key, value in self.values.items()}
        return i18n.text(language, self.message, **values)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as text and values (a flow run's error crossing processes), not as the English
        # alone, so that it can still be worded in the reader's language; a subclass's own fields too.
        return _restore, (type(self), self.message, self.values, dict(self.__dict__))


def _restore(cls: type[DomainError], message: str, values: dict[str, object], state: dict[str, object]) -> DomainError:
    error = cls.__new__(cls)
    DomainError.__init__(error, message, **values)
    error.__dict__.update(state)
    return error


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
        values: dict[str, object] = {"task_id": task_id, "status": Word({"missed": "closed as missed"}.get(status, status)),
                                     "by": by}
        if outcome and status == "done":
            values["outcome"] = Word(outcome)
            if at:
                super().__init__(N_("task #{task_id} is already {status} by {by} at {at} ({outcome}); nothing was changed"),
                                 at=at, **values)
            else:
                super().__init__(N_("task #{task_id} is already {status} by {by} ({outcome}); nothing was changed"),
                                 **values)
        elif at:
            super().__init__(N_("task #{task_id} is already {status} by {by} at {at}; nothing was changed"),
                             at=at, **values)
        else:
            super().__init__(N_("task #{task_id} is already {status} by {by}; nothing was changed"), **values)


class PlanningError(TaskError):
    """A plan that must not run as asked (a day outside the planning window); the message says why.

    A `TaskError` (the tasks a plan would create are what is refused), so every surface that
    reports task refusals in one line reports this one too.
    """


class SnapshotError(DomainError):
    """A snapshot that cannot be taken (the month is not over yet, or is not a month)."""
