"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when a URL is given) and Prefect."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

# The command line's own words are asserted in English (the catalogue's message ids); chats and
# reports keep the bureau's Chinese. Tests of the Chinese command line set it back themselves.
# In os.environ, not a fixture: commands run in child processes read it too.
os.environ.setdefault("YINHUI_CLI_LANGUAGE", "en")

PG_ENV = "YINHUI_TEST_DATABASE_URL"
PG_SKIP = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://yinhui:yinhui@127.0.0.1/yinhui_test)"


def _backends() -> list[object]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def database(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[str]:
    """An empty application database with every table; YINHUI_DATABASE_URL points at it.

    Tables come from the models (fast); tests/models/test_migrations.py proves that the Alembic
    migrations build the very same schema.
    """
    from sqlmodel import SQLModel

    import models  # noqa: F401  (registers every table)
    from models.db import dispose_engines, get_engine, make_engine
    from yinhui.settings import reset_settings

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'yinhui.sqlite3'}"
        schema = None
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(PG_SKIP)
        # One schema per test keeps tests independent without recreating the database.
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"
    monkeypatch.setenv("YINHUI_DATABASE_URL", url)
    monkeypatch.setenv("YINHUI_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    dispose_engines()
    SQLModel.metadata.create_all(get_engine())
    _stamp_head(get_engine())
    yield url
    dispose_engines()
    reset_settings()
    if schema:
        admin = make_engine(os.environ[PG_ENV])
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _stamp_head(engine) -> None:  # noqa: ANN001
    """Mark the schema as migrated, as `yinhui init` would, so the CLI accepts it."""
    from alembic import command

    from models.db import alembic_config

    command.stamp(alembic_config(engine), "head")


@pytest.fixture
def session(database: str):
    from models.db import session_scope

    with session_scope() as s:
        yield s


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole run (it takes seconds to start)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60), temporary_settings(
        {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        yield


@pytest.fixture
def frozen_day():
    """Move the clock: `with frozen_day(date): ...`."""
    from yinhui import clock

    return clock.frozen_at


def day(text_: str) -> dt.date:
    return dt.date.fromisoformat(text_)
