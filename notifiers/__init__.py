"""Outbound channels, one small class each, found by kind."""

from notifiers.base import Delivery, Notifier, NotifyError, Outbound, Recipient
from notifiers.console import ConsoleNotifier

NOTIFIERS: dict[str, type[Notifier]] = {
    ConsoleNotifier.kind: ConsoleNotifier,
}

__all__ = ["NOTIFIERS", "ConsoleNotifier", "Delivery", "Notifier", "NotifyError", "Outbound", "Recipient"]
