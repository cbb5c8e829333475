"""Prefect's own run log lines in the bureau's language: "运行结束：已完成" rather than "Finished in state Completed()".

The run log is what a leader reads under a run in the UI. Our flows write their lines through
gettext (`flows.texts.say`); the lines Prefect writes itself about every run (it began, it ended
in this state) are rewritten here, as they are logged, by a filter on the run loggers. A line
this does not know is left as Prefect wrote it.
"""

from __future__ import annotations

import logging
import re

from flows.texts import say
from yinhui.i18n import N_

RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")

STATES = {
    "Completed": N_("completed"),
    "Failed": N_("failed"),
    "Crashed": N_("crashed (its process stopped)"),
    "Cancelled": N_("cancelled"),
    "Cached": N_("completed (from cache)"),
    "TimedOut": N_("timed out"),
    "NotReady": N_("not ready"),
    "Running": N_("stopped while running"),
}
# Whole lines Prefect writes about a run, by their exact English.
LINES = {
    "Flow run was cancelled.": N_("The run was cancelled."),
}
FINISHED = N_("Finished: {state}")
BEGINNING = N_("Started run {run} of {flow}")

_FINISHED = re.compile(r"^Finished in state (\w+)\((.*)\)$", re.DOTALL)
_BEGINNING = re.compile(r"^Beginning (?:sub)?flow run '(.+)' for flow '(.+)'$")


def in_bureau_words(message: str) -> str | None:
    """Prefect's wording of a run's start or end in the bureau's language; None for any other line."""
    if found := _FINISHED.match(message):
        state = found.group(1)  # its detail repeats the error Prefect logged just before, in English
        return say(FINISHED, state=say(STATES[state])) if state in STATES else None
    if found := _BEGINNING.match(message):
        run, flow = found.groups()
        return say(BEGINNING, run=run, flow=flow)
    return say(LINES[message]) if message in LINES else None


class BureauWords(logging.Filter):
    """Rewrites Prefect's start and end lines of a run; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            words = in_bureau_words(record.getMessage())
        except Exception:  # a log line must never break the run: keep Prefect's own words
            return True
        if words is not None:
            record.msg, record.args = words, None
        return True


def install_bureau_words() -> None:
    """Attach the filter to the run loggers (once per process)."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, BureauWords) for f in logger.filters):
            logger.addFilter(BureauWords())
