"""Parsers for single roster cells (dates, phones, categories, flags...) raising FieldError."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from yinhui import clock
from yinhui.roster.messages import Lang, render
from yinhui.roster.synonyms import DEFAULT_VOCABULARY, VALUE_WORDS, Vocabulary

Gender = Literal["M", "F"]
Category = Literal["lixiu", "tuixiu"]
Status = Literal["active", "deceased", "moved"]
Role = Literal["staff", "grid", "leader"]

# The words written into a Chinese roster for each canonical value (used by writers too).
GENDER_ZH: dict[str, str] = {v: words[0] for v, words in VALUE_WORDS["gender"].items()}
CATEGORY_ZH: dict[str, str] = {v: words[0] for v, words in VALUE_WORDS["category"].items()}
STATUS_ZH: dict[str, str] = {v: words[0] for v, words in VALUE_WORDS["status"].items()}
ROLE_ZH: dict[str, str] = {v: words[0] for v, words in VALUE_WORDS["role"].items()}
FLAG_ZH: dict[bool, str] = {True: VALUE_WORDS["flag"]["yes"][0], False: VALUE_WORDS["flag"]["no"][0]}

EARLIEST_DATE = date(1900, 1, 1)


class FieldError(ValueError):
    """A cell value that cannot be accepted; ``code`` names a template in messages.py."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: Lang = "zh") -> str:
        return render(self.code, self.params, lang)

    def __str__(self) -> str:
        return self.message("en")


# -- text helpers -----------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as trimmed text: full-width forms folded (NFKC), whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel stores every number as a float; a phone typed as a number comes back 1.39e10.
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_blank(value: object) -> bool:
    return cell_text(value) == ""


# -- dates ------------------------------------------------------------------------------

_SEPARATED = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_TEXT = re.compile(r"^\d{1,5}(?:\.\d+)?$")
# A midnight time left behind when a date cell was exported as text ("1938-05-01 00:00:00").
_TRAILING_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
# Excel's 1900 date system counts the non-existent 1900-02-29 as serial 60 (a Lotus 1-2-3
# bug kept for compatibility), so serials from 61 on are one day "ahead" of a plain count.
_EXCEL_EPOCH_BEFORE_LEAP_BUG = date(1899, 12, 31)
_EXCEL_EPOCH_AFTER_LEAP_BUG = date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY = 60
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def current_date() -> date:
    """Today in the bureau's time zone, from the project's one clock (tests can freeze it);
    callers may also pass ``today=`` to the parsers."""
    return clock.today()


def excel_serial_to_date(serial: float) -> date:
    """Convert a serial of Excel's 1900 date system (1 = 1900-01-01) to a date."""
    if isinstance(serial, float) and not math.isfinite(serial):
        raise FieldError("date_serial", value=str(serial))
    whole = int(serial)  # a fractional part is a time of day
    if whole < 1 or whole == _EXCEL_FAKE_LEAP_DAY or whole > _EXCEL_MAX_SERIAL:
        raise FieldError("date_serial", value=str(whole))
    if whole < _EXCEL_FAKE_LEAP_DAY:
        return _EXCEL_EPOCH_BEFORE_LEAP_BUG + timedelta(days=whole)
    return _EXCEL_EPOCH_AFTER_LEAP_BUG + timedelta(days=whole)


def _date_from_parts(year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise FieldError(
            "date_impossible", year=int(year), month=int(month), day=int(day)
        ) from None


def _date_from_text(text: str) -> date:
    text = _TRAILING_TIME.sub("", text).strip()
    if _SERIAL_TEXT.match(text):
        return excel_serial_to_date(float(text))
    for pattern in (_SEPARATED, _CHINESE, _COMPACT):
        match = pattern.match(text)
        if match:
            groups = [g for g in match.groups() if g not in {"-", "/", "."}]
            return _date_from_parts(*groups)
    raise FieldError("date_format", value=text)


def parse_date(value: object, *, today: date | None = None) -> date:
    """A date from a cell: date objects, Excel serials or the text forms a bureau writes."""
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, bool):
        raise FieldError("date_format", value=str(value))
    elif isinstance(value, int | float):
        result = excel_serial_to_date(value)
    else:
        text = cell_text(value)
        if not text:
            raise FieldError("required")
        result = _date_from_text(text)
    latest = today or current_date()
    if not EARLIEST_DATE <= result <= latest:
        raise FieldError("date_range", value=result, today=latest)
    return result


