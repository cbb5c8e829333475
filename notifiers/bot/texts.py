"""What the bot says, in Chinese (default) and English. No personal data is ever formatted into these
except in a coordinator's own private chat."""

from __future__ import annotations

BOT_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "stranger": "您好！本机器人仅为老干部局工作人员服务。如需使用，请向管理员索取邀请码。",
        "bound_coordinator": "绑定成功：{name}。今后每天的工作提醒会发到这里，点按任务下方的按钮即可记录结果。发送 /help 查看全部命令。",
        "bound_group": "绑定成功：本群为“{grid}”网格群，每天将收到网格通报（只有统计数字，不含个人信息）。",
        "bad_code": "邀请码无效、已使用或已过期，请向管理员重新索取。",
        "too_many_codes": "错误的邀请码太多，本聊天暂停绑定一小时。请向管理员核对邀请码。",
        "refused": "无法绑定：{reason}",
        "welcome_back": "{name}，您好！发送 /today 查看待办任务，/help 查看全部命令。",
        "group_welcome": "本群为“{grid}”网格群。发送 /today 查看网格通报。",
        "help": ("可用命令：\n/today — 全部待办任务\n/overdue — 逾期任务\n/week — {days} 天内到期的任务\n"
                 "{plugins}\n/help — 本说明\n\n每项任务下方的按钮：✅接通、📵未接通、🏠已走访、📅改期、📝备注。"),
        "group_help": "本群可用命令：/today — 网格通报（只有统计数字）。",
        "unknown_command": "未知命令。发送 /help 查看可用命令。",
        "plain_text": "发送 /today 查看待办任务，/help 查看全部命令。",
        "recorded": "已记录：{state}",
        "closed": "该任务已{status}，无需再操作。",
        "not_yours": "这不是您的任务，未作任何更改。",
        "invalid": "按钮已失效，未作任何更改。",
        "no_dates": "本期已到最后一天，无法再改期。",
        "pick_date": "请选择新的日期",
        "back": "已返回",
        "rescheduled": "已改期至 {date}",
        "note_prompt": "请直接回复本条消息，写下任务 #{task_id}（{name}）的备注：",
        "note_saved": "备注已记入任务 #{task_id}。",
        "note_too_long": "备注太长（最多 {limit} 字），请精简后再发。",
        "failed": "未能完成：{reason}",
        "status_done": "完成", "status_cancelled": "取消", "status_missed": "过期关闭",
        "cmd_start": "绑定账号（邀请码）", "cmd_today": "全部待办任务", "cmd_overdue": "逾期任务",
        "cmd_week": "本周到期任务", "cmd_help": "帮助",
    },
    "en": {
        "stranger": "Hello! This bot serves the veteran-cadres bureau's staff only. Please ask the operator for an invitation code.",
        "bound_coordinator": "Done: this chat now belongs to {name}. Your daily tasks will arrive here; tap the buttons under a task to record the result. /help lists the commands.",
        "bound_group": "Done: this is now the group chat of grid {grid}. It gets a daily grid notice (counts only, no personal data).",
        "bad_code": "This invitation code is invalid, used or expired. Please ask the operator for a new one.",
        "too_many_codes": "Too many wrong invitation codes: this chat cannot bind for an hour. Please check the code with the operator.",
        "refused": "Cannot bind: {reason}",
        "welcome_back": "Hello {name}! /today shows your open tasks, /help lists the commands.",
        "group_welcome": "This is the group chat of grid {grid}. /today shows the grid notice.",
        "help": ("Commands:\n/today — all open tasks\n/overdue — overdue tasks\n/week — due within {days} days\n"
                 "{plugins}\n/help — this text\n\nButtons under each task: ✅ Reached, 📵 No answer, 🏠 Visited, 📅 Later, 📝 Note."),
        "group_help": "In this group: /today — the grid notice (counts only).",
        "unknown_command": "Unknown command. /help lists the commands.",
        "plain_text": "/today shows your open tasks, /help lists the commands.",
        "recorded": "Recorded: {state}",
        "closed": "This task is already {status}; nothing to do.",
        "not_yours": "This is not your task; nothing was changed.",
        "invalid": "This button is no longer valid; nothing was changed.",
        "no_dates": "This is the last day of the period; the task cannot move.",
        "pick_date": "Pick the new date",
        "back": "Back",
        "rescheduled": "Moved to {date}",
        "note_prompt": "Reply to this message with your note for task #{task_id} ({name}):",
        "note_saved": "Note added to task #{task_id}.",
        "note_too_long": "The note is too long (at most {limit} characters).",
        "failed": "Not done: {reason}",
        "status_done": "done", "status_cancelled": "cancelled", "status_missed": "closed as missed",
        "cmd_start": "bind this chat (invitation code)", "cmd_today": "all open tasks", "cmd_overdue": "overdue tasks",
        "cmd_week": "due this week", "cmd_help": "help",
    },
}


def say(language: str, key: str, **values: object) -> str:
    table = BOT_TEXT.get(language, BOT_TEXT["zh"])
    return table.get(key, BOT_TEXT["zh"][key]).format(**values)
