"""The engine, sessions and schema set-up (Alembic) for the one application database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from yinhui.settings import get_settings

_engines: dict[str, Engine] = {}
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


# How long a SQLite writer waits for another one to finish before giving up ("database is locked").
SQLITE_BUSY_MS = 30_000
# A session that only reads may say so (``session_scope(read_only=True)``): its transaction then
# begins deferred and does not wait for, or hold up, the one writer.
READ_ONLY = "yinhui_read_only"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling (legacy mode) begins a transaction only before an
    # INSERT/UPDATE/DELETE, so a SELECT that decides a change runs outside the transaction that
    # makes it: two answers to the same task both read "open" and both write. Take transaction
    # control away from it; `_sqlite_begin` emits the BEGIN (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the bot read while a flow writes; foreign keys are off in SQLite unless asked for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A 64 MB page cache (default 2 MB) keeps the task indexes in memory while a plan inserts
    # a million rows; without it the same plan spends most of its time re-reading index pages.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Every transaction takes SQLite's write lock when it begins (BEGIN IMMEDIATE).

    Writers then run one after the other, each reading what the one before committed: the loser
    of a race waits (up to the busy timeout) and then sees the task already done, instead of
    deciding on a stale read or failing with "database is locked" when it upgrades a read
    transaction to a write. WAL still lets readers read meanwhile.
    """
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
    elif parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        # psycopg 3 is what we install; a plain postgresql:// URL should just work.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().effective_database_url
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    return engine


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextlib.contextmanager
def session_scope(engine: Engine | None = None, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: committed if the block ends normally, rolled back on any error.

    On SQLite a unit of work holds the write lock from its first statement to its end, so a
    decision and the change it leads to cannot be split by another writer; ``read_only`` (for a
    block that never writes: a listing, a report) begins without the lock.
    """
    session = Session(engine or get_engine(), expire_on_commit=False)
    if read_only:
        session.connection(execution_options={READ_ONLY: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine | None = None) -> None:
    """Bring the schema to the newest migration (what `yinhui init` runs)."""
    from alembic import command

    engine = engine or get_engine()
    command.upgrade(alembic_config(engine), "head")
