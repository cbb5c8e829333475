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

from yinhui.settings import Settings, get_settings, use_settings

_open: list[Settings] = []


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
    _open.append(chosen)
    try:
        with use_settings(chosen):
            check()
            yield chosen
            check()
    finally:
        _open.pop()
        dispose_engines()
