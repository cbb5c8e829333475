"""Outbound channels, one small class each, found by kind: messages in, one `Result` each out."""

from notifiers.apprise_channel import DingTalkNotifier, EmailNotifier, WeComNotifier
from notifiers.base import Notifier, NotifyError, Outbound, PartSent, Recipient, Result
from notifiers.console import ConsoleNotifier
from notifiers.telegram import TelegramNotifier

NOTIFIERS: dict[str, type[Notifier]] = {
    ConsoleNotifier.kind: ConsoleNotifier,
    TelegramNotifier.kind: TelegramNotifier,
    WeComNotifier.kind: WeComNotifier,
    DingTalkNotifier.kind: DingTalkNotifier,
    EmailNotifier.kind: EmailNotifier,
}

__all__ = [
    "NOTIFIERS", "ConsoleNotifier", "Notifier", "NotifyError", "Outbound", "PartSent", "Recipient", "Result",
]
