"""What every command group shares: errors and exit codes, option types, output, the database check.

Command modules import from here and from the services, never from one another. Heavy modules
(the database layer, Prefect, Rich) are imported inside the functions that need them, so that
`yinhui --help` stays fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar

import typer
from typer.core import TyperCommand

from yinhui import textable
from yinhui.i18n import N_

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from yinhui.export.xlsx import Sheet
    from yinhui.rules.playbook import Playbook
    from yinhui.rules.workdays import WorkCalendar

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: whoever read our output stopped (`yinhui tasks | head -1`)
ACTOR = "cli:operator"
DATABASE_SETTING = "YINHUI_DATABASE_URL"


class CommandError(Exception):
    """A request the command cannot carry out; printed as one line."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Options:
    """The global options of the command being run (set by the root callback)."""

    debug: bool = False


OPTIONS = Options()


# -- option types -----------------------------------------------------------------------------


def parse_day(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):  # a default
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_("not a date (YYYY-MM-DD): {value!r}", value=value)) from None


FIRST_MONTH, LAST_MONTH = "2000-01", "2100-12"  # the months a report or a snapshot can be about
MAX_ID = 2**31 - 1  # record ids are INTEGER columns (32-bit on PostgreSQL): a larger number names nothing
MAX_COUNT = 2**63 - 1  # a count (--limit): what SQL's LIMIT takes


def parse_month(value: str) -> str:
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise typer.BadParameter(_("not a month (YYYY-MM): {month!r}", month=value)) from None
    month = f"{parsed.year:04d}-{parsed.month:02d}"
    if not FIRST_MONTH <= month <= LAST_MONTH:
        raise typer.BadParameter(_("month must be {first}..{last}: {value!r}", first=FIRST_MONTH, last=LAST_MONTH,
                                    value=value))
    return month


def parse_id(value: str | int) -> int:
    """A record's number (task, event, leave entry): a positive integer the database can hold."""
    try:
        number = int(value)
    except ValueError:
        raise typer.BadParameter(_("not a number: {value!r}", value=value)) from None
    if not 1 <= number <= MAX_ID:
        raise typer.BadParameter(_("no such number: {value} (numbers run from 1 to {last})", value=value, last=MAX_ID))
    return number


def id_argument(metavar: str = "ID", help: str | None = None) -> Any:
    return typer.Argument(parser=parse_id, metavar=metavar, help=help)


def parse_year(value: str) -> int:
    from yinhui.rules.calendar_nodes import MAX_YEAR, MIN_YEAR

    try:
        year = int(value)
    except ValueError:
        raise typer.BadParameter(_("not a year: {value!r}", value=value)) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise typer.BadParameter(_("year must be {first}..{last}", first=MIN_YEAR, last=MAX_YEAR))
    return year


def parse_period(value: str) -> str:
    from yinhui.rules.cadence import period_from_key

    try:
        return period_from_key(value).key
    except ValueError:
        raise typer.BadParameter(_("not a period (YYYY-MM, YYYY-Qn or YYYY): {value!r}", value=value)) from None


def day_option(*names: str, help: str | None = None) -> Any:
    return typer.Option(*names, parser=parse_day, metavar="YYYY-MM-DD", help=help)


def month_option(*names: str, help: str | None = None) -> Any:
    return typer.Option(*names, parser=parse_month, metavar="YYYY-MM", help=help)


def year_option(*names: str, help: str | None = None) -> Any:
    return typer.Option(*names, parser=parse_year, metavar="YYYY", help=help)


def period_option(*names: str, help: str = N_("YYYY-MM, YYYY-Qn or YYYY")) -> Any:
    return typer.Option(*names, parser=parse_period, metavar="PERIOD", help=help)


class GreedyOptions(TyperCommand):
    """A command whose listed options take every value up to the next option: `--days-off A B..C --workdays D`.

    Click gives an option one value per mention; this spells the extra values out as further
    mentions (`--days-off A --days-off B..C`) before Click parses them.
    """

    greedy: tuple[str, ...] = ()

    @classmethod
    def taking(cls, *names: str) -> type[GreedyOptions]:
        return type(cls.__name__, (cls,), {"greedy": names})

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        spelled: list[str] = []
        current: str | None = None
        for n, arg in enumerate(args):
            if arg == "--":
                spelled += args[n:]
                break
            if arg.startswith("-"):
                current = arg.split("=", 1)[0] if arg.split("=", 1)[0] in self.greedy else None
                spelled.append(arg)
            elif current is not None and spelled[-1] != current:
                spelled += [current, arg]
            else:
                spelled.append(arg)
        return super().parse_args(ctx, spelled)