@dataclass(frozen=True, slots=True)
class BirthMonth:
    """A birth date written to the month only, as a 出生年月 column holds it (1938.05, 1938年5月)."""

    year: int
    month: int


_MONTH_TEXT = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_MONTH_COMPACT = re.compile(r"^(\d{4})(\d{2})$")


def _birth_month(year: int, month: int, latest: date) -> BirthMonth:
    if not 1 <= month <= 12:
        raise FieldError("date_format", value=f"{year}.{month}")
    if not EARLIEST_DATE.year <= year <= latest.year:
        raise FieldError("date_range", value=date(year, month, 1), today=latest)
    return BirthMonth(year, month)


def parse_birth(value: object, *, today: date | None = None) -> date | BirthMonth:
    """A birth date as rosters write it: any form ``parse_date`` reads, or a year and month.

    A number cell such as 1938.05 (typed into a 出生年月 column, so Excel kept it as a number)
    is a year and month; an Excel serial (14001) stays a date.
    """
    latest = today or current_date()
    if isinstance(value, float) and not value.is_integer() and 1850 <= value < latest.year + 1:
        return _birth_month(int(value), round((value - int(value)) * 100), latest)
    if isinstance(value, str):
        text = cell_text(value)
        match = _MONTH_TEXT.match(text) or _MONTH_COMPACT.match(text)
        if match:
            return _birth_month(int(match.group(1)), int(match.group(2)), latest)
    return parse_date(value, today=latest)


# -- phones -----------------------------------------------------------------------------

