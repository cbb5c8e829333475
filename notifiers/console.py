"""The console channel: prints each message, so the whole loop works with no chat account."""

from __future__ import annotations

import sys
from typing import ClassVar, TextIO

from notifiers.base import Delivery, Notifier, NotifyError, Outbound


class ConsoleNotifier(Notifier):
    kind: ClassVar[str] = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def notify(self, message: Outbound) -> Delivery:
        stream = self.stream or sys.stdout
        rule = "─" * 60
        try:
            stream.write(f"{rule}\n→ {message.recipient.name} · {message.subject}\n{rule}\n{message.body}\n\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # a closed pipe or file
            raise NotifyError(f"console output failed: {exc}", permanent=False) from exc
        return Delivery(external_id=f"console:{message.notification_id}")
