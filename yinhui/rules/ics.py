"""Render calendars as iCalendar (RFC 5545) feeds of all-day events for phones and desktops.

Three feeds: the year's calendar nodes, the events planned around them with their steps, and a
coordinator's own open tasks. Every entry is an all-day VEVENT with a UID that stays the same
from one export to the next (a subscribed calendar updates instead of doubling). A feed leaves
the bureau, so what goes in is chosen by the callers here: names and dates, never ID numbers,
phones or addresses.

Hand-written because it is small: all-day VEVENTs, TEXT escaping (RFC 5545 §3.3.11), CRLF line
ends and line folding at 75 octets that never cuts a UTF-8 character in two (§3.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from yinhui.rules.calendar_nodes import Node

__all__ = ["Entry", "escape_text", "event_uid", "fold_line", "node_entry", "render_calendar", "render_ics",
           "task_uid", "uid_for"]

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


@dataclass(frozen=True)
class Entry:
    """One all-day entry of a feed: a node, an event, one of its steps or a task.

    ``last_day`` is the entry's last day, inclusive (default: ``day`` alone); a cancelled entry
    stays in the feed as STATUS:CANCELLED, so a calendar that has it takes it off.
    """

    uid: str
    day: dt.date
    summary: str
    last_day: dt.date | None = None
    description: str | None = None
    location: str | None = None
    categories: str | None = None
    cancelled: bool = False
    busy: bool = False


def uid_for(node: Node) -> str:
    """A UID stable across exports, so re-importing updates events instead of duplicating them."""
    return f"{node.key}-{node.date:%Y%m%d}@{_UID_DOMAIN}"


def event_uid(event_id: int) -> str:
    """An event's UID (the event day itself; its steps are tasks)."""
    return f"event-{event_id}@{_UID_DOMAIN}"


def task_uid(task_id: int) -> str:
    """A task's UID: the same for an event's step in the events feed and in its owner's task feed."""
    return f"task-{task_id}@{_UID_DOMAIN}"


def node_entry(node: Node) -> Entry:
    # A festival should not mark anyone busy in their scheduling tools.
    return Entry(uid_for(node), node.date, f"{node.name_zh} {node.name_en}", description=node.note,
                 categories=node.kind)


def _utc_stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(entry: Entry, stamp: str) -> list[str]:
    last = entry.last_day or entry.day
    if last < entry.day:
        raise ValueError(f"{entry.uid}: ends on {last} before it starts on {entry.day}")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(entry.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{entry.day:%Y%m%d}",
        # DTEND is exclusive (§3.6.1): a one-day event ends the next day.
        f"DTEND;VALUE=DATE:{last + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(entry.summary)}",
    ]
    if entry.location:
        lines.append(f"LOCATION:{escape_text(entry.location)}")
    if entry.categories:
        lines.append(f"CATEGORIES:{escape_text(entry.categories)}")
    lines.append("TRANSP:OPAQUE" if entry.busy else "TRANSP:TRANSPARENT")
    if entry.cancelled:
        lines.append("STATUS:CANCELLED")
    if entry.description:
        lines.append(f"DESCRIPTION:{escape_text(entry.description)}")
    lines.append("END:VEVENT")
    return lines


def render_ics(
    nodes: Iterable[Node],
    calendar_name: str,
    tz: str = "Asia/Shanghai",
    *,
    generated_at: dt.datetime,
    entries: Iterable[Entry] = (),
) -> str:
    """One VCALENDAR with an all-day VEVENT per node, in the order given, then ``entries``."""
    return render_calendar([*(node_entry(n) for n in nodes), *entries], calendar_name, tz,
                           generated_at=generated_at)


def render_calendar(
    entries: Iterable[Entry],
    calendar_name: str,
    tz: str = "Asia/Shanghai",
    *,
    generated_at: dt.datetime,
) -> str:
    """One VCALENDAR with an all-day VEVENT per entry, in the order given.

    ``tz`` names the calendar's home zone (X-WR-TIMEZONE); all-day dates themselves float, as
    RFC 5545 intends. ``generated_at`` becomes every DTSTAMP: the caller reads the clock
    (``yinhui.clock.now()``), so the same input always renders the same text. A UID given twice
    is refused (ValueError).
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
    for entry in entries:
        if entry.uid in seen:
            raise ValueError(f"{entry.uid} is given twice")
        seen.add(entry.uid)
        lines.extend(_event_lines(entry, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + _CRLF for line in lines)
