"""After `yinhui demo`: the address of the task page to open, and how the demo's people get a code."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # the demo lives in its own SQLite file
def test_the_demo_ends_with_the_task_page_and_the_invite_commands(database, tmp_path, capsys):
    from models.db import session_scope
    from yinhui.cli.demo import print_task_page

    with session_scope() as s:
        people = factories.small_county(s)
        leader, village = people["leader"].name, people["town"].name  # type: ignore[attr-defined]
    print_task_page(tmp_path)  # the fixture's SQLite file is where a demo in tmp_path keeps its own
    out = capsys.readouterr().out
    assert f"Open the task page: YINHUI_DATA_DIR={tmp_path} yinhui web, then http://127.0.0.1:8080/" in out
    assert f"YINHUI_DATA_DIR={tmp_path} yinhui coordinator invite {village}" in out
    assert f"The county overview (全县概况) is the leader's: YINHUI_DATA_DIR={tmp_path} yinhui coordinator invite {leader}" in out
