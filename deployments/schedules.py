"""Every scheduled flow as a deployment spec: cron in Beijing time (Asia/Shanghai), overridable from the playbook.

A bureau changes a time in its playbook, not in code:

    [schedules.daily-plan]
    cron = "0 6 * * *"          # or a list of crons
    [schedules.escalation-sweep]
    active = false              # keep the deployment, stop its schedule

The time zone is the `YINHUI_TIMEZONE` setting (Asia/Shanghai unless changed).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deployments.describe import when_words
from flows.texts import chinese
from yinhui.i18n import N_, text
from yinhui.playbook_loader import DEFAULT_PLAYBOOK
from yinhui.rules.playbook import PlaybookError
from yinhui.settings import get_settings

LEGACY_DEPLOYMENT_NAME = "yinhui"  # what every deployment was called before each got its own name


@dataclass(frozen=True)
class DeploymentSpec:
    """What a deployment is: which flow, when, with what limits and labels.

    `title` and `what` are English msgids: the deployment's name is the Chinese of `title` (每日计划),
    stable whatever the schedule; its description says in both languages when it runs (from
    `crons`, so a playbook override shows) and what it does.
    """

    flow_name: str
    entrypoint: str  # module path of the flow object, importable wherever Yinhui is installed
    crons: tuple[str, ...]
    title: str
    what: str
    tags: tuple[str, ...]
    working_days_only: bool = False  # the flow skips official days off itself; the schedule fires daily
    concurrency: int | None = None
    collision: str = "ENQUEUE"  # or CANCEL_NEW: a run that would overlap is dropped
    active: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The deployment's own name, as the UI's Deployments page shows it in large type."""
        return chinese(self.title)

    @property
    def full_name(self) -> str:
        """`daily-plan/每日计划`: what `prefect deployment run` takes."""
        return f"{self.flow_name}/{self.name}"

    def when(self, lang: str) -> str:
        """When it runs, in words: `每天 06:30 北京时间`."""
        return when_words(self.crons, timezone(), lang, working_days_only=self.working_days_only)

    def summary(self, lang: str) -> str:
        return text(lang, DESCRIPTION, when=self.when(lang), what=text(lang, self.what))

    @property
    def description(self) -> str:
        """Chinese first, then English: `每天 06:30 北京时间：… — daily 06:30 Beijing time: …`."""
        return f"{self.summary('zh')} — {self.summary('en')}"


DESCRIPTION = N_("{when}: {what}")


# The safety sweep of `dispatch-outbox`: 39 runs a day instead of 288. It is not how messages
# normally go out: the daily plan delivers its digests and notices at its end, an alert is
# delivered as it is queued (flows/alerts.py), and a message that failed for now gets a run of its
# own at its retry time (flows/dispatch_follow_up.py). The sweep catches the rest: a notice an
# operator queued with `yinhui chat notice send` and did not `yinhui dispatch`, a retry whose
# follow-up run was lost, messages of a dispatcher killed mid-batch. Every half hour while
# coordinators and leaders read their chats (07:00-21:30), hourly at night when nothing is
# planned. On the work-pool path, where no `yinhui serve` watches the planning slot, each sweep
# also frees the slot of a killed planning run: within 30 minutes by day, an hour at night.
DISPATCH_SWEEP = ("*/30 7-21 * * *", "0 0-6,22-23 * * *")


def _tags(kind: str) -> tuple[str, ...]:
    """A deployment's labels in the UI: Yinhui, then what it does, in English and in Chinese."""
    return ("yinhui", kind, chinese(kind))