# Separators between numbers; whitespace is handled separately because it may also sit
# inside one number ("139 1234 5678").
_PHONE_SEPARATORS = re.compile(r"[;,、/]")
_EXTENSION_MARK = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*", re.IGNORECASE)
_INSIDE_NUMBER = re.compile(r"[\s\-()]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_SPLIT = re.compile(r"^(?P<main>.*?)(?:转(?P<ext>\d{1,6}))?$")


def _strip_country_code(compact: str) -> str:
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            return compact[len(prefix) :]
    if len(compact) == 13 and compact.startswith("861"):
        return compact[2:]
    return compact


def _landline_parts(main: str) -> tuple[str, str] | None:
    """Split the digits of a landline into (area, local) or None if they do not fit.

    The area code is decided by the numbering plan, not by where the writer put the
    separator: Beijing (010) and the 02x cities have 3-digit codes, all others 4 digits.
    """
    digits = _INSIDE_NUMBER.sub("", main)
    if not digits.isdigit() or not digits.startswith("0"):
        return None
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if len(area) != area_len or not 7 <= len(local) <= 8 or local[0] in "01":
        return None
    return area, local


def _parse_landline(text: str, piece: str) -> str:
    split = _LANDLINE_SPLIT.match(text)
    assert split is not None  # the pattern matches any string
    main, ext = split.group("main"), split.group("ext")
    parts = _landline_parts(main)
    if parts is None and ext is None and "-" in main.strip("-"):
        # "0359-7012345-801": the last dash group may be an extension.
        head, _, tail = main.rpartition("-")
        if tail.strip().isdigit() and len(tail.strip()) <= 6:
            parts, ext = _landline_parts(head), tail.strip()
    if parts is None:
        raise FieldError("phone_landline", piece=piece)
    area, local = parts
    return f"{area}-{local}-{ext}" if ext else f"{area}-{local}"


def parse_phone(value: object) -> str:
    """One phone number, normalised: 11-digit mobile or 'AREA-LOCAL[-EXT]' landline."""
    piece = cell_text(value)
    text = _EXTENSION_MARK.sub("转", piece)
    compact = _strip_country_code(_INSIDE_NUMBER.sub("", text))
    if not compact:
        raise FieldError("phone_invalid", piece=piece)
    if compact.isdigit() and compact.startswith("1"):
        if _MOBILE.match(compact):
            return compact
        raise FieldError("phone_mobile", piece=piece)
    if compact.startswith("0"):
        return _parse_landline(text, piece)
    if compact.isdigit() and 7 <= len(compact) <= 8:
        raise FieldError("phone_no_area_code", piece=piece)
    raise FieldError("phone_invalid", piece=piece)


def _phones_in_piece(piece: str) -> list[str]:
    """Numbers in a piece that may hold several numbers separated only by spaces.

    Tokens are joined until they form a valid number (shortest match first), so both
    "139 1234 5678" and "13912345678 0359-7012345" come out right.
    """
    tokens = _EXTENSION_MARK.sub("转", piece).split()
    numbers: list[str] = []
    pending: list[str] = []
    for token in tokens:
        pending.append(token)
        try:
            numbers.append(parse_phone(" ".join(pending)))
        except FieldError:
            continue
        pending = []
    if pending:
        # Report the leftover alone unless nothing parsed: then the whole piece is at fault.
        parse_phone(" ".join(pending) if numbers else piece)
    return numbers


def parse_phones(value: object) -> tuple[str, ...]:
    """All phone numbers in a cell, normalised; empty cell gives ()."""
    text = cell_text(value)
    numbers: list[str] = []
    for piece in _PHONE_SEPARATORS.split(text):
        if piece.strip():
            numbers.extend(_phones_in_piece(piece.strip()))
    return tuple(numbers)


# -- enumerations -----------------------------------------------------------------------
# The words live in yinhui.roster.synonyms (one table a bureau extends); these look them up.


def _lookup(value: object, vocabulary: Vocabulary, kind: str, code: str) -> str:
    if is_blank(value):
        raise FieldError("required")
    found = vocabulary.value(kind, value)
    if found is None:
        raise FieldError(code, value=cell_text(value), accepted=vocabulary.accepted(kind))
    return found


def parse_category(value: object, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Category:
    """离休/离休干部 → 'lixiu', 退休/退休干部 → 'tuixiu' (and the other words of the table)."""
    return _lookup(value, vocabulary, "category", "category_invalid")  # type: ignore[return-value]


def parse_gender(value: object, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Gender:
    """男/女/M/F/male/female → 'M' or 'F'."""
    return _lookup(value, vocabulary, "gender", "gender_invalid")  # type: ignore[return-value]


def parse_flag(value: object, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> bool:
    """A yes/no cell (是/否, Y/N, √/×, 1/0...); an empty cell means no."""
    if isinstance(value, bool):
        return value
    if is_blank(value):
        return False
    found = vocabulary.value("flag", value)
    if found is None:
        raise FieldError("flag_invalid", value=cell_text(value), accepted=vocabulary.accepted("flag"))
    return found == "yes"


def parse_status(value: object, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Status:
    """正常/在册/去世/迁出 ... and English; an empty cell means active."""
    if is_blank(value):
        return "active"
    return _lookup(value, vocabulary, "status", "status_invalid")  # type: ignore[return-value]


def parse_relation(value: object, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> str:
    """A relative's relation to the cadre (与本人关系): 老伴 → '配偶', 长子 → '儿子', 孙女 → '孙子女'.

    A refusal lists the relations themselves (配偶, 子女 ...), not every word each may be written as.
    """
    if is_blank(value):
        raise FieldError("required")
    found = vocabulary.value("relation", value)
    if found is None:
        raise FieldError("relation_invalid", value=cell_text(value), accepted=tuple(vocabulary.values["relation"]))
    return found


def parse_role(value: object, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Role:
    """Staff-sheet role: 工作人员 → 'staff', 网格员/网格长 → 'grid', 领导/局长 → 'leader'."""
    return _lookup(value, vocabulary, "role", "role_invalid")  # type: ignore[return-value]


# -- grid references (staff sheet) -------------------------------------------------------

_GRID_SEPARATORS = re.compile(r"[;,、]")


@dataclass(frozen=True, slots=True)
class GridRef:
    """A grid named on the staff sheet: a level-2 grid, or a level-3 grid inside it."""

    level2: str
    level3: str | None = None

    def __str__(self) -> str:
        return f"{self.level2}/{self.level3}" if self.level3 else self.level2


def parse_grid_ref(value: object) -> GridRef:
    """'城关镇' (level 2) or '城关镇/东街村' (level 3)."""
    text = cell_text(value)
    parts = [part.strip() for part in text.split("/")]
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise FieldError("grid_ref_invalid", value=text)
    return GridRef(parts[0], parts[1] if len(parts) == 2 else None)


def parse_grid_refs(value: object) -> tuple[GridRef, ...]:
    """Zero or more grid references separated by ; ； 、 , ，; repeats are dropped."""
    refs = (
        parse_grid_ref(piece) for piece in _GRID_SEPARATORS.split(cell_text(value)) if piece.strip()
    )
    return tuple(dict.fromkeys(refs))
