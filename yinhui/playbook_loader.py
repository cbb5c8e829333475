"""Reading the bureau's playbook file (TOML or YAML) named by the settings; the rules themselves stay pure."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from yinhui.rules.playbook import Playbook, PlaybookError, parse_playbook
from yinhui.settings import get_settings

DEFAULT_PLAYBOOK = Path(__file__).parent / "rules" / "default_playbook.toml"


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


def load_playbook(path: Path | str | None = None) -> Playbook:
    """Read and validate a playbook; the shipped default when no path is given."""
    file = Path(path) if path else DEFAULT_PLAYBOOK
    return parse_playbook(_read(file), file)


@lru_cache(maxsize=8)
def _cached(path: str) -> Playbook:
    return load_playbook(path)


def current_playbook() -> Playbook:
    """The playbook named by the settings (YINHUI_PLAYBOOK), else the shipped default."""
    configured = get_settings().playbook
    return _cached(str(configured or DEFAULT_PLAYBOOK))

