"""The operator's command line, `yinhui ...`: every command group is registered here, in the order `--help` lists them.

To add a command, write a function in the group's module (`@app.command()` on that module's
`typer.Typer()`); to add a group, write a module with its own `app` and register it below.
Shared helpers (errors, option types, output, the database check) live in `yinhui.cli.common`.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from yinhui.cli import (
    calendar,
    care,
    chat,
    common,
    coordinator,
    core,
    demo,
    event,
    holiday,
    ops,
    playbook,
    report,
)


class OutputClosed(Exception):
    """Whoever read our output stopped reading (a closed pipe)."""


class Interrupted(Exception):
    """Ctrl-C while a command ran."""


class _Yinhui(TyperGroup):
    """The root command. A closed pipe and Ctrl-C reach main() as themselves: left to Click, the
    one would exit 1 after swapping sys.stdout, the other would exit 130 without a word."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise OutputClosed from exc
        except KeyboardInterrupt as exc:
            raise Interrupted from exc


app = typer.Typer(
    cls=_Yinhui,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    data_dir: Annotated[str | None, typer.Option("--data-dir", metavar="DIR", help="data directory (default ./data or YINHUI_DATA_DIR)")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks of unexpected errors")] = False,
) -> None:
    """银辉 Yinhui: outreach work of a veteran-cadres bureau"""
    common.OPTIONS.debug = debug
    # Light: Prefect is imported only when a flow runs.
    from flows.console import run_logs_on_terminal

    run_logs_on_terminal("full" if debug else "quiet")
    if data_dir:
        # The environment, not only this process's settings: `serve` runs each flow in a child process.
        os.environ["YINHUI_DATA_DIR"] = data_dir
        from yinhui.settings import reset_settings

        reset_settings()


app.add_typer(core.app)  # init, import-roster, import-staff, plan, dispatch, tasks, complete, reschedule, rerun
app.add_typer(coordinator.app, name="coordinator")
app.add_typer(report.app, name="report")
app.add_typer(playbook.app, name="playbook")
app.add_typer(demo.app)  # demo
app.add_typer(calendar.app)  # calendar
app.add_typer(calendar.node, name="node")
app.add_typer(holiday.app, name="holidays")
app.add_typer(event.app, name="event")
app.add_typer(care.app)  # report-event
app.add_typer(care.branch, name="branch")
app.add_typer(care.leave, name="leave")
app.add_typer(care.lecture, name="lecture")
app.add_typer(care.volunteer, name="volunteer")
chat.app.add_typer(chat.target, name="target")
app.add_typer(chat.app, name="chat")
app.add_typer(ops.app)  # bot, serve, deploy, schedules, snapshot


@functools.cache
def _command() -> Any:
    return typer.main.get_command(app)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's last flush at exit finds nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test's capture)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run `yinhui ARGV...`; returns the exit code (a usage error exits 2 through SystemExit, as argparse did)."""
    # The command sets how much of a run's failure the terminal shows (flows.console, imported
    # only when a command runs); a caller in the same process (the demo, a test) gets its own
    # setting back afterwards: "brief", the default, if it had none.
    console = sys.modules.get("flows.console")
    previous = console.current_mode() if console is not None else "brief"
    try:
        return _main(argv)
    finally:
        console = sys.modules.get("flows.console")
        if console is not None:
            console.run_logs_on_terminal(previous)


def _main(argv: Sequence[str] | None) -> int:
    from typer._click.exceptions import UsageError  # Typer's own copy of Click raises these

    # Prefect's per-run chatter is for the UI; the console shows the command's own summary. With
    # a real Prefect server configured the runs' INFO logs go there, so leave the level alone.
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if "yinhui.settings" in sys.modules:  # read again for this command (pydantic costs 0.2 s: not for --help)
        sys.modules["yinhui.settings"].reset_settings()
    common.OPTIONS.debug = False  # until the root callback reads --debug
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _command().main(args=args, prog_name="yinhui", standalone_mode=False)
        sys.stdout.flush()
    except UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "yinhui"
        message = " ".join(exc.format_message().replace("Value error, ", "").split())  # one line
        print(f"{where}: {message} (see `{where} --help`)", file=sys.stderr)
        raise SystemExit(common.EXIT_USAGE) from None
    except (OutputClosed, BrokenPipeError):
        _silence_stdout()
        return common.EXIT_BROKEN_PIPE
    except Interrupted:
        print("yinhui: interrupted", file=sys.stderr)
        return common.EXIT_INTERRUPTED
    except Exception as exc:  # one clear line, never a traceback, unless asked for
        return common.exit_code_for(exc)
    return int(code or 0)
