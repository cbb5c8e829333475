"""Tests for yinhui.rules.ics: RFC 5545 line folding, TEXT escaping, and a parse-back round trip."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from yinhui.rules.calendar_nodes import Node, nodes_for_year
from yinhui.rules.ics import (
    Entry,
    escape_text,
    event_uid,
    fold_line,
    render_calendar,
    render_ics,
    task_uid,
    uid_for,
)

STAMP = dt.datetime(2025, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def unfold(text: str) -> list[str]:
    """Undo folding (§3.1): a CRLF followed by one space or tab joins two lines."""
    assert text.endswith("\r\n")
    return re.sub(r"\r\n[ \t]", "", text)[: -len("\r\n")].split("\r\n")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def properties(lines: list[str], name: str) -> list[str]:
    """Values of every property called ``name`` (parameters, if any, stripped off)."""
    found = []
    for line in lines:
        head, _, value = line.partition(":")
        if head.split(";")[0] == name:
            found.append(value)
    return found


def long_node(name_zh: str) -> Node:
    return Node(
        "party_history_lecture", name_zh, "Party history lecture", dt.date(2026, 7, 1), "bureau"
    )


def test_escape_text() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert escape_text("第一行\r\n第二行\r第三行") == "第一行\\n第二行\\n第三行"
    assert escape_text("tab\there\x07") == "tab\there"


@pytest.mark.parametrize("prefix", ["SUMMARY:", "SUMMARY:x", "SUMMARY:xy"])
def test_folding_keeps_lines_short_and_characters_whole(prefix: str) -> None:
    # Three prefixes shift where 75 octets falls relative to the 3-octet characters, so a
    # byte-based cut would land inside a character for at least two of them.
    line = prefix + "老干部局重阳节敬老活动" * 12 + "🎉" * 5
    folded = fold_line(line).encode("utf-8")
    physical = folded.split(b"\r\n")
    assert len(physical) > 3
    for index, raw in enumerate(physical):
        assert len(raw) <= 75
        raw.decode("utf-8")  # raises if a character was cut in two
        if index:
            assert raw.startswith(b" ") and not raw.startswith(b"  ")
    assert unfold(fold_line(line) + "\r\n") == [line]


def test_short_lines_are_not_folded() -> None:
    assert fold_line("VERSION:2.0") == "VERSION:2.0"
    exactly = "X" * 75
    assert fold_line(exactly) == exactly
    assert fold_line(exactly + "Y") == exactly + "\r\n Y"


def test_output_uses_crlf_only() -> None:
    text = render_ics(nodes_for_year(2026), "银辉 两个节点", generated_at=STAMP)
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    assert all(len(raw) <= 75 for raw in text.encode("utf-8").split(b"\r\n"))


def test_round_trip_of_a_year() -> None:
    nodes = nodes_for_year(2026)
    lines = unfold(render_ics(nodes, "银辉 两个节点", generated_at=STAMP))
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(nodes)
    assert properties(lines, "DTSTART") == [f"{n.date:%Y%m%d}" for n in nodes]
    assert properties(lines, "DTEND") == [f"{n.date + dt.timedelta(days=1):%Y%m%d}" for n in nodes]
    assert all(
        line.startswith("DTSTART;VALUE=DATE:") for line in lines if line.startswith("DTSTART")
    )
    assert set(properties(lines, "DTSTAMP")) == {"20251201T013000Z"}
    assert "spring_festival-20260217@yinhui" in properties(lines, "UID")
    assert unescape(properties(lines, "X-WR-CALNAME")[0]) == "银辉 两个节点"
    assert properties(lines, "X-WR-TIMEZONE") == ["Asia/Shanghai"]
    assert "春节 Spring Festival" in properties(lines, "SUMMARY")


def test_special_characters_survive_the_round_trip() -> None:
    tricky = "讲座; 第一讲, 党史\\概要\n（下午）"
    lines = unfold(render_ics([long_node(tricky)], "日程, 安排; 2026", generated_at=STAMP))
    [summary] = properties(lines, "SUMMARY")
    assert "\\;" in summary and "\\," in summary and "\\n" in summary
    assert unescape(summary) == f"{tricky} Party history lecture"
    assert unescape(properties(lines, "X-WR-CALNAME")[0]) == "日程, 安排; 2026"


def test_uids_are_stable_across_exports() -> None:
    nodes = nodes_for_year(2027)
    first = unfold(render_ics(nodes, "a", generated_at=STAMP))
    later = unfold(render_ics(nodes, "a", generated_at=STAMP + dt.timedelta(days=30)))
    assert properties(first, "UID") == properties(later, "UID")
    assert properties(first, "DTSTAMP") != properties(later, "DTSTAMP")
    assert uid_for(nodes[0]) == "new_years_day-20270101@yinhui"


def test_bad_input_is_refused() -> None:
    node = nodes_for_year(2026)[0]
    with pytest.raises(ValueError, match="timezone-aware"):
        render_ics([node], "a", generated_at=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="twice"):
        render_ics([node, node], "a", generated_at=STAMP)
    with pytest.raises(ValueError, match="calendar_name"):
        render_ics([node], "  ", generated_at=STAMP)
    with pytest.raises(Exception, match="Asia/Shanghia"):
        render_ics([node], "a", tz="Asia/Shanghia", generated_at=STAMP)


# -- entries: events, their steps, a coordinator's tasks ------------------------------------------


def _vevents(lines: list[str]) -> list[list[str]]:
    """The properties of each VEVENT, in order."""
    found: list[list[str]] = []
    inside = False
    for line in lines:
        if line in ("BEGIN:VEVENT", "END:VEVENT"):
            inside = line == "BEGIN:VEVENT"
            found += [[]] if inside else []
        elif inside:
            found[-1].append(line)
    return found


def test_entries_carry_place_span_busy_and_cancellation() -> None:
    entries = [
        Entry(event_uid(7), dt.date(2026, 10, 18), "重阳节主题活动", location="老干部活动中心, 一楼",
              description="T-60 制定方案\nT0 举办", categories="event", busy=True),
        Entry(task_uid(241), dt.date(2026, 10, 1), "国庆走访 · 王老", last_day=dt.date(2026, 10, 7), cancelled=True),
    ]
    lines = unfold(render_ics(nodes_for_year(2026)[:1], "日程", generated_at=STAMP, entries=entries))
    node, event, task = _vevents(lines)
    assert "TRANSP:TRANSPARENT" in node and not any(p.startswith("LOCATION") for p in node)
    assert properties(event, "UID") == ["event-7@yinhui"] and properties(event, "TRANSP") == ["OPAQUE"]
    assert unescape(properties(event, "LOCATION")[0]) == "老干部活动中心, 一楼"
    assert unescape(properties(event, "DESCRIPTION")[0]) == "T-60 制定方案\nT0 举办"
    assert properties(event, "STATUS") == []
    assert properties(task, "UID") == ["task-241@yinhui"] and properties(task, "STATUS") == ["CANCELLED"]
    assert (properties(task, "DTSTART"), properties(task, "DTEND")) == (["20261001"], ["20261008"])  # DTEND exclusive


def test_a_feed_of_entries_only_and_its_refusals() -> None:
    one = Entry(task_uid(1), dt.date(2026, 7, 20), "电话联系 · 王老")
    text = render_calendar([one], "王网格的任务", generated_at=STAMP)
    assert text.count("BEGIN:VEVENT") == 1 and "X-WR-CALNAME:王网格的任务\r\n" in text
    assert render_calendar([], "空", generated_at=STAMP).count("VEVENT") == 0  # nothing open: an empty calendar
    with pytest.raises(ValueError, match="task-1@yinhui is given twice"):
        render_calendar([one, one], "a", generated_at=STAMP)
    with pytest.raises(ValueError, match="ends on 2026-07-19 before it starts"):
        render_calendar([Entry(task_uid(2), dt.date(2026, 7, 20), "x", last_day=dt.date(2026, 7, 19))], "a",
                        generated_at=STAMP)
