"""The one interface every outbound channel implements, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class NotifyError(Exception):
    """A delivery that did not happen. `permanent` says whether trying again can help."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Recipient:
    coordinator_id: int | None
    name: str
    chat_id: int | None = None
    language: str = "zh"
    private: bool = True  # False for a group chat: no personal data may go there


@dataclass(frozen=True)
class Outbound:
    """A message as it leaves the outbox."""

    notification_id: int
    kind: str
    recipient: Recipient
    subject: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    external_id: str | None = None


class Notifier:
    """Base class: one channel, one method."""

    kind: ClassVar[str] = ""

    def notify(self, message: Outbound) -> Delivery:  # pragma: no cover - interface
        raise NotImplementedError
