"""Every scheduled flow as a deployment spec: cron in Beijing time (Asia/Shanghai), overridable from the playbook.

A bureau changes a time in its playbook, not in code:

    [schedules.daily-plan]
    cron = "0 6 * * *"          # or a list of crons
    [schedules.escalation-sweep]
    active = false              # keep the deployment, stop its schedule

The time zone is the `YINHUI_TIMEZONE` setting (Asia/Shanghai unless changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flows.texts import bilingual, chinese
from yinhui.i18n import N_
from yinhui.playbook_loader import DEFAULT_PLAYBOOK
from yinhui.rules.playbook import PlaybookError
from yinhui.settings import get_settings

DEPLOYMENT_NAME = "yinhui"  # every flow has one deployment: `daily-plan/yinhui`, `weekly-report/yinhui`, ...


@dataclass(frozen=True)
class DeploymentSpec:
    """What a deployment is: which flow, when, with what limits and labels."""

    flow_name: str
    entrypoint: str  # module path of the flow object, importable wherever Yinhui is installed
    crons: tuple[str, ...]
    description: str
    tags: tuple[str, ...]
    concurrency: int | None = None
    collision: str = "ENQUEUE"  # or CANCEL_NEW: a run that would overlap is dropped
    active: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{DEPLOYMENT_NAME}"


def _tags(kind: str) -> tuple[str, ...]:
    """A deployment's labels in the UI: Yinhui, then what it does, in English and in Chinese."""
    return ("yinhui", kind, chinese(kind))


DEFAULT_SPECS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        flow_name="daily-plan",
        entrypoint="flows.daily_plan.daily_plan",
        crons=("30 6 * * *",),
        description=bilingual(N_("06:30 daily: plan, digests, delivery.")),
        tags=_tags(N_("planning")),
        concurrency=1,
    ),
    DeploymentSpec(
        flow_name="dispatch-outbox",
        entrypoint="flows.dispatch_outbox.dispatch_outbox",
        crons=("*/5 * * * *",),
        description=bilingual(N_("every 5 minutes: deliver the outbox.")),
        tags=_tags(N_("delivery")),
        concurrency=1,
        collision="CANCEL_NEW",  # a dispatch still running covers the next one
    ),
    DeploymentSpec(
        flow_name="escalation-sweep",
        entrypoint="flows.escalation_sweep.escalation_sweep",
        crons=("0 10 * * *", "0 15 * * *"),
        description=bilingual(N_("10:00 and 15:00 on working days: overdue and escalation.")),
        tags=_tags(N_("escalation")),
        concurrency=1,
        collision="CANCEL_NEW",
    ),
    DeploymentSpec(
        flow_name="weekly-report",
        entrypoint="flows.reports.weekly_report",
        crons=("0 8 * * 1",),
        description=bilingual(N_("Monday 08:00: last week's report.")),
        tags=_tags(N_("report")),
        concurrency=1,
    ),
    DeploymentSpec(
        flow_name="monthly-coverage-snapshot",
        entrypoint="flows.reports.monthly_coverage_snapshot",
        crons=("0 7 1 * *",),
        description=bilingual(N_("07:00 on the 1st: freeze last month's coverage, publish the trend.")),
        tags=_tags(N_("report")),
        concurrency=1,
    ),
    DeploymentSpec(
        flow_name="outbox-retention",
        entrypoint="flows.outbox_retention.outbox_retention",
        crons=("30 3 * * *",),
        description=bilingual(N_("03:30 daily: blank the text of messages delivered longer ago than the retention period.")),
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
