"""Text that must not get in, and text that must not get out live: invisible characters, formulas.

On the way in (the roster reader), a cell holding a control or format character (Unicode Cc, Cf:
NUL, an ANSI escape, a right-to-left override, a zero-width space) is refused, because such a
name prints one way and compares another; line breaks and tabs are ordinary whitespace. A text
cell starting with = + - @ is refused too: a spreadsheet that opens an export of it would run
it as a formula (CSV injection). On the way out, every export writes cells through
``escape_for_spreadsheet``, so a value that slipped in another way is still shown as text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

# Line breaks (Alt+Enter in an Excel cell), tabs and the like: whitespace, folded to one space.
_ORDINARY_WHITESPACE = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf"})
# The characters a spreadsheet reads as the start of a formula (OWASP: CSV injection).
FORMULA_STARTS = frozenset("=+-@")
_EXPORT_STARTS = FORMULA_STARTS | frozenset("\t\r\n|%")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class UnsafeCharacter:
    """An invisible character found in a cell: where (1-based) and which."""

    position: int
    character: str

    @property
    def code(self) -> str:
        return f"U+{ord(self.character):04X}"

    @property
    def name(self) -> str:
        return unicodedata.name(self.character, "control character")


def is_unsafe(character: str) -> bool:
    return (
        unicodedata.category(character) in _UNSAFE_CATEGORIES
        and character not in _ORDINARY_WHITESPACE
    )


def find_unsafe(text: str) -> UnsafeCharacter | None:
    """The first control or format character in ``text`` that is not ordinary whitespace."""
    if text.isprintable():  # fast path: no Cc/Cf/Z* other than the plain space
        return None
    for index, character in enumerate(text):
        if is_unsafe(character):
            return UnsafeCharacter(index + 1, character)
    return None


def show_safely(text: str) -> str:
    """``text`` with every unsafe character written as ⟨U+202E⟩, for a message or a log line."""
    if text.isprintable():
        return text
    return "".join(f"⟨U+{ord(c):04X}⟩" if is_unsafe(c) or c in _ORDINARY_WHITESPACE else c for c in text)


def starts_like_formula(text: str) -> bool:
    """Whether a text cell would be run as a formula by a spreadsheet opening it."""
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def escape_for_spreadsheet(value: object) -> object:
    """A cell value safe to write to a .csv or .xlsx export: formula-like text is quoted.

    Text starting (after spaces) with = + - @, a tab, a line break, | or % gets a leading
    apostrophe, which spreadsheets show as text and do not evaluate; numbers, dates and None
    pass unchanged, as does text that is just a number ("-5"), which no spreadsheet runs.
    """
    if not isinstance(value, str):
        return value
    head = unicodedata.normalize("NFKC", value.lstrip(" \u3000")[:1])
    if not head or head not in _EXPORT_STARTS:
        return value
    if _PLAIN_NUMBER.match(value.strip()):
        return value
    return "'" + value


def escape_row(values: list[object] | tuple[object, ...]) -> list[object]:
    """Every cell of an export row through ``escape_for_spreadsheet``."""
    return [escape_for_spreadsheet(v) for v in values]


def is_number(value: object) -> bool:
    """A cell Excel stored as a number (not text): int, float or Decimal, not a bool."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
