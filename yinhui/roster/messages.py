"""Message templates for roster problems; personal numbers in them are masked.

The templates are English gettext message ids; the Chinese lives in the zh_CN catalogue
(yinhui/locale, see yinhui.i18n) and ``render`` translates for the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from yinhui.i18n import N_, translator
from yinhui.privacy import mask_id_number, mask_phone

Lang = str  # 'zh' or 'en' (yinhui.i18n.LOCALES); any other code reads Chinese

# One template per problem code. Placeholders are filled by ``render``; every string
# parameter is scrubbed first, so a raw ID or phone number can never reach a log line.
TEMPLATES: dict[str, str] = {
    # -- whole file ------------------------------------------------------------------
    "file_missing": N_("file does not exist"),
    "file_extension": N_("unsupported file type '{suffix}'; save it as .xlsx or .csv"),
    "file_decode": N_("cannot decode the file (tried UTF-8 and GB18030); save it as UTF-8 CSV"),
    "file_unreadable": N_("cannot read the file: {detail}"),
    "file_empty": N_("the file is empty: no header row"),
    "missing_columns": N_("missing required columns: {columns}"),
    "duplicate_header": N_("columns '{header}' and '{other}' mean the same field; keep only one"),
    # -- whole-file warnings (reported against the header row) ------------------------
    "column_ignored": N_("unknown column, ignored"),
    "no_rows": N_("no data rows under the header"),
    # -- generic cell problems --------------------------------------------------------
    "required": N_("must not be empty"),
    # -- ID number (身份证号) -----------------------------------------------------------
    "id_length": N_("must have 18 characters, found {length}"),
    "id_chars": N_("the first 17 characters must be digits and the last a digit or X"),
    "id_as_number": N_(
        "stored as a number, so Excel lost the last digits; "
        "format the column as text and enter it again"
    ),
    "id_birth_date": N_("characters 7-14 are not a valid birth date"),
    "id_checksum": N_("check character should be {expected}"),
    "id_duplicate": N_("same ID number as row {others}"),
    # -- agreement with the ID number -------------------------------------------------
    "gender_mismatch": N_("gender does not match the ID number (the ID says {expected})"),
    "birth_mismatch": N_("birth date differs from the one in the ID number"),
    # -- dates ------------------------------------------------------------------------
    "date_format": N_(
        "unrecognised date '{value}'; write e.g. 1938-05-01, 1938/5/1, 1938.5.1, "
        "1938年5月1日 or 19380501"
    ),
    "date_impossible": N_("date {year}-{month:02d}-{day:02d} does not exist"),
    "date_range": N_("date {value} is not between 1900-01-01 and {today}"),
    "date_serial": N_("invalid Excel date serial {value}"),
    # -- phones -----------------------------------------------------------------------
    "phone_mobile": N_("mobile number '{piece}' must be 11 digits starting with 13-19"),
    "phone_landline": N_(
        "landline '{piece}' must be an area code and a 7-8 digit number, e.g. 0359-7012345"
    ),
    "phone_no_area_code": N_("landline '{piece}' lacks an area code, e.g. 0359-7012345"),
    "phone_invalid": N_("'{piece}' is not a phone number"),
    "phone_multiple": N_("only one phone number allowed, found {count}"),
    # -- enumerations -----------------------------------------------------------------
    "category_invalid": N_("unknown category '{value}'; use 离休 (lixiu) or 退休 (tuixiu)"),
    "gender_invalid": N_("unknown gender '{value}'; use M or F"),
    "flag_invalid": N_("'{value}' is not yes/no"),
    "status_invalid": N_("unknown status '{value}'; use active, deceased or moved"),
    "role_invalid": N_("unknown role '{value}'; use staff, grid or leader"),
    # -- staff sheet ------------------------------------------------------------------
    "grid_ref_invalid": N_("invalid grid '{value}'; write 'township' or 'township/village'"),
    "grid_role_needs_grid": N_("a grid coordinator needs at least one grid"),
    "name_duplicate": N_("same name as row {others}"),
    # -- cross-checks made when a roster is imported ----------------------------------
    "coordinator_unknown": N_("coordinator '{name}' is not on the staff sheet"),
}

# Put before a message by RowError: the cell (or the row) the problem is in.
ROW_PREFIX = N_("row {row}, column {column}: ")
ROW_ONLY_PREFIX = N_("row {row}: ")
# Between the items of a list parameter (Chinese uses 、).
LIST_SEPARATOR = N_(", ")


class Term(str):
    """A word of our own given as a parameter, e.g. ``Term(N_("female"))``.

    It is translated into the message's language, not scrubbed: it is not user input.
    """

    __slots__ = ()


# Raw cell values quoted back to the user are cut so a pasted paragraph cannot flood a log
# line; only these parameters carry raw text (others are numbers, dates or our own words).
_MAX_SHOWN = 24
_RAW_PARAMS = frozenset({"value", "piece"})
# Lists (rows of a duplicate, missing columns) are cut after this many items.
_MAX_LISTED = 5
# A run of digits, optionally broken by spaces or dashes, optionally ending in X (ID numbers).
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d \-]*\d)?[Xx]?")


def scrub(text: str, limit: int | None = None) -> str:
    """Mask anything in ``text`` that could be an ID or phone number; cut it to ``limit``."""

    def _mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if len(digits) >= 15:
            return mask_id_number(re.sub(r"[^\dXx]", "", run))
        if len(digits) >= 7:
            return mask_phone(run)
        return run

    scrubbed = _DIGIT_RUN.sub(_mask, text)
    if limit is not None and len(scrubbed) > limit:
        scrubbed = scrubbed[: limit - 1] + "…"
    return scrubbed


def translate(message: str, lang: Lang) -> str:
    """One marked text (a template, a prefix, a Term) in ``lang``, placeholders left as they are."""
    return translator(lang).gettext(message)


def render(code: str, params: Mapping[str, object], lang: Lang = "zh") -> str:
    """Fill the template for ``code`` in ``lang``; string parameters are scrubbed.

    Dates and counts should be passed as ``date``/``int`` objects: only strings are scrubbed,
    and an ISO date written as text would look like a phone number to the scrubber. Lists
    are joined the language's way; a ``Term`` is a word of ours, given in the language.
    """
    safe = {key: _safe_param(key, value, lang) for key, value in params.items()}
    template = TEMPLATES.get(code)
    if template is None:
        # A code without a template must not stop an error report from being printed.
        return " ".join([code, *(f"{key}={value}" for key, value in safe.items())])
    return translate(template, lang).format(**safe)


def _safe_param(key: str, value: object, lang: Lang) -> object:
    if isinstance(value, Term):
        return str(translate(value, lang))
    if isinstance(value, str):
        return scrub(value, _MAX_SHOWN if key in _RAW_PARAMS else None)
    if isinstance(value, list | tuple):
        return join_list([str(_safe_param(key, item, lang)) for item in value], lang)
    return value


def join_list(items: list[str] | tuple[str, ...], lang: Lang) -> str:
    """List items the way each language does: 2、5、9 or 2, 5, 9; long lists are cut."""
    shown = list(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown.append("…")
    return translate(LIST_SEPARATOR, lang).join(shown)
