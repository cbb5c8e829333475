"""The console channel: prints each message as plain text, so the whole loop works with no chat account."""

from __future__ import annotations

import sys
from typing import ClassVar, TextIO

from notifiers.base import Notifier, Outbound, Result
from yinhui.messages.content import as_text


class ConsoleNotifier(Notifier):
    kind: ClassVar[str] = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def notify(self, message: Outbound) -> Result:
        stream = self.stream or sys.stdout
        subject, body = as_text(message.message)
        rule = "─" * 60
        try:
            stream.write(f"{rule}\n→ {message.recipient.name} · {subject}\n{rule}\n{body}\n\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # a closed pipe or file
            return Result.failed(message.notification_id, f"console output failed: {exc}")
        return Result.sent(message.notification_id, f"console:{message.notification_id}")
