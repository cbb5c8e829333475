"""Run logs on the operator's terminal: the run log keeps every traceback, the terminal gets the gist.

Prefect logs a failed run's exception with its traceback (some 100 lines a run, twice when a
subflow fails under its parent) to the run log *and*, through the root logger, to the terminal.
The run log is where it belongs. On the terminal the level of detail is one of:

- ``brief`` (every process that imports the flows, `yinhui serve` and workers included): a
  run's expected refusal (no leader, a day outside the planning window: the errors that say
  what to do) is one line without its traceback; an unexpected error keeps it;
- ``quiet`` (a command that runs a flow in its own process and reports the outcome itself, such
  as `yinhui plan`): the run's progress and errors are left off the terminal altogether, only
  its warnings show;
- ``full`` (``--debug``): everything, as Prefect prints it.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
Mode = Literal["full", "brief", "quiet"]
_mode: list[Mode] = ["brief"]  # process-wide, like the handlers it governs


def expected_failures() -> tuple[type[BaseException], ...]:
    """Errors that refuse with a reason and say what to do: the reason is enough, the traceback noise."""
    from flows.slot_holder import PlanningSlotTimeout
    from yinhui.rules.assignment import NoLeaderError
    from yinhui.rules.playbook import PlaybookError
    from yinhui.services import errors

    domain = tuple(v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception))
    return (*domain, NoLeaderError, PlaybookError, PlanningSlotTimeout)


def _from_a_run(record: logging.LogRecord) -> bool:
    return record.name.startswith(RUN_LOGGERS)


def _expected(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    return exc is not None and isinstance(exc, expected_failures())


class _QuietRuns(logging.Filter):
    """On the terminal only: in ``quiet`` mode a run's progress and its errors stay in the run log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _mode[0] != "quiet" or not _from_a_run(record):
            return True
        return record.levelno == logging.WARNING  # a warning (a guessed holiday calendar) still shows


class _BriefFormatter(logging.Formatter):
    """Wraps the terminal's formatter: an expected refusal's traceback is left out (``brief``)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        if _mode[0] == "full" or not record.exc_info or not _from_a_run(record) or not _expected(record):
            return self.inner.format(record)
        # The record is shared with the run log's handler (which formatted it already): hide the
        # traceback for this formatting only.
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text = saved


def _terminal_handlers() -> list[logging.Handler]:
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    return [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]


def install_console_brevity() -> None:
    """Put the filter and the formatter on Prefect's terminal handler (once per process; imports Prefect)."""
    for handler in _terminal_handlers():
        if not any(isinstance(f, _QuietRuns) for f in handler.filters):
            handler.addFilter(_QuietRuns())
        if handler.formatter is not None and not isinstance(handler.formatter, _BriefFormatter):
            handler.setFormatter(_BriefFormatter(handler.formatter))


def current_mode() -> Mode:
    """How much of a run's failure this process's terminal shows now."""
    return _mode[0]


def run_logs_on_terminal(mode: Mode) -> None:
    """How much of a run's failure this process's terminal shows (see the module's docstring).

    Cheap to call before Prefect is imported (a command line's start): the flows install the
    filter when they are imported, and it reads the mode when a record comes.
    """
    _mode[0] = mode
    if "prefect.main" in sys.modules:  # Prefect's logging is set up already
        install_console_brevity()
