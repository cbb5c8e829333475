"""The playbook's [roster] section: validated like the rest of the playbook, in step with the reader."""

import tomllib
import typing

import pytest

from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
from yinhui.roster import ROSTER_COLUMNS, RosterLimits
from yinhui.roster.columns import RELATIVE_COLUMNS
from yinhui.roster.synonyms import VALUE_WORDS
from yinhui.rules.playbook import PlaybookError, parse_playbook
from yinhui.rules.playbook_roster import RosterField, RosterFileLimits, RosterValueWords


def with_roster(section: dict) -> dict:
    data = tomllib.loads(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))
    data["roster"] = section
    return data


def test_the_shipped_playbook_adds_no_words_and_keeps_the_default_limits():
    roster = load_playbook().roster
    assert roster.column_synonyms == {} and roster.ignore_columns == []
    assert RosterLimits.merged(roster.limits.model_dump()) == RosterLimits()


def test_the_section_names_the_readers_fields_values_and_limits():
    assert set(typing.get_args(RosterField)) == {c.field for c in (*ROSTER_COLUMNS, *RELATIVE_COLUMNS)}
    for kind, field in RosterValueWords.model_fields.items():
        (key_type, _), = [typing.get_args(field.annotation)]  # dict[Literal[...], list[Word]]
        assert set(typing.get_args(key_type)) == set(VALUE_WORDS[kind]), kind
    assert set(RosterFileLimits.model_fields) == set(RosterLimits.__dataclass_fields__)


@pytest.mark.parametrize(
    "section, key, reason",
    [
        ({"column_synonyms": {"idnumber": ["证件号"]}}, "roster.column_synonyms.idnumber", "Input should be"),
        ({"column_synonyms": {"id_number": ["证件号", "证件号"]}}, "roster", "'证件号' is given twice"),
        ({"column_synonyms": {"id_number": [" "]}}, "roster.column_synonyms.id_number[0]", "pattern"),
        ({"value_synonyms": {"status": {"alive": ["在编"]}}}, "roster.value_synonyms.status.alive", ""),
        ({"value_synonyms": {"colour": {"red": ["红"]}}}, "roster.value_synonyms.colour", "unknown key"),
        ({"limits": {"max_rows": 0}}, "roster.limits.max_rows", "greater than or equal to 1"),
        ({"limits": {"max_cell_chars": 100_000}}, "roster.limits.max_cell_chars", "less than or equal"),
        ({"limit": {}}, "roster.limit", "unknown key (a typo?)"),
    ],
)
def test_a_bad_section_is_refused_naming_the_key(section, key, reason):
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(with_roster(section), "bureau.toml")
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert str(caught.value).startswith("bureau.toml: ")


def test_a_good_section_is_taken():
    playbook = parse_playbook(with_roster({
        "column_synonyms": {"id_number": ["证件号"]},
        "value_synonyms": {"status": {"active": ["在编"]}, "flag": {"yes": ["Yes!"]}},
        "ignore_columns": ["联系人"],
        "limits": {"max_errors": 50},
    }))  # fmt: skip
    assert playbook.roster.value_synonyms.status == {"active": ["在编"]}
    assert RosterLimits.merged(playbook.roster.limits.model_dump()).max_errors == 50
