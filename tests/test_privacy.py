"""Masking personal numbers: what a reader of a message, a log line or an error may still see."""

from __future__ import annotations

import pytest

from yinhui.privacy import mask_id_number, mask_phone

ID_18 = "14262319380501001X"
ID_15 = "142623380501001"


@pytest.mark.parametrize("number", [ID_18, ID_15, "142623195003011234", " 14262319380501001X "])
def test_an_id_number_shows_at_most_its_first_6_and_last_2(number: str) -> None:
    masked = mask_id_number(number)
    text = number.strip()
    assert masked.startswith(text[:6]) and masked.endswith(text[-2:])
    assert set(masked[6:-2]) == {"*"}
    assert len(masked) == len(text)  # the length stays, so a 15-digit number still looks like one
    assert text[6:-2] not in masked


def test_the_shape_people_see() -> None:
    assert mask_id_number(ID_18) == "142623**********1X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("0359-7012345") == "035****2345"


@pytest.mark.parametrize("phone", ["13912345678", "139 1234 5678", "139-1234-5678", "0359-7012345", "(0359)70123456"])
def test_a_phone_shows_its_first_3_and_last_4_digits_only(phone: str) -> None:
    digits = "".join(ch for ch in phone if ch.isdigit())
    masked = mask_phone(phone)
    assert masked == digits[:3] + "****" + digits[-4:]
    assert digits[3:-4] not in masked


@pytest.mark.parametrize("value", ["", "1", "12345678", "14262319380501"])
def test_a_short_id_number_is_masked_whole(value: str) -> None:
    assert mask_id_number(value) == "****"


@pytest.mark.parametrize("value", ["", "110", "7012345", "0359-701234", "139123456"])
def test_a_short_phone_is_masked_whole(value: str) -> None:
    # 3 + 4 shown of a 7- to 10-digit number would give most or all of it away.
    assert mask_phone(value) == "****"


def test_no_digit_of_a_masked_value_is_invented() -> None:
    for masked in (mask_id_number(ID_18), mask_phone("13912345678")):
        assert all(ch == "*" or ch in ID_18 + "13912345678" for ch in masked)
