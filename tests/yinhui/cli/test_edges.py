"""Numbers and months the database cannot hold are refused at the command line, in one line."""

from __future__ import annotations

import pytest

from tests.yinhui.cli.test_core import run
from yinhui.cli import main


def _usage_error(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unexpected" not in err
    return err


@pytest.mark.parametrize("args", [
    ("complete", "99999999999999999999", "--outcome", "reached"),
    ("complete", "0", "--outcome", "reached"),
    ("reschedule", "9223372036854775808", "--to", "2026-11-20"),
    ("complete", "2147483648", "--outcome", "reached"),  # beyond PostgreSQL's INTEGER
    ("event", "show", "99999999999999999999"),
    ("leave", "remove", "-1"),
    ("tasks", "--limit", "99999999999999999999"),
])
def test_a_number_no_record_can_have_is_a_usage_error(capsys, args):
    _usage_error(capsys, *args)


@pytest.mark.parametrize("month", ["9999-12", "1999-12", "2101-01", "0001-01"])
def test_a_month_outside_2000_2100_is_a_usage_error(capsys, month):
    assert "2000-01..2100-12" in _usage_error(capsys, "report", "coverage", "--month", month)


def test_the_largest_id_is_looked_up_and_not_found(database, capsys):
    code, _, err = run(capsys, "complete", "2147483647", "--outcome", "reached")
    assert code == 1 and "2147483647" in err and "unexpected" not in err


def test_coverage_of_an_empty_database_is_one_line(database, capsys):
    code, _, err = run(capsys, "report", "coverage", "--month", "2026-11")
    assert code == 1 and "import a roster" in err
    code, out, _ = run(capsys, "report", "coverage", "--month", "2100-12", "--format", "json")
    assert code == 0 and '"month": "2100-12"' in out
