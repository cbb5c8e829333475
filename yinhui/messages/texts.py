"""Every text the channels and the chat bot show a coordinator, a leader or a grid group, Chinese and English.

Plain data keyed by message id, each entry `(zh, en)` with the same {placeholders}; `text(language,
key, **values)` is the one way in. Moving these into the gettext catalogues is mechanical: the
English becomes the msgid, the Chinese its zh_CN msgstr, and `text` becomes
`yinhui.i18n.text(language, TEXTS[key][1], **values)`.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

TEXTS: dict[str, tuple[str, str]] = {
    # -- task kinds (section headings of a digest, report labels) --
    "kind.must_visit": ("必访", "Must-visits"),
    "kind.festival_visit": ("节日走访", "Festival visits"),
    "kind.visit": ("入户走访", "Home visits"),
    "kind.service": ("上门服务", "Door-to-door services"),
    "kind.call": ("电话联系", "Phone calls"),
    "kind.event_step": ("活动筹备", "Event steps"),
    "kind.meeting": ("组织生活", "Organisational life"),
    "kind.follow_up": ("回访复查", "Follow-ups"),
    "kind.absence_visit": ("缺席走访", "Visits after absence"),
    "kind.lecture": ("奋进讲堂", "Monday lecture"),
    "kind.writing_group": ("信息写作组", "Writing group"),
    # -- the daily digest and the task lists asked for in chat --
    "digest.title": ("{day} 工作提醒", "Tasks for {day}"),
    "digest.greeting": (
        "{name}，您好！{day} 您共有 {total} 项待办：新增 {new} 项，逾期 {overdue} 项，{horizon} 天内到期 {due_soon} 项。",
        "Hello {name}. On {day} you have {total} open tasks: {new} new, {overdue} overdue, "
        "{due_soon} due within {horizon} days.",
    ),
    "digest.escalated": ("【上报给您的逾期任务】{count} 项", "[Late tasks escalated to you] {count}"),
    "digest.more_command": ("可用 `yinhui tasks --coordinator {name}` 查看全部。",
                            "`yinhui tasks --coordinator {name}` shows them all."),
    "digest.answer_command": (
        "完成后请回复或执行：yinhui complete 任务号 --outcome reached|unreachable|visited|declined",
        "When done: yinhui complete TASK_ID --outcome reached|unreachable|visited|declined",
    ),
    "digest.answer_buttons": ("点按任务下方按钮记录结果；/help 查看全部命令。",
                              "Tap a button under a task to record the result; /help lists the commands."),
    "list.section": ("【{label}】{count} 项", "[{label}] {count}"),
    "list.continued": ("【{label}·续】", "[{label}, continued]"),
    "list.part": ("（{i}/{n}）", " ({i}/{n})"),
    "list.more": ("……另有 {more} 项未列出。", "... and {more} more not listed."),
    "list.empty": ("暂无待办任务。👍", "Nothing to do. 👍"),
    "view.today": ("今日待办", "Open tasks"),
    "view.overdue": ("逾期任务", "Overdue tasks"),
    "view.week": ("{days} 天内到期", "Due within {days} days"),
    "task.due": ("截止 {due}", "due {due}"),
    "task.overdue": ("逾期", "OVERDUE"),
    "task.new": ("新", "new"),
    "task.level": ("升级{level}级", "escalated L{level}"),
    "task.phones": ("☎ {phones}", "☎ {phones}"),
    "task.nobody": ("—", "—"),
    # -- buttons under a task and the state an answer leaves on its line --
    "button.reached": ("✅接通", "✅ Reached"),
    "button.unreachable": ("📵未接通", "📵 No answer"),
    "button.visited": ("🏠已走访", "🏠 Visited"),
    "button.reschedule": ("📅改期", "📅 Later"),
    "button.note": ("📝备注", "📝 Note"),
    "button.back": ("« 返回", "« Back"),
    "state.reached": ("✅ 已接通", "✅ reached"),
    "state.unreachable": ("📵 未接通", "📵 no answer"),
    "state.visited": ("🏠 已走访", "🏠 visited"),
    "state.declined": ("🙅 婉拒", "🙅 declined"),
    "state.covered": ("✔ 已覆盖", "✔ covered"),
    "state.closed": ("（已关闭）", "(closed)"),
    "state.rescheduled": ("📅 改至 {date}", "📅 moved to {date}"),
    "state.noted": ("📝 已备注", "📝 noted"),
    "weekdays": ("一二三四五六日", "MTWTFSS"),
    # -- a grid group's daily notice: counts only (网格群不发个人信息) --
    "notice.title": ("{day} 网格通报 · {grid}", "Grid notice {day} · {grid}"),
    "notice.counts": ("在办任务 {live} 项，其中逾期 {overdue} 项；本月已完成 {done} 项。",
                      "{live} open tasks, {overdue} of them overdue; {done} done this month."),
    "notice.late": ("请相关网格员尽快处理逾期任务。", "Grid coordinators, please see to the overdue tasks."),
    "notice.fine": ("无逾期任务，感谢大家！", "Nothing overdue. Thank you all!"),
    # -- a leader's alert when a channel stops delivering --
    "alert.broken.title": ("消息送达失败", "Delivery failed"),
    "alert.broken.coordinator": (
        "【消息送达失败】{who} 的{channel}已无法送达（{reason}）。此后的提醒会留在待发列表中；"
        "请联系其重新绑定：yinhui coordinator invite {name}",
        "[Delivery failed] Messages to {who} on {channel} cannot be delivered ({reason}). They stay in the "
        "outbox; ask them to bind again: yinhui coordinator invite {name}",
    ),
    "alert.broken.group": (
        "【消息送达失败】网格群“{grid}”已无法送达（{reason}）。请重新邀请机器人入群：yinhui chat group-invite {grid}",
        "[Delivery failed] The group chat of grid {grid} cannot be reached ({reason}). Invite the bot again: "
        "yinhui chat group-invite {grid}",
    ),
    # -- the chat bot --
    "bot.stranger": ("您好！本机器人仅为老干部局工作人员服务。如需使用，请向管理员索取邀请码。",
                     "Hello! This bot serves the veteran-cadres bureau's staff only. Please ask the operator "
                     "for an invitation code."),
    "bot.bound_coordinator": (
        "绑定成功：{name}。今后每天的工作提醒会发到这里，点按任务下方的按钮即可记录结果。发送 /help 查看全部命令。",
        "Done: this chat now belongs to {name}. Your daily tasks will arrive here; tap the buttons under a task "
        "to record the result. /help lists the commands.",
    ),
    "bot.bound_group": (
        "绑定成功：本群为“{grid}”网格群，每天将收到网格通报（只有统计数字，不含个人信息）。",
        "Done: this is now the group chat of grid {grid}. It gets a daily grid notice (counts only, no personal data).",
    ),
    "bot.bad_code": ("邀请码无效、已使用或已过期，请向管理员重新索取。",
                     "This invitation code is invalid, used or expired. Please ask the operator for a new one."),
    "bot.too_many_codes": ("错误的邀请码太多，本聊天暂停绑定一小时。请向管理员核对邀请码。",
                           "Too many wrong invitation codes: this chat cannot bind for an hour. Please check the "
                           "code with the operator."),
    "bot.refused": ("无法绑定：{reason}", "Cannot bind: {reason}"),
    "bot.welcome_back": ("{name}，您好！发送 /today 查看待办任务，/help 查看全部命令。",
                         "Hello {name}! /today shows your open tasks, /help lists the commands."),
    "bot.group_welcome": ("本群为“{grid}”网格群。发送 /today 查看网格通报。",
                          "This is the group chat of grid {grid}. /today shows the grid notice."),
    "bot.help": (
        "可用命令：\n/today — 全部待办任务\n/overdue — 逾期任务\n/week — {days} 天内到期的任务\n"
        "{plugins}\n/help — 本说明\n\n每项任务下方的按钮：✅接通、📵未接通、🏠已走访、📅改期、📝备注。",
        "Commands:\n/today — all open tasks\n/overdue — overdue tasks\n/week — due within {days} days\n"
        "{plugins}\n/help — this text\n\nButtons under each task: ✅ Reached, 📵 No answer, 🏠 Visited, 📅 Later, 📝 Note.",
    ),
    "bot.group_help": ("本群可用命令：/today — 网格通报（只有统计数字）。",
                       "In this group: /today — the grid notice (counts only)."),
    "bot.unknown_command": ("未知命令。发送 /help 查看可用命令。", "Unknown command. /help lists the commands."),
    "bot.plain_text": ("发送 /today 查看待办任务，/help 查看全部命令。",
                       "/today shows your open tasks, /help lists the commands."),
    "bot.recorded": ("已记录：{state}", "Recorded: {state}"),
    "bot.closed": ("该任务已{status}，无需再操作。", "This task is already {status}; nothing to do."),
    "bot.not_yours": ("这不是您的任务，未作任何更改。", "This is not your task; nothing was changed."),
    "bot.invalid": ("按钮已失效，未作任何更改。", "This button is no longer valid; nothing was changed."),
    "bot.no_dates": ("本期已到最后一天，无法再改期。", "This is the last day of the period; the task cannot move."),
    "bot.pick_date": ("请选择新的日期", "Pick the new date"),
    "bot.back": ("已返回", "Back"),
    "bot.rescheduled": ("已改期至 {date}", "Moved to {date}"),
    "bot.note_prompt": ("请直接回复本条消息，写下任务 #{task_id}（{name}）的备注：",
                        "Reply to this message with your note for task #{task_id} ({name}):"),
    "bot.note_saved": ("备注已记入任务 #{task_id}。", "Note added to task #{task_id}."),
    "bot.note_too_long": ("备注太长（最多 {limit} 字），请精简后再发。",
                          "The note is too long (at most {limit} characters)."),
    "bot.failed": ("未能完成：{reason}", "Not done: {reason}"),
    "bot.status.done": ("完成", "done"),
    "bot.status.cancelled": ("取消", "cancelled"),
    "bot.status.missed": ("过期关闭", "closed as missed"),
    "bot.cmd.start": ("绑定账号（邀请码）", "bind this chat (invitation code)"),
    "bot.cmd.today": ("全部待办任务", "all open tasks"),
    "bot.cmd.overdue": ("逾期任务", "overdue tasks"),
    "bot.cmd.week": ("本周到期任务", "due this week"),
    "bot.cmd.help": ("帮助", "help"),
    # -- chat commands other capabilities plug in: /report and /attend --
    "cadre.not_found": ("在您负责的老干部中没有找到“{name}”。", "No cadre called '{name}' among those you look after."),
    "cadre.ambiguous": ("有多位“{name}”：{options}，请改用编号，例如 /report 住院 #{first}",
                        "Several cadres are called '{name}': {options}; use the number instead, "
                        "e.g. /report hospital #{first}"),
    "report.describe": ("/report 类型 姓名 [说明] — 上报必访（住院、家事、困难、去世）",
                        "/report KIND NAME [NOTE] — report a must-visit (hospital, family, hardship, death)"),
    "report.usage": ("用法：/report 住院|家事|困难|去世 姓名 [说明]，例如 /report 住院 张老 县医院",
                     "Usage: /report hospital|family|hardship|death NAME [NOTE]"),
    "report.refused": ("未能上报：{reason}", "Not reported: {reason}"),
    "report.done": ("已上报：{name}（{kind}）", "Reported: {name} ({kind})"),
    "report.done_task": ("已上报：{name}（{kind}），必访任务 #{task}", "Reported: {name} ({kind}), must-visit task #{task}"),
    "attend.describe": ("/attend 活动编号 姓名… — 登记老干部参加活动", "/attend EVENT NAME... — record who attended an event"),
    "attend.usage": ("用法：/attend 活动编号 姓名…，例如 /attend 3 张老 李老",
                     "Usage: /attend EVENT_NUMBER NAME..., e.g. /attend 3 Zhang Li"),
    "attend.done": ("已登记 {added} 人参加活动 #{event}", "Recorded {added} attendee(s) of event #{event}"),
    "attend.done_already": ("已登记 {added} 人参加活动 #{event}（{already} 人此前已登记）",
                            "Recorded {added} attendee(s) of event #{event} ({already} already)"),
}


def language_of(preferred: str | None, default: str | None = None) -> str:
    """The language to write in: the reader's own if we have it, else the bureau's, else Chinese."""
    for language in (preferred, default):
        if language in LANGUAGES:
            return str(language)
    return DEFAULT_LANGUAGE


def text(language: str | None, key: str, /, **values: object) -> str:
    """One text in the reader's language with its {placeholders} filled in."""
    zh, en = TEXTS[key]
    template = en if language == "en" else zh
    return template.format(**values) if values else template


def has_text(key: str) -> bool:
    return key in TEXTS


def kind_label(kind: str, language: str | None) -> str:
    """What a task kind is called ("电话联系", "Phone calls"); an unknown kind keeps its own name."""
    key = f"kind.{kind}"
    return text(language, key) if key in TEXTS else kind