Format = Literal["table", "json"]
FormatOption = Annotated[Format, typer.Option("--format", help=N_("table, or json for programs"))]
ExportFormat = Literal["table", "json", "xlsx"]
ExportFormatOption = Annotated[ExportFormat, typer.Option(
    "--format", help=N_("table, json for programs, or xlsx (with --output FILE) for a spreadsheet"))]
OutputOption = Annotated[Path | None, typer.Option("--output", metavar="FILE", help=N_("the workbook --format xlsx writes"))]
As = Annotated[str | None, typer.Option("--as", metavar="COORDINATOR", help=N_("record it in this coordinator's name"))]
# `yinhui cadre ...` and `yinhui relative ...` name a cadre the same way (services.cadres.resolve_cadre).
CadreArgument = Annotated[str, typer.Argument(metavar="CADRE", help=N_("ID number, #id, or a name (add --grid when two cadres share it)"))]
CadreGridOption = Annotated[str | None, typer.Option(
    "--grid", metavar="GRID", help=N_("the cadre's grid, to tell namesakes apart: 城关镇/东街村 or a township"))]


# -- output -----------------------------------------------------------------------------------


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> None:
    textable.print_table(headers, rows, numeric)


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        print(_("warning: {text}", text=line), file=sys.stderr)


Row = Mapping[str, Any]


def export_target(fmt: str, output: Path | None) -> Path | None:
    """Where ``--format xlsx`` writes, checked before any work (--output FILE in a folder that exists)."""
    if fmt != "xlsx":
        if output is not None:
            raise CommandError(_("--output is for --format xlsx"))
        return None
    if output is None:
        raise CommandError(_("--format xlsx needs --output FILE (the workbook to write)"))
    if output.is_dir():
        raise CommandError(_("--output {path} is a folder: name the file to write", path=str(output)))
    if not output.parent.is_dir():
        raise CommandError(_("no folder {folder} for --output: create it first", folder=str(output.parent)))
    return output


def write_export(target: Path, sheets: Sequence[Sheet]) -> None:
    """Write the workbook (whole, or not at all) and say so in one line."""
    from yinhui.export.xlsx import write_xlsx

    write_xlsx(target, sheets)
    print(_("wrote {path}: {sheets} sheet(s), {rows} row(s)", path=str(target), sheets=len(sheets),
            rows=sum(len(s.rows) for s in sheets)))


def show_list(
    fetch: Callable[[Session], Sequence[Row]],
    fmt: Format | ExportFormat,
    headers: Sequence[str],
    cells: Callable[[Row], Sequence[object]],
    *,
    numeric: Sequence[int] = (),
    before: str | None = None,
    after: Callable[[Sequence[Row]], str] | None = None,
    output: Path | None = None,
    sheets: Callable[[Sequence[Row]], Sequence[Sheet]] | None = None,
) -> None:
    """The body of every list command: read the rows in one unit of work, print them as JSON or a table
    (or write ``sheets`` of them with --format xlsx)."""
    target = export_target(fmt, output)
    with database(read_only=True) as session:
        rows = fetch(session)
    if target is not None and sheets is not None:
        write_export(target, sheets(rows))
        return
    if fmt == "json":
        print_json(rows)
        return
    if before is not None:
        print(before)
    print_table(headers, [cells(row) for row in rows], numeric)
    if after is not None:
        print(after(rows))


class Advance(Protocol):
    def __call__(self, steps: int = 1, *, description: str | None = None) -> None: ...


def _stand_still(steps: int = 1, *, description: str | None = None) -> None:
    return None


@contextlib.contextmanager
def progress(description: str, total: int | None = None, *, unit: str | None = None) -> Iterator[Advance]:
    """A progress bar on stderr while long work runs, only when stderr is a terminal; yields `advance`.

    With no total the bar pulses (and counts `unit`s, if given). It disappears when the work ends,
    so what the command prints stays exactly what it printed without it.
    """
    if not textable.is_terminal(sys.stderr):
        yield _stand_still
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    count = MofNCompleteColumn() if total else TextColumn("{task.completed:,.0f} " + unit if unit else "")
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), count, TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True,
                   redirect_stdout=textable.is_terminal(sys.stdout), redirect_stderr=True)
    with bar:
        task = bar.add_task(description, total=total)

        def advance(steps: int = 1, *, description: str | None = None) -> None:
            bar.update(task, advance=steps, description=description)

        yield advance


