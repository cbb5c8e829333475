"""How a SQLite unit of work begins: with the write lock (BEGIN IMMEDIATE), unless it says it only reads.

The lock taken at the start is what makes a decision and the change it leads to one step that no
other writer can split; a read-only unit of work (a listing, a report) neither waits for nor holds
up the writer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text

from models.db import get_engine, session_scope
from models.people import Coordinator
from tests import factories

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # SQLite's own transaction control


@pytest.fixture
def statements(database):
    seen: list[str] = []
    engine = get_engine()

    def record(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        seen.append(statement.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement.upper() else ""))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_unit_of_work_begins_with_the_write_lock_before_its_first_read(statements):
    with session_scope() as s:
        s.execute(select(func.count()).select_from(Coordinator)).scalar_one()
    assert statements[:2] == ["BEGIN IMMEDIATE", "SELECT"]


def test_a_read_only_unit_of_work_reads_while_a_writer_holds_the_lock(statements):
    with session_scope() as s:
        factories.coordinator(s, "李局长", "leader", ("老干部局",))
    with session_scope() as writer:
        factories.coordinator(writer, "王芳")  # written, not committed: the writer holds the lock
        with session_scope(read_only=True) as reader:  # would wait 30 s for the lock if it asked for it
            assert reader.execute(select(func.count()).select_from(Coordinator)).scalar_one() == 1
        assert "BEGIN" in statements  # the reader's deferred BEGIN
    with session_scope(read_only=True) as reader:
        assert reader.execute(select(func.count()).select_from(Coordinator)).scalar_one() == 2


def test_ddl_is_transactional_too(database):
    with pytest.raises(RuntimeError), session_scope() as s:
        s.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("changed my mind")
    with session_scope(read_only=True) as s:
        assert s.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'scratch'")).scalar_one() == 0
