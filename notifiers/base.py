"""The one interface every outbound channel implements: messages in, one `Result` per message out.

A channel sends and says what happened; it never reads or writes the database. Whatever it needs
to know (the chat id, Apprise URLs, button tokens, parts already sent before a crash) comes in
with the message, and what it reports (sent ids, retry after, a chat that moved, a refusal) is
recorded by the dispatch flow (flows.dispatch_outbox).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from yinhui.messages.content import Message

SENT, RETRY, FAILED, REFUSED = "sent", "retry", "failed", "refused"
Outcome = Literal["sent", "retry", "failed", "refused"]


class NotifyError(Exception):
    """A channel that cannot work at all (no token, say). `permanent` says whether trying again can help."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None,
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
    """A message as it leaves the outbox, with what its channel needs to send it."""

    notification_id: int
    kind: str
    recipient: Recipient
    message: Message
    buttons: Mapping[int, str] = field(default_factory=dict)  # task id → callback token (Telegram, private)
    sent_parts: Mapping[int, int] = field(default_factory=dict)  # part → message id accepted before
    targets: tuple[str, ...] = ()  # Apprise URLs (WeCom, DingTalk, e-mail)


@dataclass(frozen=True)
class Result:
    """What happened to one message.

    - sent: delivered; `parts` holds the channel's message id of each part, `external_id` sums it up;
    - retry: not sent, try again after `retry_after` seconds (flood control, a batch out of time);
    - failed: not sent this time (network, server); the outbox backs off and tries again;
    - refused: will never go as it is; `unreachable` when the recipient's chat itself is gone.

    `moved_to`: the chat became this id (a group upgraded to a supergroup), whatever the outcome.
    """

    notification_id: int
    outcome: Outcome
    parts: tuple[int, ...] = ()
    external_id: str | None = None
    retry_after: float | None = None
    reason: str = ""
    unreachable: bool = False
    moved_to: int | None = None

    @classmethod
    def sent(cls, notification_id: int, external_id: str | None, *, parts: Sequence[int] = (),
             moved_to: int | None = None) -> Result:
        return cls(notification_id, "sent", tuple(parts), external_id, moved_to=moved_to)

    @classmethod
    def retry(cls, notification_id: int, seconds: float, reason: str, *, moved_to: int | None = None) -> Result:
        return cls(notification_id, "retry", retry_after=seconds, reason=reason, moved_to=moved_to)

    @classmethod
    def failed(cls, notification_id: int, reason: str, *, moved_to: int | None = None) -> Result:
        return cls(notification_id, "failed", reason=reason, moved_to=moved_to)

    @classmethod
    def refused(cls, notification_id: int, reason: str, *, unreachable: bool = False,
                moved_to: int | None = None) -> Result:
        return cls(notification_id, "refused", reason=reason, unreachable=unreachable, moved_to=moved_to)

    @classmethod
    def of_error(cls, notification_id: int, error: NotifyError, *, moved_to: int | None = None) -> Result:
        if error.permanent:
            return cls.refused(notification_id, str(error), unreachable=error.recipient_unreachable, moved_to=moved_to)
        if error.retry_after:
            return cls.retry(notification_id, error.retry_after, str(error), moved_to=moved_to)
        return cls.failed(notification_id, str(error), moved_to=moved_to)


@dataclass(frozen=True)
class PartSent:
    """One part of a long message was accepted: reported at once, so a retry never sends it again."""

    notification_id: int
    part: int
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class AboutToSend:
    """A part is about to go: the callback raises if the message is no longer this dispatcher's to send.

    Asked right before each request that would put a part in a chat (after any wait for the rate
    limits), so a dispatcher that was stopped past its claim's lease and taken over sends no more of it.
    """

    notification_id: int
    part: int


Progress = Callable[[PartSent | Result | AboutToSend], None]


class Notifier:
    """Base class: one channel. `notify` sends one message; `notify_all` a batch, reporting as it goes."""

    kind: ClassVar[str] = ""

    def notify(self, message: Outbound) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def notify_all(self, messages: Sequence[Outbound], progress: Progress | None = None) -> list[Result]:
        """One result per message, in order; `progress` hears each as soon as it is known.

        A channel with its own pacing (Telegram) overrides this to send concurrently; the default
        sends one after another.
        """
        results = []
        for message in messages:
            try:
                result = self.notify(message)
            except NotifyError as exc:
                result = Result.of_error(message.notification_id, exc)
            if progress is not None:
                progress(result)
            results.append(result)
        return results
