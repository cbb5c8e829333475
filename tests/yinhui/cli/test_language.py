"""The command line speaks the operator's language: YINHUI_CLI_LANGUAGE, else the bureau's (YINHUI_LANGUAGE).

Its own words, its tables and the services' refusals alike; a Chinese operator reads no English
sentence (commands and codes such as `yinhui coordinator list` stay as typed).
"""

from __future__ import annotations

import datetime as dt

import pytest

from models.db import session_scope
from models.tasks import Task
from tests import factories
from tests.yinhui.cli.test_core import run
from yinhui.i18n import text

CHINESE = "zh-bureau", "zh-operator"


@pytest.fixture(params=["zh-bureau", "zh-operator", "en"])
def speaking(request, monkeypatch) -> str:
    """The operator's language set one of three ways: the bureau's Chinese, the operator's own, English."""
    from yinhui.settings import reset_settings

    if request.param == "zh-bureau":
        monkeypatch.delenv("YINHUI_CLI_LANGUAGE", raising=False)
        monkeypatch.setenv("YINHUI_LANGUAGE", "zh")
    elif request.param == "zh-operator":
        monkeypatch.setenv("YINHUI_LANGUAGE", "en")  # the bureau's reports in English, the operator reads Chinese
        monkeypatch.setenv("YINHUI_CLI_LANGUAGE", "zh")
    else:
        monkeypatch.setenv("YINHUI_LANGUAGE", "zh")
        monkeypatch.setenv("YINHUI_CLI_LANGUAGE", "en")
    reset_settings()
    yield request.param
    reset_settings()


def test_coordinators_added_listed_and_refused(database, capsys, speaking):
    code, out, _ = run(capsys, "coordinator", "add", "王芳", "--role", "staff")
    assert code == 0
    code, table, _ = run(capsys, "coordinator", "list")
    assert code == 0
    code, _, err = run(capsys, "coordinator", "deactivate", "无此人")
    assert code == 1 and len(err.strip().splitlines()) == 1
    if speaking in CHINESE:
        assert out.strip() == "已添加联络员 #1 王芳（staff）"
        assert all(word in table for word in ("编号", "姓名", "角色", "渠道", "是"))
        assert err.strip() == "yinhui: 没有名为「无此人」的联络员（见 `yinhui coordinator list`）"
    else:
        assert out.strip() == "coordinator #1 王芳 (staff) added"
        assert all(word in table for word in ("id", "name", "role", "channel", "yes"))
        assert err.strip() == "yinhui: no coordinator named '无此人' (see `yinhui coordinator list`)"


def test_holidays_entered_shown_and_refused(database, capsys, speaking):
    code, entered, _ = run(capsys, "holidays", "set", "2031", "--days-off", "2031-01-02")
    assert code == 0
    code, shown, _ = run(capsys, "holidays", "show", "2031")
    assert code == 0
    code, _, refused = run(capsys, "holidays", "clear", "2032")
    assert code == 1
    code, _, asked_nothing = run(capsys, "holidays", "set", "2033")
    assert code == 1
    if speaking in CHINESE:
        assert entered.strip() == "2031：已录入 1 个放假日和 0 个调休上班日"
        assert shown.splitlines()[1:] == ["  放假：      2031-01-02", "  调休上班：  无"]
        assert refused.strip() == "yinhui: 2032 年没有录入过日子"
        assert asked_nothing.strip() == "yinhui: 请给出该年的放假日（--days-off）和调休上班日（--workdays）"
    else:
        assert entered.strip() == "2031: 1 day(s) off and 0 make-up working day(s) entered"
        assert shown.splitlines()[1:] == ["  days off (放假):      2031-01-02", "  make-up workdays (调休上班): none"]
        assert refused.strip() == "yinhui: no days were entered for 2032"
        assert asked_nothing.strip() == (
            "yinhui: give the year's days off (--days-off) and make-up working days (--workdays)")


