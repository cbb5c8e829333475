"""Resident ID numbers (居民身份证号码, GB 11643-1999): parsing, checking and making them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from yinhui.roster.fields import FieldError, Gender, cell_text, current_date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
# Excel shows long numbers as 1.42623E+17 and drops digits past the 15th; when such text
# arrives the number is already lost, and the user must re-enter it as text.
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?E\+?\d+$", re.IGNORECASE)
_EARLIEST_BIRTH_YEAR = 1850
ORDER_CODES_PER_GENDER = 500  # order codes 000-999, odd for men and even for women


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A checked 18-character ID number and what it encodes."""

    value: str
    region: str
    birth_date: date
    gender: Gender

    def __str__(self) -> str:
        return self.value


def check_character(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _normalise(value: object) -> str:
    if isinstance(value, float):
        raise FieldError("id_as_number")
    text = "".join(cell_text(value).split()).upper()
    if _SCIENTIFIC.match(text):
        raise FieldError("id_as_number")
    return text


def _birth_date(text: str, today: date) -> date:
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise FieldError("id_birth_date") from None
    if born.year < _EARLIEST_BIRTH_YEAR or born > today:
        raise FieldError("id_birth_date")
    return born


def parse_id_number(value: object, *, today: date | None = None) -> IdNumber:
    """Check an ID number and decode it; raises FieldError (a ValueError) saying why not.

    A lower-case x is accepted and normalised to upper case; spaces are dropped.
    """
    text = _normalise(value)
    if not text:
        raise FieldError("required")
    if len(text) != 18:
        raise FieldError("id_length", length=len(text))
    if not _SHAPE.match(text):
        raise FieldError("id_chars")
    born = _birth_date(text, today or current_date())
    expected = check_character(text[:17])
    if text[17] != expected:
        raise FieldError("id_checksum", expected=expected)
    gender: Gender = "M" if int(text[16]) % 2 else "F"
    return IdNumber(value=text, region=text[:6], birth_date=born, gender=gender)


def make_id_number(region: str, birth: date, seq: int, gender: str) -> str:
    """A valid ID number for someone born on ``birth`` in ``region``.

    ``seq`` numbers the people of that gender registered there that day. Only 500 order
    codes exist per gender (the 17th digit's parity is the gender), so ``seq`` is taken
    modulo 500: numbers are distinct for any 500 consecutive values.
    """
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError("region must be 6 digits")
    if seq < 0:
        raise ValueError("seq must not be negative")
    if gender not in ("M", "F"):
        raise ValueError("gender must be 'M' or 'F'")
    order = (seq % ORDER_CODES_PER_GENDER) * 2 + (1 if gender == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + check_character(first17)
