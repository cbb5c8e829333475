"""Calendar feeds an operator hands out (`calendar --events`, `tasks --coordinator NAME --format ics`) and `event cancel`.

The feeds are read back by hand, as RFC 5545 says a reader must: unfold, split properties,
unescape (the `icalendar` package is not installed here).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.people import Cadre, Coordinator
from models.tasks import Task
from tests import factories
from tests.rules.test_ics import unescape, unfold
from tests.yinhui.cli.test_calendar import _bureau, _json, cli  # noqa: F401  (cli: a fixture)
from yinhui.rules.cadence import period_of

D = dt.date.fromisoformat


def events_of(raw: bytes) -> list[dict[str, str]]:
    """Every VEVENT of a feed as {property: value}, after checking the feed's shape (§3.1, §3.4)."""
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    for physical in raw.split(b"\r\n"):
        assert len(physical) <= 75 and b"\n" not in physical
        physical.decode("utf-8")  # a fold never cuts a character in two
    found, current = [], None
    for line in unfold(raw.decode("utf-8")):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            head, _, value = line.partition(":")
            current[head.split(";")[0]] = unescape(value)
            if head.startswith("DTSTART") or head.startswith("DTEND"):
                assert head.endswith(";VALUE=DATE") and re.fullmatch(r"\d{8}", value)  # all-day
    return found


def _day(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}"


def _feed(cli, tmp_path, *argv: str, on: str = "2026-07-01") -> list[dict[str, str]]:  # noqa: F811
    target = tmp_path / "feed.ics"
    code, out, err = cli(*argv, "--format", "ics", "--output", str(target), on=on)
    assert code == 0 and out == "", err
    return events_of(target.read_bytes())


def _event(cli) -> None:  # noqa: F811
    _bureau()
    code, _, err = cli("event", "create", "--node", "double_ninth_festival", "--year", "2026", "--template",
                       "themed_event", "--venue", "老干部活动中心", "--owner", "staff=钱干事")
    assert code == 0, err


def test_the_events_feed_holds_each_event_and_its_steps_on_their_days(cli, tmp_path):  # noqa: F811
    _event(cli)
    plan = _json(cli, "event", "show", "1")
    nodes = len(_json(cli, "calendar", "--year", "2026")["nodes"])
    assert len(_feed(cli, tmp_path, "calendar", "--year", "2026")) == nodes  # without --events: the nodes only

    entries = _feed(cli, tmp_path, "calendar", "--year", "2026", "--events")
    assert len(entries) == nodes + 1 + 8
    by_uid = {e["UID"]: e for e in entries}
    event = by_uid["event-1@yinhui"]
    assert (event["SUMMARY"], _day(event["DTSTART"]), _day(event["DTEND"])) == ("重阳节主题活动", "2026-10-18", "2026-10-19")
    assert event["LOCATION"] == "老干部活动中心" and event["TRANSP"] == "OPAQUE" and "STATUS" not in event
    for step in plan["steps"]:
        entry = by_uid[f"task-{step['task_id']}@yinhui"]
        assert _day(entry["DTSTART"]) == step["due"]
        assert entry["SUMMARY"] == f"重阳节主题活动 · {step['title']}"
        assert step["owner"] in entry["DESCRIPTION"] and f"#{step['task_id']}" not in entry["SUMMARY"]
        assert step["title"] in event["DESCRIPTION"]  # the event lists its steps too

    # The same UIDs in the next export: a subscribed calendar updates its entries.
    assert {e["UID"] for e in _feed(cli, tmp_path, "calendar", "--year", "2026", "--events", on="2026-07-02")} == set(by_uid)
    with_events = _json(cli, "calendar", "--year", "2026", "--events")
    assert [(e["id"], len(e["steps"])) for e in with_events["events"]] == [(1, 8)]
    code, out, _ = cli("calendar", "--year", "2026", "--events")
    assert code == 0 and "event #1 重阳节主题活动 on 2026-10-18" in out and "钱干事" in out


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(cli, tmp_path):  # noqa: F811
    _event(cli)
    code, out, err = cli("event", "cancel", "1", "--reason", "场地维修，活动取消", on="2026-08-20")
    assert code == 0, err
    assert out.strip() == "event #1 cancelled: 8 open step(s) cancelled"

    entries = {e["UID"]: e for e in _feed(cli, tmp_path, "calendar", "--year", "2026", "--events", on="2026-08-20")}
    event = entries["event-1@yinhui"]
    assert (event["STATUS"], event["SUMMARY"], event["TRANSP"]) == ("CANCELLED", "重阳节主题活动（已取消）", "TRANSPARENT")
    assert "场地维修，活动取消" in event["DESCRIPTION"]
    steps = [e for uid, e in entries.items() if uid.startswith("task-")]
    assert len(steps) == 8 and all(e["STATUS"] == "CANCELLED" for e in steps)

    listed = _json(cli, "event", "list", on="2026-08-20")
    assert (listed[0]["cancelled_on"], listed[0]["cancel_reason"]) == ("2026-08-20", "场地维修，活动取消")
    code, out, _ = cli("event", "list", on="2026-08-20")
    assert "2026-08-20: 场地维修，活动取消" in out
    code, out, _ = cli("event", "show", "1", on="2026-08-20")
    assert "CANCELLED on 2026-08-20: 场地维修，活动取消" in out
    code, out, _ = cli("calendar", "--year", "2026", on="2026-08-20")
    assert "#1 重阳节主题活动（已取消） 2026-10-18" in out

    code, out, err = cli("event", "cancel", "1", "--reason", "再取消一次", on="2026-08-21")
    assert (code, out) == (1, "") and len(err.strip().splitlines()) == 1
    assert "event #1 was cancelled on 2026-08-20" in err
    code, _, err = cli("event", "move", "1", "--date", "2026-10-25", on="2026-08-21")
    assert code == 1 and "was cancelled" in err