def test_a_refused_complete_names_the_reason_in_the_operators_language(database, capsys, speaking):
    with session_scope() as session:
        owner = factories.coordinator(session, "王芳", role="leader")
        cadre = factories.cadre(session, "张老")
        task = Task(kind="call", rule="call_monthly", subject_id=cadre.id, period="2099-01", cadre_id=cadre.id,
                    window_opens=dt.date(2099, 1, 1), due=dt.date(2099, 1, 31), assignee_id=owner.id)
        session.add(task)
        session.flush()
        task_id = task.id
    code, out, err = run(capsys, "complete", str(task_id), "--outcome", "reached", "--date", "2026-11-20")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    if speaking in CHINESE:
        assert err.strip() == (f"yinhui: 任务 #{task_id} 从 2099-01-01 起才能办理，此前不能记为完成（不能记在 2026-11-20）")
    else:
        assert err.strip() == (f"yinhui: task #{task_id} opens on 2099-01-01; it cannot be done before then "
                               "(not on 2026-11-20)")
    code, _, err = run(capsys, "complete", "2147483647", "--outcome", "reached")
    assert code == 1
    assert err.strip() == ("yinhui: 没有任务 #2147483647" if speaking in CHINESE else "yinhui: no task #2147483647")


def test_a_bad_value_is_refused_in_the_operators_language(capsys, speaking):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "holidays", "show", "二〇三一")
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    if speaking in CHINESE:
        assert "不是年份：「二〇三一」" in err
    else:
        assert "not a year: '二〇三一'" in err


def test_a_refused_target_or_relative_names_the_reason_in_the_operators_language(database, capsys, speaking):
    with session_scope() as session:
        factories.small_county(session)
        factories.cadre(session, "张老")
    code, out, target = run(capsys, "chat", "target", "add", "--grid", "城关镇", "https://example.org/hook")
    assert code == 1 and out == ""
    code, out, relative = run(capsys, "relative", "remove", "张老", "李四")
    assert code == 1 and out == ""
    if speaking in CHINESE:
        assert target.strip() == ("yinhui: 不支持的目标地址协议 'https'；请用以下之一："
                                  "wecombot://, dingtalk://, mailto://, mailtos://")
        assert relative.strip() == "yinhui: 张老没有名为李四的亲属（已登记：-）"
    else:
        assert target.strip() == ("yinhui: unsupported target URL scheme 'https'; use one of "
                                  "wecombot://, dingtalk://, mailto://, mailtos://")
        assert relative.strip() == "yinhui: 张老 has no relative called 李四 (known: -)"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_help_is_in_the_operators_language(capsys, monkeypatch, language):
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_CLI_LANGUAGE", language)
    monkeypatch.setenv("COLUMNS", "200")  # one line per text: Rich wraps a narrow table mid-phrase
    reset_settings()
    try:
        code, root, _ = run(capsys, "--help")
        assert code == 0
        code, tasks, _ = run(capsys, "tasks", "--help")
        assert code == 0
    finally:
        reset_settings()
    shown = {
        root: ["银辉 Yinhui: outreach work of a veteran-cadres bureau", "create or upgrade the database",
               "show tracebacks of unexpected errors", "official days off and make-up working days (放假调休)"],
        tasks: ["at most this many", "the workbook --format xlsx writes", "which tasks (live: open or overdue)"],
    }
    for page, msgids in shown.items():
        for msgid in msgids:
            assert text(language, msgid) in page
            assert (msgid in page) == (language == "en")


def _commands(command, path: str = "yinhui"):
    """Every command of the Click tree, groups included, with its path."""
    yield path, command
    for name, subcommand in getattr(command, "commands", {}).items():
        yield from _commands(subcommand, f"{path} {name}")


def test_every_command_option_and_argument_has_a_help_text_in_the_catalogue():
    import typer

    from yinhui.cli import app
    from yinhui.i18n import read_catalog

    catalogue = read_catalog("zh_CN")
    missing = []
    # A fresh tree: the one main() runs holds the last run's translations.
    for path, command in _commands(typer.main.get_command(app)):
        texts = {path: command.help, **{f"{path} {param.opts[0] if param.opts else param.name}": param.help
                                        for param in command.params}}  # Click adds --help itself, not in .params
        if command.short_help:
            texts[f"{path} (short)"] = command.short_help
        for where, help_text in texts.items():
            entry = catalogue.get(help_text) if help_text else None
            if entry is None or not entry.string:
                missing.append(f"{where}: {help_text!r}")
    assert missing == []
