"""When a deployment runs, in words a leader reads: "每天 06:30 北京时间", "工作日 10:00、15:00 北京时间",
"07:00–21:30 每 30 分钟 北京时间".

One function turns a deployment's crons into that phrase, in Chinese or English; the Prefect UI's
description and `yinhui schedules` both print it, so they cannot disagree. A cron this does not
know how to say (a playbook override such as "0 6 * * 1-5") is shown as it is, still with its
time zone.
"""

from __future__ import annotations

from collections.abc import Sequence

from yinhui.i18n import N_, text

# Zones that read as Beijing time (UTC+8, China's one official time).
BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})

WEEKDAYS = (N_("Sundays"), N_("Mondays"), N_("Tuesdays"), N_("Wednesdays"), N_("Thursdays"), N_("Fridays"), N_("Saturdays"))

WHEN = {
    "daily": N_("daily {times}"),
    "working_days": N_("working days {times}"),
    "weekly": N_("{weekday} {times}"),
    "monthly": N_("day {day} of each month {times}"),
    "every_minutes": N_("every {minutes} minutes"),
    "every_minutes_between": N_("every {minutes} minutes {start}–{end}"),
    "hourly_between": N_("hourly {start}–{end}"),
    "cron": N_("cron {cron}"),
    "beijing": N_("Beijing time"),
    "and": N_("{first} and {second}"),
}


def _number(field: str, low: int, high: int) -> int | None:
    return int(field) if field.isdigit() and low <= int(field) <= high else None


def _day_and_time(cron: str, working_days_only: bool) -> tuple[str, dict[str, object], str] | None:
    """(the WHEN key of its days, their values, "HH:MM") of a once-a-day-at-most cron, else None."""
    fields = cron.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields
    m, h = _number(minute, 0, 59), _number(hour, 0, 23)
    if m is None or h is None or month != "*":
        return None
    time = f"{h:02d}:{m:02d}"
    if dom == "*" and dow == "*":
        return ("working_days" if working_days_only else "daily"), {}, time
    if dom == "*" and (weekday := _number(dow, 0, 7)) is not None:
        return "weekly", {"weekday": WEEKDAYS[weekday % 7]}, time
    if dow == "*" and (day := _number(dom, 1, 31)) is not None:
        return "monthly", {"day": day}, time
    return None


def _every_minutes(cron: str) -> int | None:
    fields = cron.split()
    if len(fields) == 5 and fields[0].startswith("*/") and fields[1:] == ["*"] * 4:
        return _number(fields[0][2:], 1, 59)
    return None


def _hour_window(field: str) -> tuple[int, int] | None:
    """(first, last) hour of an hour field that is one run of hours, across midnight or not ("0-6,22-23": 22, 6)."""
    hours: set[int] = set()
    for part in field.split(","):
        low, _, high = part.partition("-")
        first, last = _number(low, 0, 23), _number(high or low, 0, 23)
        if first is None or last is None or last < first:
            return None
        hours.update(range(first, last + 1))
    if not hours or len(hours) == 24:
        return None
    start = next(h for h in sorted(hours) if (h - 1) % 24 not in hours)
    run = 0
    while (start + run) % 24 in hours:
        run += 1
    return (start, (start + run - 1) % 24) if run == len(hours) else None


def _within_hours(cron: str) -> tuple[str, dict[str, object]] | None:
    """A cron that fires every N minutes, or hourly, within one run of hours: its WHEN key and values."""
    fields = cron.split()
    if len(fields) != 5 or fields[2:] != ["*"] * 3 or (window := _hour_window(fields[1])) is None:
        return None
    first, last = window
    minute = fields[0]
    if minute.startswith("*/") and (step := _number(minute[2:], 1, 59)) is not None and 60 % step == 0:
        return "every_minutes_between", {"minutes": step, "start": f"{first:02d}:00", "end": f"{last:02d}:{60 - step:02d}"}
    if (at := _number(minute, 0, 59)) is not None:
        return "hourly_between", {"start": f"{first:02d}:{at:02d}", "end": f"{last:02d}:{at:02d}"}
    return None


def zone_words(timezone: str, lang: str) -> str:
    return text(lang, WHEN["beijing"]) if timezone in BEIJING_ZONES else timezone


def when_words(crons: Sequence[str], timezone: str, lang: str, *, working_days_only: bool = False) -> str:
    """`crons` in words: days, then times, then the time zone ("every 5 minutes" needs none)."""
    phrases: list[str] = []
    grouped: dict[tuple[str, tuple[tuple[str, object], ...]], list[str]] = {}
    for cron in crons:
        if (minutes := _every_minutes(cron)) is not None:
            phrases.append(text(lang, WHEN["every_minutes"], minutes=minutes))
            continue
        found = _day_and_time(cron, working_days_only)
        if found is None and (within := _within_hours(cron)) is not None:
            key, values = within
            phrases.append(f"{text(lang, WHEN[key], **values)} {zone_words(timezone, lang)}")
            continue
        if found is None:
            phrases.append(f"{text(lang, WHEN['cron'], cron=cron)} {zone_words(timezone, lang)}")
            continue
        key, values, time = found
        grouped.setdefault((key, tuple(values.items())), []).append(time)
    for (key, pairs), times in grouped.items():
        shown = {k: text(lang, v) if isinstance(v, str) else v for k, v in pairs}
        listed = "、".join(sorted(times)) if lang == "zh" else ", ".join(sorted(times))
        phrases.append(f"{text(lang, WHEN[key], times=listed, **shown)} {zone_words(timezone, lang)}")
    if len(phrases) <= 1:
        return "".join(phrases)
    return text(lang, WHEN["and"], first="; ".join(phrases[:-1]), second=phrases[-1])