# -- settings and the database ----------------------------------------------------------------


def language() -> str:
    """The bureau's language: what the content of a report is written in (labels, kinds, titles)."""
    from yinhui.settings import get_settings

    return get_settings().language


def operator_language() -> str:
    """The language of the command line's own words (YINHUI_CLI_LANGUAGE, else the bureau's)."""
    from yinhui.settings import get_settings

    return get_settings().operator_language


def _(message: str, /, **values: object) -> str:
    """A text of the command line in the operator's language, its {placeholders} filled in.

    ``message`` is an English literal, extracted into the catalogues (yinhui.i18n); a domain
    error from a service is rendered with ``error_text``.
    """
    from yinhui import i18n

    return i18n.text(_language(), message, **values)


def _language() -> str:
    """The operator's language; English while the settings themselves cannot be read (pydantic words that problem in English)."""
    try:
        return operator_language()
    except ValueError:
        return "en"


def engine() -> Engine:
    """The application database's engine; a URL SQLAlchemy cannot use is a bad setting, named as such."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from models.db import get_engine
    from yinhui.settings import get_settings

    try:
        return get_engine()
    except (ArgumentError, ImportError) as exc:  # unknown dialect or driver, or not a URL at all
        url = get_settings().effective_database_url
        with contextlib.suppress(ArgumentError):
            url = make_url(url).render_as_string(hide_password=True)
        raise CommandError(_("bad setting {setting}: cannot use {url!r} ({problem})", setting=DATABASE_SETTING, url=url,
                             problem=exc), EXIT_USAGE) from None


def require_schema() -> None:
    """Refuse to run on a database that `yinhui init` has not prepared (or that is out of date)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from models.db import alembic_config

    database_engine = engine()
    with database_engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(database_engine)).get_current_head()
    if current is None:
        raise CommandError(_("the database is not set up yet: run `yinhui init` first"))
    if current != head:
        raise CommandError(_("the database schema is at {current}, this Yinhui needs {head}: run `yinhui init`",
                             current=current, head=head))


@contextlib.contextmanager
def database(*, read_only: bool = False) -> Iterator[Session]:
    """One unit of work on a database `yinhui init` has prepared (`read_only`: a listing or a report)."""
    from models.db import session_scope

    require_schema()
    with session_scope(read_only=read_only) as session:
        yield session


def actor(session: Session, name: str | None) -> str:
    """Who the audit trail names: the coordinator given with --as, else the operator."""
    from yinhui.services.coordinators import find_coordinator

    return f"coordinator:{find_coordinator(session, name).id}" if name else ACTOR


def work_context() -> tuple[Playbook, WorkCalendar]:
    """The playbook and the bureau's working-day calendar (its own holiday entries included)."""
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.calendar import work_calendar

    playbook = current_playbook()
    with session_scope(read_only=True) as session:
        return playbook, work_calendar(session, playbook)


def guess_warnings(calendar: WorkCalendar, days: Iterable[dt.date]) -> list[str]:
    """A warning for each year among `days` whose official days off are not known."""
    from yinhui.services.calendar import guess_warning

    return [guess_warning(year) for year in sorted({d.year for d in days}) if calendar.is_guess(year)]


# -- errors -----------------------------------------------------------------------------------

Command = TypeVar("Command", bound=Callable[..., Any])


def one_line(command: Command) -> Command:
    """Calendar and care commands: a rule's ValueError is a refusal, one line on stderr, nothing written."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValueError as exc:
            # pydantic's ValidationError (settings) and PlaybookError are ValueErrors main() reports itself.
            if OPTIONS.debug or type(exc).__name__ in ("ValidationError", "PlaybookError"):
                raise
            raise CommandError(error_text(exc)) from None

    return run  # type: ignore[return-value]


def error_text(exc: BaseException) -> str:
    """An error's message in the operator's language (a domain error's catalogue text, translated)."""
    from yinhui import i18n

    return i18n.error_text(exc, _language())
