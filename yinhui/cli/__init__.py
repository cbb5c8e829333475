"""The operator's command line, `yinhui ...`: every command group is registered here, in the order `--help` lists them.

To add a command, write a function in the group's module (`@app.command("name", help=N_("..."))` on
that module's `typer.Typer(help=N_("..."))`, every option's and argument's `help=N_("...")` too);
to add a group, write a module with its own `app` and register it below. Help texts are catalogue
texts (yinhui.i18n), shown in the operator's language: `_speak` translates the tree for each run.
Shared helpers (errors, option types, output, the database check) live in `yinhui.cli.common`;
`main` turns whatever a command raised into one line on stderr and an exit code (`exit_code_for`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from yinhui.cli import (
    cadre,
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
    relative,
    report,
    task,
    web,
)
from yinhui.i18n import N_


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


@app.callback(help=N_("银辉 Yinhui: outreach work of a veteran-cadres bureau"))
def root(
    data_dir: Annotated[str | None, typer.Option("--data-dir", metavar="DIR", help=N_("data directory (default ./data or YINHUI_DATA_DIR)"))] = None,
    debug: Annotated[bool, typer.Option("--debug", help=N_("show tracebacks of unexpected errors"))] = False,
) -> None:
    common.OPTIONS.debug = debug
    # Light: Prefect is imported only when a flow runs.
    from flows.console import run_logs_on_terminal

    run_logs_on_terminal("full" if debug else "quiet")
    if data_dir:
        # The environment, not only this process's settings: `serve` runs each flow in a child process.
        os.environ["YINHUI_DATA_DIR"] = data_dir
        from yinhui.settings import reset_settings

        reset_settings()


app.add_typer(core.app)  # init, import-roster, import-staff, plan, dispatch, rerun
app.add_typer(task.app)  # tasks, complete, reschedule
app.add_typer(task.task, name="task")
app.add_typer(cadre.app, name="cadre")
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
app.add_typer(relative.app, name="relative")
chat.app.add_typer(chat.target, name="target")
app.add_typer(chat.app, name="chat")
app.add_typer(chat.notice, name="notice")
app.add_typer(ops.app)  # bot, serve, deploy, schedules, snapshot
app.add_typer(web.app)  # web


# Every help text of the tree as written (object, attribute, English msgid), translated afresh by
# each run: one process may run commands for operators of different languages (the tests do).
_HELP_TEXTS: list[tuple[Any, str, str]] = []


@functools.cache
def _command() -> Any:
    """The Click command tree of the app (built once), its help texts still the English msgids."""
    command = typer.main.get_command(app)
    _HELP_TEXTS.extend(_help_texts(command))
    return command


def _help_texts(command: Any) -> Iterator[tuple[Any, str, str]]:
    """The help texts of a command, of its parameters and of its subcommands, depth first."""
    for attribute in ("help", "short_help"):
        if getattr(command, attribute, None):
            yield command, attribute, getattr(command, attribute)
    for param in command.params:
        if getattr(param, "help", None):
            yield param, "help", param.help
    for subcommand in getattr(command, "commands", {}).values():
        yield from _help_texts(subcommand)


def _speak(language: str) -> None:
    """Put the tree's help texts (commands, options, arguments) in the operator's language."""
    from yinhui import i18n

    _command()
    for owner, attribute, english in _HELP_TEXTS:
        setattr(owner, attribute, i18n.text(language, english))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's last flush at exit finds nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test's capture)
        pass


def _refusals() -> tuple[type[BaseException], ...]:
    """Errors that mean "this cannot be done" and say why: one line, exit 1."""
    from sqlalchemy.exc import OperationalError

    from yinhui.roster.reader import RosterFileError
    from yinhui.rules.assignment import NoLeaderError
    from yinhui.rules.playbook import PlaybookError
    from yinhui.services import errors

    # Every error the services raise says what cannot be done and why (yinhui.services.errors).
    domain = tuple(v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception))
    return (*domain, RosterFileError, NoLeaderError, PlaybookError, OperationalError)


def exit_code_for(exc: BaseException) -> int:
    """Print what went wrong as one line on stderr and give the exit code (re-raise under --debug)."""
    if isinstance(exc, common.CommandError):
        print(f"yinhui: {exc}", file=sys.stderr)
        return exc.code
    if common.OPTIONS.debug:
        raise exc
    first_line = (str(exc).splitlines() or [""])[0]
    if type(exc).__name__ == "ValidationError" and hasattr(exc, "errors"):  # settings from the environment
        from yinhui.settings import Settings

        problem = exc.errors()[0]
        setting = "_".join(str(part) for part in problem["loc"])
        if getattr(exc, "title", None) == Settings.__name__:  # name it as the operator sets it
            setting = (str(Settings.model_config.get("env_prefix", "")) + setting).upper()
        print("yinhui: " + common._("bad setting {setting}: {problem}", setting=setting, problem=problem["msg"]),
              file=sys.stderr)
        return common.EXIT_USAGE
    if isinstance(exc, _refusals()):
        message = (common.error_text(exc).splitlines() or [""])[0] or type(exc).__name__
        if type(exc).__name__ == "OperationalError":
            message = common._("database error: {problem}", problem=getattr(exc, "orig", exc)).splitlines()[0]
        print(f"yinhui: {message}", file=sys.stderr)
        return common.EXIT_INVALID
    print("yinhui: " + common._("unexpected error ({kind}): {problem} (run with --debug for details)",
                                kind=type(exc).__name__, problem=first_line), file=sys.stderr)
    return common.EXIT_INTERNAL


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
        _speak(common._language())
        code = _command().main(args=args, prog_name="yinhui", standalone_mode=False)
        sys.stdout.flush()
    except UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "yinhui"
        message = " ".join(exc.format_message().replace("Value error, ", "").split())  # one line
        print(common._("{command}: {problem} (see `{command} --help`)", command=where, problem=message), file=sys.stderr)
        raise SystemExit(common.EXIT_USAGE) from None
    except (OutputClosed, BrokenPipeError):
        _silence_stdout()
        return common.EXIT_BROKEN_PIPE
    except Interrupted:
        print("yinhui: " + common._("interrupted"), file=sys.stderr)
        return common.EXIT_INTERRUPTED
    except Exception as exc:  # one clear line, never a traceback, unless asked for
        return exit_code_for(exc)
    return int(code or 0)
