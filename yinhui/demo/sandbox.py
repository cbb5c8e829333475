"""The demo plays in its own SQLite file, whatever database the operator has configured.

Its settings are the operator's (language, time zone, playbook) with the demo's data directory
and database, built with pydantic-settings' constructor arguments and put in force for the
demo's run in this process only: the environment is never written, so nothing the demo does
leaks into the shell, a test or a child process. Everything in Yinhui reads settings through
`get_settings()`; while the sandbox is open that returns the demo's, and `check()` proves it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from yinhui import settings as settings_module
from yinhui.settings import Settings, get_settings, reset_settings

_open: list[Settings] = []


def _put_in_force(chosen: Settings) -> None:
    """Make `get_settings()` return `chosen` until the next reset_settings().

    get_settings() caches the one Settings() it builds; building it once from `chosen` fills the
    cache with it. (When yinhui.settings offers a way to put settings in force, use that here.)
    """
    reset_settings()
    real = settings_module.Settings
    setattr(settings_module, "Settings", lambda: chosen)  # noqa: B010 - the name get_settings() calls
    try:
        get_settings()
    finally:
        setattr(settings_module, "Settings", real)  # noqa: B010


def check() -> None:
    """Refuse to go on if the demo's settings are no longer in force (someone reset them)."""
    if _open and get_settings() is not _open[-1]:
        raise RuntimeError("the demo's settings were replaced while it ran; stopped before it wrote elsewhere")


@contextlib.contextmanager
def demo_database(data_dir: Path) -> Iterator[Settings]:
    """Within the block, the application database is a fresh SQLite file in `data_dir`."""
    from models.db import dispose_engines

    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "yinhui.sqlite3"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    chosen = Settings(data_dir=data_dir, database_url=f"sqlite:///{database.resolve()}")
    dispose_engines()
    _put_in_force(chosen)
    _open.append(chosen)
    try:
        check()
        yield chosen
        check()
    finally:
        _open.pop()
        dispose_engines()
        reset_settings()
