"""Settings in one place: every YINHUI_* variable the code names is a Settings field, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from yinhui.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# The application, and the benchmarks that drive it. Tests and CI scripts are not scanned: their
# harness variables (YINHUI_TEST_*) configure the suite, not the application.
SOURCES = ("models", "yinhui", "flows", "notifiers", "deployments", "benchmarks")
SUFFIXES = {".py", ".toml", ".yaml", ".yml", ".cfg", ".ini"}
# A benchmark's own knobs, read by the benchmark alone; never by the application.
HARNESS_PREFIXES = {"benchmarks": ("YINHUI_BENCH_",)}
NAME = re.compile(r"\bYINHUI_[A-Z][A-Z0-9_]*\b")
README_ROW = re.compile(r"^\|\s*`(YINHUI_[A-Z0-9_]+)`\s*\|")


def _env_names() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    return {prefix + name.upper() for name in Settings.model_fields}


def _named_in_source() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file() or ".venv" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for name in NAME.findall(line):
                    if name.startswith(HARNESS_PREFIXES.get(top, ())):
                        continue
                    found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def _readme_settings_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Settings", 1)[1].split("\n#", 1)[0]
    return [match.group(1) for line in section.splitlines() if (match := README_ROW.match(line))]


def test_every_variable_the_code_names_is_a_setting() -> None:
    fields = _env_names()
    unknown = {name: places for name, places in _named_in_source().items() if name not in fields}
    assert not unknown, f"not fields of yinhui.settings.Settings (add them there, read them from there): {unknown}"


def test_the_scan_sees_the_settings_the_code_reads() -> None:
    # Guard against a scan that finds nothing (a moved tree) and so passes for the wrong reason.
    named = _named_in_source()
    assert {"YINHUI_DATABASE_URL", "YINHUI_TELEGRAM_TOKEN", "YINHUI_PLAYBOOK"} <= set(named)


def test_every_setting_is_documented_in_the_readme_table() -> None:
    rows = _readme_settings_rows()
    missing = sorted(_env_names() - set(rows))
    assert not missing, f"README.md's Settings table lacks rows for {missing}"
    stale = sorted(set(rows) - _env_names())
    assert not stale, f"README.md's Settings table documents variables that are no settings: {stale}"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINHUI_TELEGRAM_TOKEN_BLOCK", "bureau-bot")
    monkeypatch.setenv("YINHUI_TELEGRAM_WEBHOOK_SECRET", "s3cret_-Token")
    settings = Settings(_env_file=None)
    assert settings.telegram_token_block == "bureau-bot"
    assert settings.telegram_webhook_secret == "s3cret_-Token"


def test_defaults_work_without_any_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _env_names():
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.telegram_token_block == "yinhui-telegram-token"
    assert settings.telegram_webhook_secret is None and settings.telegram_token is None
    assert settings.effective_database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("YINHUI_TELEGRAM_TOKEN", "changeme", "placeholder"),
        ("YINHUI_TELEGRAM_WEBHOOK_SECRET", "has spaces in it", "A-Z, a-z, 0-9"),
        ("YINHUI_TIMEZONE", "Asia/Shanghia", "unknown time zone"),
        ("YINHUI_LANGUAGE", "fr", "zh"),
    ],
)
def test_a_bad_value_is_refused_saying_why(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=re.escape(says)):
        Settings(_env_file=None)


def test_an_empty_webhook_secret_means_a_random_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINHUI_TELEGRAM_WEBHOOK_SECRET", "")
    assert Settings(_env_file=None).telegram_webhook_secret is None
