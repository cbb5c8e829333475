"""The bureau's playbook: a declarative, validated file of rules a bureau can edit without code."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_PLAYBOOK = Path(__file__).with_name("default_playbook.toml")

Category = Literal["lixiu", "tuixiu"]
ContactMode = Literal["call", "visit", "event"]
Outcome = Literal["reached", "unreachable", "visited", "declined"]


class PlaybookError(ValueError):
    """An invalid playbook, naming the file, the key and the reason."""

    def __init__(self, file: Path | str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Strict):
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


class Bureau(_Strict):
    # Time zone and language are settings (YINHUI_TIMEZONE, YINHUI_LANGUAGE), not rules.
    name: str = "县委老干部局"


class Digest(_Strict):
    horizon_days: int = Field(7, ge=0, le=92, description="list tasks due within this many days")
    max_items: int = Field(40, ge=1, le=500, description="tasks listed per digest; the rest counted")


class Priority(_Strict):
    """Who comes first in a coordinator's list: the smallest number that applies wins."""

    lixiu: int = 10
    aged: int = 20
    aged_from: int = Field(80, ge=50, le=120)
    lives_alone: int = 30
    hardship: int = 30
    default: int = 50


class Escalation(_Strict):
    after_days: list[int] = Field(default=[3, 7], min_length=1, max_length=2)
    lapse_after_days: int | None = Field(
        15, ge=1, description="days overdue after which an undone task is closed as missed"
    )

    @field_validator("after_days")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(d < 0 for d in value) or value != sorted(set(value)):
            raise ValueError("days overdue must be non-negative and strictly increasing")
        return value


class CadenceRule(_Strict):
    """A recurring contact: one task per cadre per period (一月一次电话、一季一次走访)."""

    rule: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    kind: Literal["call", "visit"]
    title: Title
    every: Literal["month", "quarter", "year"]
    opens_on_day: int = Field(1, ge=1, le=28, description="day of the period the window opens")
    due: Literal["period_end"] | int = Field(
        "period_end", description="'period_end', or days after the window opens"
    )
    categories: list[Category] = Field(default=["lixiu", "tuixiu"], min_length=1)
    satisfied_by: list[ContactMode] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)
    escalate_after_days: list[int] | None = None

    @field_validator("due")
    @classmethod
    def _positive_due(cls, value: str | int) -> str | int:
        if isinstance(value, int) and value < 0:
            raise ValueError("days after the window opens cannot be negative")
        return value


class Playbook(_Strict):
    bureau: Bureau = Bureau()
    digest: Digest = Digest()
    priority: Priority = Priority()
    escalation: Escalation = Escalation()
    outcome_contact: dict[Outcome, ContactMode | Literal["none"]] = Field(
        default={"reached": "call", "visited": "visit", "declined": "call", "unreachable": "none"},
        description="which contact an outcome records (what coverage counts)",
    )
    due_on_day_off: Literal["working_day_before", "keep"] = "working_day_before"
    cadence: list[CadenceRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_rules(self) -> Playbook:
        seen: set[str] = set()
        for rule in self.cadence:
            if rule.rule in seen:
                raise ValueError(f"rule {rule.rule!r} is declared twice")
            seen.add(rule.rule)
        return self

    def rule(self, name: str) -> CadenceRule:
        for rule in self.cadence:
            if rule.rule == name:
                return rule
        raise KeyError(name)

    def escalation_days(self, rule: str) -> list[int]:
        try:
            own = self.rule(rule).escalate_after_days
        except KeyError:
            own = None
        return own or self.escalation.after_days


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(path, "", f"cannot read the file ({exc.strerror})") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise PlaybookError(path, "", f"not valid YAML: {exc}") from exc
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PlaybookError(path, "", f"not valid TOML: {exc}") from exc
    if not isinstance(data, dict):
        raise PlaybookError(path, "", "the top level must be a table of settings")
    return data


def _key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


def parse_playbook(data: dict[str, Any], source: Path | str = "<playbook>") -> Playbook:
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # pydantic appends the literal/union branch to loc; the user wants the key they wrote.
        loc = tuple(
            p for p in first["loc"]
            if not (isinstance(p, str) and p.startswith(("literal[", "int", "[key]")))
        )
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown key (a typo?)"
        extra = len(exc.errors()) - 1
        if extra:
            reason += f" (and {extra} more problem{'s' if extra > 1 else ''})"
        raise PlaybookError(source, _key(loc), reason) from None


def load_playbook(path: Path | str | None = None) -> Playbook:
    """Read and validate a playbook; the shipped default when no path is given."""
    file = Path(path) if path else DEFAULT_PLAYBOOK
    return parse_playbook(_read(file), file)


@lru_cache(maxsize=8)
def _cached(path: str) -> Playbook:
    return load_playbook(path)


def current_playbook() -> Playbook:
    """The playbook named by the settings (YINHUI_PLAYBOOK), else the shipped default."""
    from yinhui.settings import get_settings

    configured = get_settings().playbook
    return _cached(str(configured or DEFAULT_PLAYBOOK))
