"""The playbook's small value parsers and its error: node dates, step offsets, escalation days.

The bottom of the playbook's layers: imports no other rules module, so every playbook module can
use it. ``PlaybookError`` names the file, the key and the reason, as a bureau editing the file
needs it.
"""

from __future__ import annotations

import re
from os import PathLike

from pydantic import ValidationError

# Festival-visit rules are "festival:<node key>" and must fit Task.rule (40 characters).
NODE_KEY = r"^[a-z][a-z0-9_]{1,30}$"

_NODE_DATE = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
_OFFSET = re.compile(r"^T\s*(?:([+-])\s*(\d{1,3})|0)?$")


class PlaybookError(ValueError):
    """An invalid playbook, naming the file, the key and the reason."""

    def __init__(self, file: PathLike[str] | str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


def parse_node_date(text: str) -> tuple[int | None, int, int]:
    """'MM-DD' (every year) or 'YYYY-MM-DD' (once) as (year or None, month, day)."""
    match = _NODE_DATE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not MM-DD (every year) or YYYY-MM-DD (once)")
    year = int(match.group(1)) if match.group(1) else None
    return year, int(match.group(2)), int(match.group(3))


def parse_offset(value: object) -> int:
    """A step's place relative to the event: "T-60", "T0", "T+3" or a plain number of days."""
    if isinstance(value, bool):
        raise ValueError("expected T-60, T0, T+3 or a number of days")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _OFFSET.match(value.strip())
        if match:
            sign, days = match.groups()
            return 0 if days is None else (-int(days) if sign == "-" else int(days))
    raise ValueError(f"{value!r} is not like T-60, T0 or T+3")


def escalation_thresholds(value: list[int] | None) -> list[int] | None:
    """Escalation days: one or two (parent grid, then a leader), non-negative, strictly increasing."""
    if value is None:
        return value
    if not 1 <= len(value) <= 2 or any(d < 0 for d in value) or value != sorted(set(value)):
        raise ValueError("give one or two days overdue, non-negative and strictly increasing")
    return value


def doubled(values: list[str]) -> str | None:
    """The first (in sorted order) value that appears more than once, else None."""
    twice = sorted({value for value in values if values.count(value) > 1})
    return twice[0] if twice else None


def _key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


def playbook_error(exc: ValidationError, source: PathLike[str] | str) -> PlaybookError:
    """The first problem pydantic found, as the key the bureau wrote and a plain reason."""
    first = exc.errors()[0]
    # pydantic appends the literal/union branch to loc; the user wants the key they wrote.
    loc = tuple(
        p for p in first["loc"]
        if not (isinstance(p, str) and p.startswith(("literal[", "int", "[key]")))
    )
    reason = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        reason = "unknown key (a typo?)"
    extra = len(exc.errors()) - 1
    if extra:
        reason += f" (and {extra} more problem{'s' if extra > 1 else ''})"
    return PlaybookError(source, _key(loc), reason)