DEFAULT_SPECS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        flow_name="daily-plan",
        entrypoint="flows.daily_plan.daily_plan",
        crons=("30 6 * * *",),
        title=N_("Daily plan"),
        what=N_("plan the day's calls, visits and must-visits, write each coordinator's digest, send them, publish the day's report."),
        tags=_tags(N_("planning")),
        concurrency=1,
    ),
    DeploymentSpec(
        flow_name="dispatch-outbox",
        entrypoint="flows.dispatch_outbox.dispatch_outbox",
        crons=DISPATCH_SWEEP,
        title=N_("Message delivery"),
        what=N_("send the messages waiting in the outbox (digests, reminders, alerts), each exactly once; "
                "planning and alerts send theirs at once, a retry gets a run of its own when it is due."),
        tags=_tags(N_("delivery")),
        concurrency=1,
        collision="CANCEL_NEW",  # a dispatch still running covers the next one
    ),
    DeploymentSpec(
        flow_name="escalation-sweep",
        entrypoint="flows.escalation_sweep.escalation_sweep",
        crons=("0 10 * * *", "0 15 * * *"),
        title=N_("Overdue sweep"),
        what=N_("mark late tasks overdue, escalate them to the leader, close the lapsed; skips official days off."),
        tags=_tags(N_("escalation")),
        working_days_only=True,
        concurrency=1,
        collision="CANCEL_NEW",
    ),
    DeploymentSpec(
        flow_name="weekly-report",
        entrypoint="flows.reports.weekly_report",
        crons=("0 8 * * 1",),
        title=N_("Weekly report"),
        what=N_("last week's work, coverage per township and must-visit deadlines."),
        tags=_tags(N_("report")),
        concurrency=1,
    ),
    DeploymentSpec(
        flow_name="monthly-coverage-snapshot",
        entrypoint="flows.reports.monthly_coverage_snapshot",
        crons=("0 7 1 * *",),
        title=N_("Monthly coverage snapshot"),
        what=N_("freeze last month's coverage per grid and publish the month-by-month trend."),
        tags=_tags(N_("report")),
        concurrency=1,
    ),
    DeploymentSpec(
        flow_name="outbox-retention",
        entrypoint="flows.outbox_retention.outbox_retention",
        crons=("30 3 * * *",),
        title=N_("Message text retention"),
        what=N_("blank the text of messages delivered longer ago than the retention period."),
        tags=_tags(N_("delivery")),
        concurrency=1,
        collision="CANCEL_NEW",
    ),
)


class ScheduleOverride(BaseModel):
    """One `[schedules.FLOW]` table of the playbook."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str | list[str] | None = Field(default=None, description="cron in the bureau's time zone")
    active: bool | None = Field(default=None, description="false keeps the deployment but stops its schedule")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | list[str] | None) -> str | list[str] | None:
        from prefect._internal.schemas.validators import validate_cron_string

        crons = [value] if isinstance(value, str) else value or []
        if value is not None and not crons:
            raise ValueError("give at least one cron, or `active = false` to stop the schedule")
        for cron in crons:
            validate_cron_string(cron)
        return value

    def crons(self) -> tuple[str, ...] | None:
        if self.cron is None:
            return None
        return (self.cron,) if isinstance(self.cron, str) else tuple(self.cron)


def read_overrides(path: Path | str) -> dict[str, ScheduleOverride]:
    """The `[schedules]` table of a playbook file, validated (PlaybookError names file and key)."""
    from yinhui.playbook_loader import _read  # the playbook's own reader: TOML or YAML, same errors

    table = _read(Path(path)).get("schedules", {})
    if not isinstance(table, dict):
        raise PlaybookError(path, "schedules", "must be a table of [schedules.FLOW] entries")
    known = {spec.flow_name for spec in DEFAULT_SPECS}
    overrides: dict[str, ScheduleOverride] = {}
    for name, entry in table.items():
        if name not in known:
            raise PlaybookError(path, f"schedules.{name}", f"no such scheduled flow; use one of {', '.join(sorted(known))}")
        if not isinstance(entry, dict):
            raise PlaybookError(path, f"schedules.{name}", "must be a table with `cron` and/or `active`")
        try:
            overrides[name] = ScheduleOverride.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in (f"schedules.{name}", *first["loc"]) if not str(p).startswith(("list[", "str")))
            reason = "unknown key (a typo?)" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
            raise PlaybookError(path, key, reason) from None
    return overrides


def playbook_path() -> Path:
    return Path(get_settings().playbook or DEFAULT_PLAYBOOK)


def deployment_specs(overrides: dict[str, ScheduleOverride] | None = None) -> list[DeploymentSpec]:
    """The deployments with the playbook's overrides applied (read from the configured playbook by default)."""
    if overrides is None:
        overrides = read_overrides(playbook_path())
    specs = []
    for spec in DEFAULT_SPECS:
        override = overrides.get(spec.flow_name)
        if override is not None:
            spec = replace(
                spec,
                crons=override.crons() or spec.crons,
                active=spec.active if override.active is None else override.active,
            )
        specs.append(spec)
    return specs


def timezone() -> str:
    return get_settings().timezone


def next_runs(spec: DeploymentSpec, *, after: Any, count: int = 3) -> list[Any]:
    """The next `count` run times of `spec` after `after`, as the Prefect server computes them."""
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule

    async def dates() -> list[Any]:
        found = []
        for cron in spec.crons:
            found += await CronSchedule(cron=cron, timezone=timezone()).get_dates(n=count, start=after)
        return sorted(found)[:count]

    return asyncio.run(dates())


def load_flow(entrypoint: str) -> Any:
    """`flows.daily_plan.daily_plan` -> the flow object."""
    module, _, name = entrypoint.rpartition(".")
    return getattr(importlib.import_module(module), name)
