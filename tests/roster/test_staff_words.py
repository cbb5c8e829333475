"""The staff sheet's words, extended in the playbook's [roster] section: headers and role words a bureau uses."""

from __future__ import annotations

import tomllib

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.people import Coordinator
from tests.roster.sheets import write_csv
from tests.yinhui.cli.test_core import run
from yinhui.playbook_loader import DEFAULT_PLAYBOOK
from yinhui.roster import RosterOptions, load_staff
from yinhui.roster.staff_words import STAFF_FIELDS, with_staff_words
from yinhui.roster.synonyms import DEFAULT_VOCABULARY, STAFF_HEADERS, VocabularyError
from yinhui.rules.playbook import PlaybookError, parse_playbook

# A county office's own staff sheet: its headers and role words are not in Yinhui's table.
OWN_SHEET = [["工作人员姓名", "职位", "包片区域", "手机"],
             ["李书记", "书记", "", "13900000001"],
             ["王片长", "片长", "城关镇", "13900000002"]]
OWN_WORDS = """
[roster.staff_column_synonyms]
name = ["工作人员姓名"]
role = ["职位"]
grids = ["包片区域"]

[roster.value_synonyms.role]
grid = ["片长"]
leader = ["书记"]
"""


def _with_words(words: str) -> str:
    """The shipped playbook with a bureau's staff words (its own empty table left out)."""
    return DEFAULT_PLAYBOOK.read_text(encoding="utf-8").replace("[roster.staff_column_synonyms]", "", 1) + words


def _playbook(tmp_path, words: str) -> str:
    path = tmp_path / "bureau.toml"
    path.write_text(_with_words(words), encoding="utf-8")
    return str(path)


def test_the_staff_fields_are_the_sheets():
    assert STAFF_FIELDS == tuple(STAFF_HEADERS)


def test_added_headers_are_read_and_a_contradiction_names_the_playbook_key(tmp_path):
    vocabulary = with_staff_words(DEFAULT_VOCABULARY, {"role": ["职位"], "name": ["工作人员姓名"], "grids": ["包片区域"]})
    assert "职位" in vocabulary.headers("staff")["role"]
    assert vocabulary.roster_headers == DEFAULT_VOCABULARY.roster_headers  # the cadres' roster is untouched
    assert with_staff_words(DEFAULT_VOCABULARY, {}) is DEFAULT_VOCABULARY

    path = write_csv(tmp_path / "staff.csv", [["工作人员姓名", "职位", "包片区域", "手机"], ["王片长", "网格员", "城关镇", ""]])
    check = load_staff(path, options=RosterOptions(vocabulary))
    assert check.errors == [] and [(r.name, r.role) for r in check.records] == [("王片长", "grid")]

    with pytest.raises(VocabularyError) as caught:
        with_staff_words(DEFAULT_VOCABULARY, {"role": ["电话"]})
    assert caught.value.key == "roster.staff_column_synonyms.role" and "'phone'" in caught.value.reason
    with pytest.raises(VocabularyError) as caught:
        with_staff_words(DEFAULT_VOCABULARY, {"title": ["职位"]})
    assert caught.value.key == "roster.staff_column_synonyms.title"


def test_the_playbook_section_takes_staff_headers_and_role_words():
    data = tomllib.loads(_with_words(OWN_WORDS))
    playbook = parse_playbook(data)
    assert playbook.roster.staff_column_synonyms == {"name": ["工作人员姓名"], "role": ["职位"], "grids": ["包片区域"]}
    assert playbook.roster.value_synonyms.role == {"grid": ["片长"], "leader": ["书记"]}
    data["roster"]["staff_column_synonyms"] = {"role": ["职位", "职位"]}
    with pytest.raises(PlaybookError, match="given twice"):
        parse_playbook(data, "bureau.toml")
    data["roster"]["staff_column_synonyms"] = {"title": ["职位"]}
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(data, "bureau.toml")
    assert caught.value.key == "roster.staff_column_synonyms.title"


def test_import_staff_reads_a_bureaus_own_sheet_with_its_playbook_words(database, tmp_path, capsys, monkeypatch):
    from yinhui.settings import reset_settings

    sheet = str(write_csv(tmp_path / "staff.csv", OWN_SHEET))
    code, _, err = run(capsys, "import-staff", sheet)  # Yinhui's own words only: refused, nothing written
    assert code == 1 and "missing required columns: 姓名, 角色" in err
    with session_scope() as s:
        assert s.execute(select(Coordinator)).first() is None

    monkeypatch.setenv("YINHUI_PLAYBOOK", _playbook(tmp_path, OWN_WORDS))
    reset_settings()
    code, out, err = run(capsys, "import-staff", sheet)
    assert code == 0, err
    assert "imported 2 new and 0 updated coordinator(s)" in out
    with session_scope() as s:
        assert {name: role for name, role in s.execute(select(Coordinator.name, Coordinator.role))} == {
            "李书记": "leader", "王片长": "grid"}


def test_a_contradicting_staff_word_is_one_line_naming_the_key(database, tmp_path, capsys, monkeypatch):
    from yinhui.settings import reset_settings

    monkeypatch.setenv("YINHUI_PLAYBOOK", _playbook(tmp_path, '\n[roster.staff_column_synonyms]\nrole = ["手机"]\n'))
    reset_settings()
    code, out, err = run(capsys, "import-staff", str(write_csv(tmp_path / "staff.csv", OWN_SHEET)))
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "roster.staff_column_synonyms.role" in err
