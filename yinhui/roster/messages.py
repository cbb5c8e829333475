"""Message templates for roster problems; personal numbers in them are masked.

The templates are English gettext message ids; the Chinese lives in the zh_CN catalogue
(yinhui/locale, see yinhui.i18n) and ``render`` translates for the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from yinhui.i18n import N_, translator
from yinhui.privacy import mask_id_number, mask_phone
from yinhui.roster.safety import show_safely

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
    # -- files too big or broken to read (limits in the playbook's [roster.limits]) -----
    "xlsx_too_big": N_(
        "the workbook unpacks to {size} MB, more than the limit of {limit} MB; "
        "a roster is far smaller: is it the right file?"
    ),
    "too_many_cells": N_("the sheet holds more than {limit} cells; a roster is far smaller"),
    "cell_too_big": N_(
        "cell {cell} holds more than {limit} characters, more than a spreadsheet cell can hold; "
        "the file is damaged or was not written by a spreadsheet"
    ),
    "row_cell_too_big": N_(
        "row {row}: a cell holds more than {limit} characters, more than a spreadsheet cell "
        "can hold; the file is damaged or was not written by a spreadsheet"
    ),
    "csv_broken": N_("row {row}: the CSV text cannot be read ({detail})"),
    "too_many_rows": N_(
        "more than {limit} data rows; split the file or raise max_rows under "
        "[roster.limits] in the playbook"
    ),
    # -- whole-file warnings (reported against the header row) ------------------------
    "column_ignored": N_("unknown column, ignored"),
    "no_rows": N_("no data rows under the header"),
    "closing_line": N_("a closing line ('{value}'), skipped"),
    # -- generic cell problems --------------------------------------------------------
    "required": N_("must not be empty"),
    "too_long": N_("{length} characters; at most {limit} fit"),
    "unsafe_character": N_(
        "contains the invisible character {code} ({name}) at position {position}; "
        "delete it and type the text again"
    ),
    "formula_text": N_(
        "starts with '{start}', which a spreadsheet would run as a formula; "
        "remove the '{start}' or write the text another way"
    ),
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
    "category_invalid": N_("unknown category '{value}'; accepted: {accepted}"),
    "gender_invalid": N_("unknown gender '{value}'; accepted: {accepted}"),
    "flag_invalid": N_("'{value}' is not yes/no; accepted: {accepted}"),
    "status_invalid": N_("unknown status '{value}'; accepted: {accepted}"),
    "role_invalid": N_("unknown role '{value}'; accepted: {accepted}"),
    "relation_invalid": N_("unknown relation '{value}'; accepted: {accepted}"),
    # -- staff sheet ------------------------------------------------------------------
    "grid_ref_invalid": N_("invalid grid '{value}'; write 'township' or 'township/village'"),
    "grid_role_needs_grid": N_("a grid coordinator needs at least one grid"),
    "name_duplicate": N_("same name as row {others}"),
    # -- cross-checks made when a roster is imported ----------------------------------
    "coordinator_unknown": N_("coordinator '{name}' is not on the staff sheet"),
    "team_unknown": N_("volunteer team '{name}' is not known; known teams: {known}"),
    # -- relatives (the columns beside a cadre, the 亲属 sheet) ---------------------------
    "kin_name_missing": N_("a next of kin's relation or phone is given without a name"),
    "relative_cadre_unknown": N_("no cadre with this ID number on the first sheet"),
    "relative_cadre_mismatch": N_("'{name}' is not the name of the cadre with this ID number ({cadre})"),
    "relative_duplicate": N_("{name} is listed twice for the same cadre (also row {others})"),
    "next_of_kin_twice": N_("{name} would be a second next of kin of the cadre (already {other}); mark only one"),
    # -- a re-import that would undo what is known (services.roster_import) -------------
    "status_protected": N_(
        "{name} is recorded as {old} since {since}, the file says {new}; a roster never "
        "changes that by itself: if the file is right, confirm this cadre's ID number"
    ),
    "changed_after_file": N_(
        "{name} was changed on {changed}, after this file was written ({written}); the file "
        "would change {fields}: confirm this cadre's ID number, or give the file's true date"
    ),
}

# What the summary calls each kind of problem once the list is cut (templates without
# placeholders are their own label).
KIND_LABELS: dict[str, str] = {
    "too_long": N_("text too long"),
    "unsafe_character": N_("invisible character"),
    "formula_text": N_("text that starts like a formula"),
    "id_length": N_("ID number of the wrong length"),
    "id_checksum": N_("wrong ID check character"),
    "id_duplicate": N_("ID number on two rows"),
    "gender_mismatch": N_("gender differs from the ID number"),
    "date_format": N_("unrecognised date"),
    "date_impossible": N_("impossible date"),
    "date_range": N_("date out of range"),
    "date_serial": N_("invalid Excel date"),
    "phone_mobile": N_("bad mobile number"),
    "phone_landline": N_("bad landline"),
    "phone_no_area_code": N_("landline without area code"),
    "phone_invalid": N_("not a phone number"),
    "phone_multiple": N_("several phone numbers"),
    "category_invalid": N_("unknown category"),
    "gender_invalid": N_("unknown gender"),
    "flag_invalid": N_("not yes/no"),
    "status_invalid": N_("unknown status"),
    "role_invalid": N_("unknown role"),
    "relation_invalid": N_("unknown relation"),
    "grid_ref_invalid": N_("invalid grid"),
    "name_duplicate": N_("name on two rows"),
    "coordinator_unknown": N_("unknown coordinator"),
    "team_unknown": N_("unknown volunteer team"),
    "kin_name_missing": N_("next of kin without a name"),
    "relative_cadre_unknown": N_("relative of a cadre not on the roster"),
    "relative_cadre_mismatch": N_("relative's cadre named differently"),
    "relative_duplicate": N_("relative listed twice"),
    "next_of_kin_twice": N_("two next of kin"),
    "status_protected": N_("status a roster may not change"),
    "changed_after_file": N_("changed after the file was written"),
    "closing_line": N_("closing line skipped"),
    "column_ignored": N_("unknown column"),
}
# The line after a cut list: how many more, and of which kinds.
MORE_PROBLEMS = N_("… and {count} more not listed: {kinds}")
KIND_COUNT = N_("{kind} ({count})")

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


class Words:
    """A value of ours given as a parameter in each language: Words("去世", "deceased").

    For the words of a roster's own table (synonyms.VALUE_WORDS) and its headers, which are
    already bilingual data; a text of ours that is not data is a ``Term``.
    """

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def text(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.zh

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Words) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        return f"Words({self.zh!r}, {self.en!r})"


# Raw cell values quoted back to the user are cut so a pasted paragraph cannot flood a log
# line; only these parameters carry raw text (others are numbers, dates or our own words).
_MAX_SHOWN = 24
_RAW_PARAMS = frozenset({"value", "piece"})
# Lists (rows of a duplicate, missing columns) are cut after this many items; the words a
# column accepts and the fields a change touches are listed whole (they are ours, and short).
_MAX_LISTED = 5
_WHOLE_LISTS = frozenset({"accepted", "fields", "known"})
# Counts and sizes are shown with thousands separators (50,000,000).
_COUNTS = frozenset({"length", "limit", "count", "size"})
# A run of digits, optionally broken by spaces or dashes, optionally ending in X (ID numbers).
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d \-]*\d)?[Xx]?")


def scrub(text: str, limit: int | None = None) -> str:
    """Mask anything in ``text`` that could be an ID or phone number; cut it to ``limit``.

    Invisible characters (an ANSI escape, a right-to-left override) are written as ⟨U+202E⟩,
    so a message never carries them to a terminal or a log.
    """

    def _mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if len(digits) >= 15:
            return mask_id_number(re.sub(r"[^\dXx]", "", run))
        if len(digits) >= 7:
            return mask_phone(run)
        return run

    scrubbed = _DIGIT_RUN.sub(_mask, show_safely(text))
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
    return translate(template, lang).format_map(_Params(safe))


class _Params(dict[str, object]):
    """Template parameters; one a caller forgot shows as {name} rather than failing the report."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _safe_param(key: str, value: object, lang: Lang) -> object:
    if isinstance(value, Term):
        return str(translate(value, lang))
    if isinstance(value, Words):
        return scrub(value.text(lang))
    if isinstance(value, str):
        return scrub(value, _MAX_SHOWN if key in _RAW_PARAMS else None)
    if isinstance(value, list | tuple):
        items = [str(_safe_param(key, item, lang)) for item in value]
        return join_list(items, lang, whole=key in _WHOLE_LISTS)
    if key in _COUNTS and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def join_list(items: list[str] | tuple[str, ...], lang: Lang, *, whole: bool = False) -> str:
    """List items the way each language does: 2、5、9 or 2, 5, 9; long lists are cut."""
    if whole:
        return translate(LIST_SEPARATOR, lang).join(items)
    shown = list(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown.append("…")
    return translate(LIST_SEPARATOR, lang).join(shown)


def kind_label(code: str, lang: Lang) -> str:
    """A short name for a kind of problem, for the count after a cut list."""
    label = KIND_LABELS.get(code) or TEMPLATES.get(code, code)
    return translate(label, lang)


def more_problems(counts: Mapping[str, int], lang: Lang) -> str:
    """'… and 49,800 more not listed: must not be empty (40,000); …' for the problems left out."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    kinds = [
        translate(KIND_COUNT, lang).format(kind=kind_label(code, lang), count=f"{n:,}")
        for code, n in ordered
        if n
    ]
    total = sum(counts.values())
    return translate(MORE_PROBLEMS, lang).format(
        count=f"{total:,}", kinds=translate(LIST_SEPARATOR, lang).join(kinds)
    )
