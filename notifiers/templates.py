"""Message texts in Chinese (default) and English: digests and notices, never any ID number."""

from __future__ import annotations

from typing import Any

from yinhui.services.digests import KIND_ORDER, Digest, DigestItem

KIND_LABELS = {
    "zh": {
        "must_visit": "必访", "festival_visit": "节日走访", "visit": "入户走访", "service": "上门服务",
        "call": "电话联系", "event_step": "活动筹备", "meeting": "组织生活", "follow_up": "回访复查",
        "absence_visit": "缺席走访", "lecture": "奋进讲堂", "writing_group": "信息写作组",
    },
    "en": {
        "must_visit": "Must-visits", "festival_visit": "Festival visits", "visit": "Home visits",
        "service": "Door-to-door services", "call": "Phone calls", "event_step": "Event steps",
        "meeting": "Organisational life", "follow_up": "Follow-ups", "absence_visit": "Visits after absence",
        "lecture": "Monday lecture", "writing_group": "Writing group",
    },
}

TEXT = {
    "zh": {
        "subject": "{day} 工作提醒",
        "greeting": "{name}，您好！{day} 您共有 {total} 项待办：新增 {new} 项，逾期 {overdue} 项，{horizon} 天内到期 {due_soon} 项。",
        "escalated_head": "【上报给您的逾期任务】{count} 项",
        "due": "截止 {due}",
        "overdue": "已逾期",
        "new": "新",
        "level": "升级{level}级",
        "more": "……另有 {more} 项未列出，可用 `yinhui tasks --coordinator {name}` 查看全部。",
        "footer": "完成后请回复或执行：yinhui complete 任务号 --outcome reached|unreachable|visited|declined",
        "nobody": "无名",
    },
    "en": {
        "subject": "Tasks for {day}",
        "greeting": "Hello {name}. On {day} you have {total} open tasks: {new} new, {overdue} overdue, {due_soon} due within {horizon} days.",
        "escalated_head": "[Late tasks escalated to you] {count}",
        "due": "due {due}",
        "overdue": "OVERDUE",
        "new": "new",
        "level": "escalated L{level}",
        "more": "... and {more} more not listed; `yinhui tasks --coordinator {name}` shows them all.",
        "footer": "When done: yinhui complete TASK_ID --outcome reached|unreachable|visited|declined",
        "nobody": "(no name)",
    },
}


def language_of(preferred: str | None, default: str) -> str:
    return preferred if preferred in TEXT else (default if default in TEXT else "zh")


def kind_label(kind: str, language: str) -> str:
    return KIND_LABELS[language].get(kind, kind)


def item_line(item: DigestItem, language: str) -> str:
    """One task, one line: number, name, grid, due date, flags. No phone or ID number here."""
    t = TEXT[language]
    flags = []
    if item.status == "overdue":
        flags.append(t["overdue"])
    if item.new:
        flags.append(t["new"])
    if item.escalation_level:
        flags.append(t["level"].format(level=item.escalation_level))
    # A cadre task names the cadre, then what it is; a task without a cadre is known by its label.
    label = item.label.text(language) if item.label else None
    who = item.cadre_name or label or t["nobody"]
    if item.cadre_name and label:
        who += f" · {label}"
    where = f" · {item.grid}" if item.grid else ""
    tail = f" [{', '.join(flags)}]" if flags else ""
    return f"  #{item.task_id} {who}{where} · {t['due'].format(due=item.due.isoformat())}{tail}"


def _sections(items: list[DigestItem], language: str) -> list[str]:
    lines: list[str] = []
    kinds = sorted({i.kind for i in items}, key=lambda k: KIND_ORDER.get(k, len(KIND_ORDER)))
    for kind in kinds:
        chunk = [i for i in items if i.kind == kind]
        lines.append(f"【{kind_label(kind, language)}】{len(chunk)}")
        lines.extend(item_line(i, language) for i in chunk)
    return lines


def render_digest(digest: Digest, *, language: str, horizon_days: int) -> tuple[str, str]:
    """(subject, body) of a coordinator's daily digest in plain text."""
    t = TEXT[language]
    day = digest.day.isoformat()
    lines = [
        t["greeting"].format(
            name=digest.coordinator_name, day=day, total=digest.total, new=digest.new,
            overdue=digest.overdue, due_soon=digest.due_soon, horizon=horizon_days,
        )
    ]
    lines.extend(_sections(digest.items, language))
    if digest.escalated_items:
        lines.append(t["escalated_head"].format(count=digest.escalated))
        lines.extend(item_line(i, language) for i in digest.escalated_items)
    if digest.more:
        lines.append(t["more"].format(more=digest.more, name=digest.coordinator_name))
    lines.append(t["footer"])
    return t["subject"].format(day=day), "\n".join(lines)


def digest_payload(digest: Digest, *, language: str, horizon_days: int) -> dict[str, Any]:
    """What a rich channel (Telegram) needs to draw the digest with buttons.

    Phones are included for the coordinator's own private chat; the channel must drop them
    anywhere else. The payload lives in the database, never in logs.
    """

    def item(i: DigestItem) -> dict[str, Any]:
        return {
            "task_id": i.task_id, "kind": i.kind, "rule": i.rule, "status": i.status,
            "due": i.due.isoformat(), "cadre": i.cadre_name, "phones": list(i.phones), "grid": i.grid,
            "label": i.label.text(language) if i.label else None,
            "new": i.new, "escalation_level": i.escalation_level,
        }

    return {
        "day": digest.day.isoformat(),
        "language": language,
        "horizon_days": horizon_days,
        "coordinator": digest.coordinator_name,
        "counts": {
            "total": digest.total, "new": digest.new, "overdue": digest.overdue,
            "due_soon": digest.due_soon, "escalated": digest.escalated, "more": digest.more,
            "by_kind": digest.by_kind,
        },
        "items": [item(i) for i in digest.items],
        "escalated_items": [item(i) for i in digest.escalated_items],
    }
