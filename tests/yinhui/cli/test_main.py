"""`yinhui` itself: every documented invocation parses, exit codes, one-line errors, pipes, settings, speed."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from yinhui.cli import main

YINHUI = str(Path(sys.executable).with_name("yinhui"))

# The README's invocations, with its placeholders filled in.
DOCUMENTED = [
    "init",
    "import-staff staff.xlsx",
    "import-roster 花名册.xlsx --dry-run",
    "coordinator add 王芳 --role grid --grid 城关镇 --grid 城关镇/东街村 --phone 13900000000",
    "coordinator list --format json",
    "coordinator deactivate 王芳",
    "coordinator activate 王芳",
    "coordinator invite 王网格 --days 3",
    "plan --date 2026-12-01 --no-dispatch",
    "tasks --coordinator 王芳 --status overdue --format json",
    "complete 1234 --outcome reached --note 文字 --date 2026-11-03 --as 王芳",
    "reschedule 1234 --to 2026-11-20 --as 王芳",
    "report coverage --month 2026-11 --format json --all-grids --all-missed",
    "playbook check my-playbook.toml",
    "demo --days 92 --start 2026-10-01 --dir data/demo",
    "report-event 张老 住院 --date 2026-11-05 --note 县医院 --grid 城关镇/东街村",
    "report must-visits --period 2026-10",
    "report services --period 2026-Q4 --missing-only",
    "branch secretary 东街 钱干事",
    "branch attend 东街 --month 2026-11 王老 李老",
    "report branches --month 2026-11",
    "leave add 钱干事 --from 2026-11-08 --to 2026-11-12",
    "lecture rota",
    "volunteer log --team 宣讲团 --topic 反诈宣传 --served 80 --hours 2 王老 李老",
    "report volunteers --period 2026-Q4",
    "bot",
    "bot --webhook https://bot.example.org/telegram --listen 127.0.0.1 --port 8443",
    "chat group-invite 城关镇/东街村",
    "chat target add --coordinator 王网格 wecombot://KEY",
    "chat target add --grid 城关镇 dingtalk://TOKEN",
    "chat target list",
    "chat undelivered",
    "calendar --year 2027 --format ics --output nodes.ics",
    "node add party_105 --name 建党105周年 --date 2026-07-01 --note 主题党日",
    "node remove party_105",
    "holidays set 2027 --days-off 2027-02-05..2027-02-11 2027-10-01..2027-10-07 --workdays 2027-02-14",
    "holidays show 2027",
    "holidays clear 2027",
    "event create --node double_ninth_festival --year 2026 --template theme_event --title 文字",
    "event list",
    "event show 1",
    "event move 1 --date 2026-10-25",
    "event attend 1 王老 李老",
    "serve --port 4200",
    "deploy --pool yinhui",
    "schedules --count 2",
    "rerun --date 2026-10-01",
    "snapshot --month 2026-10",
    "report weekly --week-of 2026-09-30",
    "dispatch",
    "--data-dir /tmp/x --debug tasks",
    "tasks --cadre 王老 --grid 城关镇 --kind call --due-before 2026-11-20",
    "task show 12 --format json",
    "cadre show 王老 --grid 城关镇/东街村",
    "cadre edit #3 --phone 13912345678 --lives-alone yes --hardship no --coordinator 王芳",
    "cadre pause 王老 --until 2027-02-28 --reason 异地居住 --from 2026-12-01",
    "cadre resume 王老",
]


def _parse(argv: list[str]) -> tuple[str, dict[str, object]]:
    """What Click makes of a command line, down to the command that would run (nothing runs)."""
    from typer.core import TyperGroup

    from yinhui.cli import _command

    ctx = _command().make_context("yinhui", list(argv))
    while isinstance(ctx.command, TyperGroup):
        name, command, rest = ctx.command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert command is not None
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx.command_path, ctx.params


@pytest.mark.parametrize("line", DOCUMENTED)
def test_every_documented_invocation_parses(line: str):
    path, params = _parse(line.split())
    assert path.startswith("yinhui ")


def test_options_may_come_between_positional_arguments():
    path, params = _parse("branch attend 东街 --month 2026-11 王老 李老".split())
    assert (path, params["name"], params["month"], params["cadres"]) == ("yinhui branch attend", "东街", "2026-11",
                                                                        ["王老", "李老"])
    _, params = _parse("volunteer log 王老 --team 宣讲团 --topic 反诈 李老 --hours 2".split())
    assert params["cadres"] == ["王老", "李老"] and params["hours"] == 2.0


def test_an_option_may_take_several_values_as_before():
    _, params = _parse("holidays set 2027 --days-off 2027-01-01 2027-02-05..2027-02-11 --workdays 2027-02-14".split())
    assert (params["year"], params["days_off"], params["workdays"]) == (
        2027, ["2027-01-01", "2027-02-05..2027-02-11"], ["2027-02-14"])
    _, params = _parse(["event", "move", "1", "--date", "2026-10-25"])
    assert params["date"] == dt.date(2026, 10, 25)


@pytest.mark.parametrize(("argv", "message"), [
    ([], "Missing command"),
    (["nope"], "No such command 'nope'"),
    (["coordinator"], "Missing command"),
    (["tasks", "--status", "late"], "'late' is not one of"),
    (["complete", "12"], "Missing option '--outcome'"),
    (["report", "coverage", "--month", "2026-13"], "not a month (YYYY-MM): '2026-13'"),
    (["holidays", "show", "1800"], "year must be"),
    (["chat", "target", "add", "wecombot://KEY"], "give one of them"),
])
def test_usage_errors_exit_2_with_one_line(argv: list[str], message: str, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert message in err and err.count("\n") == 1 and err.startswith("yinhui")


def test_help_lists_every_group_and_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("init", "import-roster", "coordinator", "tasks", "report", "calendar", "holidays", "event",
                 "report-event", "branch", "leave", "lecture", "volunteer", "chat", "serve", "bot", "demo"):
        assert name in out
    assert main(["-h"]) == 0


def test_an_unexpected_error_is_one_line_and_a_traceback_only_under_debug(monkeypatch, capsys):
    import deployments.schedules

    def broken() -> None:
        raise RuntimeError("the schedule table is broken")

    monkeypatch.setattr(deployments.schedules, "deployment_specs", broken)
    assert main(["schedules"]) == 70
    err = capsys.readouterr().err
    assert err == "yinhui: unexpected error (RuntimeError): the schedule table is broken (run with --debug for details)\n"
    with pytest.raises(RuntimeError, match="broken"):
        main(["--debug", "schedules"])


def test_help_does_not_import_prefect_or_the_database():
    probe = ("import io, sys, contextlib\nfrom yinhui.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
             "print(sorted(m for m in ('prefect', 'sqlalchemy', 'models', 'flows') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}, **extra}


def test_a_bad_database_url_is_a_bad_setting_named_as_such(tmp_path):
    for url in ("foo://x", "not a url"):
        done = subprocess.run([YINHUI, "tasks"], env=_env(YINHUI_DATABASE_URL=url), capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "unexpected" not in done.stderr
        assert done.stderr.startswith("yinhui: bad setting YINHUI_DATABASE_URL: cannot use")


def test_a_bad_setting_is_named_as_the_operator_sets_it(monkeypatch, capsys):
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_TIMEZONE", "Mars/Olympus")
    try:
        assert main(["tasks"]) == 2
    finally:
        monkeypatch.undo()
        reset_settings()
    err = capsys.readouterr().err
    assert err.startswith("yinhui: bad setting YINHUI_TIMEZONE: ") and "Mars/Olympus" in err and err.count("\n") == 1


def _many_tasks(count: int) -> None:
    from models.db import session_scope
    from tests import factories
    from yinhui.services.tasks import create_tasks

    with session_scope() as s:
        leader = factories.small_county(s)["leader"].id  # type: ignore[attr-defined]
        rows = [{"kind": "lecture", "rule": "lecture", "subject_id": n, "period": "2026-11",
                 "window_opens": dt.date(2026, 11, 1), "due": dt.date(2026, 11, 30), "assignee_id": leader}
                for n in range(count)]
        create_tasks(session=s, rows=rows, actor="test")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_reader_that_stops_early_ends_the_command_quietly(database):
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")
    _many_tasks(3000)  # far more than a pipe holds
    env = _env(YINHUI_DATABASE_URL=database)
    process = subprocess.Popen([YINHUI, "tasks"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141  # 128 + SIGPIPE, as for any Unix tool whose reader left
    assert first.decode().split()[:2] == ["id", "kind"]
    assert err == b""
    shell = subprocess.run(f"{YINHUI} tasks | head -1", shell=True, env=env, capture_output=True, text=True,
                           timeout=120)
    assert shell.stdout.split()[:2] == ["id", "kind"] and shell.stderr == ""


def test_tables_are_plain_text_in_a_pipe_and_drawn_by_rich_on_a_terminal():
    from yinhui import textable

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    rows = [[1, "王芳", "城关镇/东街村 [schedule off]"], [12, "Li", None]]
    piped = io.StringIO()
    textable.print_table(["id", "name", "grids"], rows, (0,), file=piped)
    assert piped.getvalue() == textable.render(["id", "name", "grids"], rows, numeric=(0,)) + "\n"
    lines = piped.getvalue().splitlines()
    assert (lines[0], lines[2]) == ("id  name  grids", " 1  王芳  城关镇/东街村 [schedule off]")
    screen = Terminal()
    textable.print_table(["id", "name", "grids"], rows, (0,), file=screen)
    drawn = screen.getvalue()
    assert "─" in drawn and "王芳" in drawn and "[schedule off]" in drawn  # cells are text, never markup


def test_progress_shows_on_a_terminal_only(monkeypatch):
    from yinhui.cli import common

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with common.progress("simulated days", total=3) as advance:
        advance()
    assert piped.getvalue() == ""
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with common.progress("simulated days", total=3) as advance:
        for day in range(3):
            advance(description=f"simulated day {day}")
    assert "simulated day" in screen.getvalue()