def test_cancelling_an_event_in_chinese(cli, monkeypatch):  # noqa: F811
    from yinhui.settings import reset_settings

    _event(cli)
    monkeypatch.setenv("YINHUI_CLI_LANGUAGE", "zh")
    reset_settings()
    code, out, _ = cli("event", "cancel", "1", "--reason", "天气原因", on="2026-08-20")
    assert code == 0 and out.strip() == "活动 #1 已取消：8 个未完成步骤随之取消"
    code, _, err = cli("event", "cancel", "1", "--reason", "天气原因", on="2026-08-20")
    assert code == 1 and "活动 #1 已于 2026-08-20 取消（天气原因）" in err


def _open_tasks() -> dict[str, int]:
    """Open calls for 王老 and 张老 on 王网格's list (township), one done; their ID numbers and phones on file."""
    from yinhui.services.tasks import create_tasks

    month = period_of("month", D("2026-07-01"))
    with session_scope() as s:
        people = factories.small_county(s)
        ids = [factories.cadre(s, name, phones="13912345678").id for name in ("王老", "张老", "李老")]
        create_tasks(session=s, actor="test", rows=[
            {"kind": "call", "rule": "monthly_call", "subject_id": c, "cadre_id": c, "period": month.key,
             "window_opens": month.start, "due": D("2026-07-20"), "assignee_id": people["town"].id} for c in ids])
        tasks = {name: tid for name, tid in s.execute(
            select(Cadre.name, Task.id).join(Task, Task.cadre_id == Cadre.id))}
        s.get(Task, tasks["李老"]).status = "done"
        return tasks


def test_a_coordinators_open_tasks_as_a_calendar_without_id_numbers_or_phones(cli, tmp_path):  # noqa: F811
    tasks = _open_tasks()
    entries = _feed(cli, tmp_path, "tasks", "--coordinator", "王网格")
    raw = (tmp_path / "feed.ics").read_bytes().decode("utf-8")
    with session_scope() as s:
        secrets = [n for n in s.execute(select(Cadre.id_number)).scalars()] + ["13912345678"]
    assert not any(secret in raw for secret in secrets)
    assert "X-WR-CALNAME:" in raw and "王网格" in unfold(raw)[4]
    assert sorted(e["UID"] for e in entries) == sorted(f"task-{tasks[n]}@yinhui" for n in ("王老", "张老"))
    for entry in entries:
        assert entry["SUMMARY"] in ("电话联系 · 王老", "电话联系 · 张老")
        assert (_day(entry["DTSTART"]), _day(entry["DTEND"])) == ("2026-07-20", "2026-07-21")
        assert entry["LOCATION"] == "城关镇/东街村" and "2026-07-01" in entry["DESCRIPTION"]
    again = _feed(cli, tmp_path, "tasks", "--coordinator", "王网格", on="2026-07-05")
    assert [e["UID"] for e in again] == [e["UID"] for e in entries]

    code, out, err = cli("tasks", "--coordinator", "王网格", "--format", "ics")  # to stdout, for a web server
    assert code == 0 and err == "" and out.count("BEGIN:VEVENT") == 2


@pytest.mark.parametrize("argv, says", [
    ((), "--format ics needs --coordinator NAME"),
    (("--coordinator", "王网格", "--kind", "call"), "--format ics takes only --coordinator and --output"),
    (("--coordinator", "无此人"), "no coordinator named '无此人'"),
])
def test_a_task_feed_asked_wrongly_is_one_line(cli, argv, says):  # noqa: F811
    _open_tasks()
    code, out, err = cli("tasks", *argv, "--format", "ics")
    assert (code, out) == (1, "") and len(err.strip().splitlines()) == 1 and says in err


def test_a_task_feed_is_for_one_coordinator_only(cli, tmp_path):  # noqa: F811
    _open_tasks()
    with session_scope() as s:
        assert s.execute(select(Coordinator.id).where(Coordinator.name == "赵村网格")).scalar_one()
    assert _feed(cli, tmp_path, "tasks", "--coordinator", "赵村网格") == []
    assert json.loads(cli("tasks", "--coordinator", "王网格", "--format", "json")[1])  # the other formats unchanged
