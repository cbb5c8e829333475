"""The one interface every outbound channel implements, and the one error it raises."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


class NotifyError(Exception):
    """A delivery that did not happen. `permanent` says whether trying again can help.

    `recipient_unreachable` says the recipient's chat itself is gone (bot blocked, chat deleted),
    not just this message: the outbox then marks their channel broken and tells a leader.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        recipient_unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.recipient_unreachable = recipient_unreachable


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


Report = Callable[[Outbound, "Delivery | NotifyError"], None]


class Notifier:
    """Base class: one channel, one method (and an optional batch form of it)."""

    kind: ClassVar[str] = ""

    def notify(self, message: Outbound) -> Delivery:  # pragma: no cover - interface
        raise NotImplementedError

    def notify_many(self, messages: Sequence[Outbound], report: Report) -> None:
        """Send a batch, calling `report` once per message as soon as its fate is known.

        A channel with its own pacing (Telegram) overrides this to send concurrently; the default
        sends one after another.
        """
        for message in messages:
            try:
                result: Delivery | NotifyError = self.notify(message)
            except NotifyError as exc:
                result = exc
            report(message, result)
