"""Render calendar nodes as an iCalendar (RFC 5545) feed of all-day events for phones and desktops.

Hand-written because it is small: all-day VEVENTs, TEXT escaping (RFC 5545 §3.3.11), CRLF line
ends and line folding at 75 octets that never cuts a UTF-8 character in two (§3.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from yinhui.rules.calendar_nodes import Node

__all__ = ["escape_text", "fold_line", "render_ics", "uid_for"]

_CRLF = "\r\n"
_MAX_OCTETS = 75
_PRODID = "-//Yinhui//Calendar nodes//ZH"
_UID_DOMAIN = "yinhui"


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks (§3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # Other control characters are not allowed in TEXT at all; tabs are.
    return "".join(ch for ch in value if ch == "\t" or (ord(ch) >= 0x20 and ch != "\x7f"))


def fold_line(line: str) -> str:
    """Fold one content line into CRLF-joined pieces of at most 75 octets each.

    Continuation pieces start with one space, which counts towards their 75 octets. Cuts fall
    between characters, so a 3-octet Chinese character is never split.
    """
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for ch in line:
        size = len(ch.encode("utf-8"))
        if used + size > _MAX_OCTETS:
            pieces.append("".join(current))
            current, used = [" "], 1
        current.append(ch)
        used += size
    pieces.append("".join(current))
    return _CRLF.join(pieces)


def uid_for(node: Node) -> str:
    """A UID stable across exports, so re-importing updates events instead of duplicating them."""
    return f"{node.key}-{node.date:%Y%m%d}@{_UID_DOMAIN}"


def _utc_stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(node: Node, stamp: str) -> list[str]:
    summary = f"{node.name_zh} {node.name_en}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(uid_for(node))}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{node.date:%Y%m%d}",
        # DTEND is exclusive (§3.6.1): a one-day event ends the next day.
        f"DTEND;VALUE=DATE:{node.date + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(summary)}",
        f"CATEGORIES:{escape_text(node.kind)}",
        # A festival should not mark anyone busy in their scheduling tools.
        "TRANSP:TRANSPARENT",
    ]
    if node.note:
        lines.append(f"DESCRIPTION:{escape_text(node.note)}")
    lines.append("END:VEVENT")
    return lines


def render_ics(
    nodes: Iterable[Node],
    calendar_name: str,
    tz: str = "Asia/Shanghai",
    *,
    generated_at: dt.datetime,
) -> str:
    """One VCALENDAR with an all-day VEVENT per node, in the order given.

    ``tz`` names the calendar's home zone (X-WR-TIMEZONE); all-day dates themselves float, as
    RFC 5545 intends. ``generated_at`` becomes every DTSTAMP: the caller reads the clock
    (``yinhui.clock.now()``), so the same input always renders the same text.
    """
    ZoneInfo(tz)  # fail early on a misspelt zone name
    if not calendar_name.strip():
        raise ValueError("calendar_name must not be empty")
    stamp = _utc_stamp(generated_at)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
        f"X-WR-TIMEZONE:{tz}",
    ]
    seen: set[str] = set()
    for node in nodes:
        uid = uid_for(node)
        if uid in seen:
            raise ValueError(f"node {node.key!r} on {node.date} is given twice")
        seen.add(uid)
        lines.extend(_event_lines(node, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + _CRLF for line in lines)
