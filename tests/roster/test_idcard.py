from datetime import date

import pytest

from yinhui.roster import FieldError, IdNumber, check_character, make_id_number, parse_id_number

# The worked example of GB 11643-1999 itself: a woman born 1949-12-31 in 北京市朝阳区.
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_decodes():
    card = parse_id_number(STANDARD_EXAMPLE)
    assert card == IdNumber(STANDARD_EXAMPLE, "110105", date(1949, 12, 31), "F")


def test_lower_case_x_and_spaces_are_normalised():
    assert parse_id_number(" 110105 19491231 002x ").value == STANDARD_EXAMPLE


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(ValueError) as caught:
        parse_id_number(STANDARD_EXAMPLE[:-1] + "1")
    assert caught.value.code == "id_checksum"
    assert caught.value.params == {"expected": "X"}
    assert "X" in str(caught.value)


@pytest.mark.parametrize(
    "text, length", [(STANDARD_EXAMPLE[:17], 17), (STANDARD_EXAMPLE + "1", 19)]
)
def test_wrong_length(text, length):
    with pytest.raises(FieldError) as caught:
        parse_id_number(text)
    assert (caught.value.code, caught.value.params) == ("id_length", {"length": length})


@pytest.mark.parametrize("text", ["11010519491231A02X", "1101051949123100X2", "11010519491231002Y"])
def test_characters_other_than_digits_and_final_x(text):
    with pytest.raises(FieldError) as caught:
        parse_id_number(text)
    assert caught.value.code == "id_chars"


def test_impossible_birth_date_is_reported_before_the_checksum():
    # A correct check character over an impossible date (30 February).
    first17 = "14082319380230001"
    with pytest.raises(FieldError) as caught:
        parse_id_number(first17 + check_character(first17))
    assert caught.value.code == "id_birth_date"


def test_birth_date_after_today_is_impossible():
    number = make_id_number("140823", date(2030, 1, 1), 1, "F")
    with pytest.raises(FieldError) as caught:
        parse_id_number(number, today=date(2026, 1, 1))
    assert caught.value.code == "id_birth_date"


@pytest.mark.parametrize("value", [1.10105194912310e17, "1.10105E+17", "1.10105e17"])
def test_number_mangled_by_excel_is_explained(value):
    with pytest.raises(FieldError) as caught:
        parse_id_number(value)
    assert caught.value.code == "id_as_number"


def test_empty_is_required():
    with pytest.raises(FieldError) as caught:
        parse_id_number("  ")
    assert caught.value.code == "required"


@pytest.mark.parametrize("gender", ["M", "F"])
@pytest.mark.parametrize("seq", [0, 1, 250, 499])
def test_made_numbers_parse_back(gender, seq):
    born = date(1931, 7, 1)
    card = parse_id_number(make_id_number("140823", born, seq, gender))
    assert (card.region, card.birth_date, card.gender) == ("140823", born, gender)


def test_made_numbers_differ_by_sequence_and_wrap_after_500():
    born = date(1955, 3, 3)
    numbers = [make_id_number("140823", born, seq, "M") for seq in range(1000)]
    assert len(set(numbers[:500])) == 500
    assert numbers[500:] == numbers[:500]


@pytest.mark.parametrize(
    "region, seq, gender",
    [("14082", 1, "M"), ("14082A", 1, "M"), ("140823", -1, "F"),
     ("140823", 1, "X")],
)  # fmt: skip
def test_make_rejects_bad_input(region, seq, gender):
    with pytest.raises(ValueError):
        make_id_number(region, date(1950, 1, 1), seq, gender)
