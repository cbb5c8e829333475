"""The demo's own words, in the operator's language, as the command line's (YINHUI_CLI_LANGUAGE, else
the bureau's language); what it reports about the county (kinds, reasons) is in the bureau's.

yinhui.cli stands above the demo and is not imported here: these are the same catalogue texts,
read from the settings in force (inside the sandbox, the demo's, which keep the operator's languages).
"""

from __future__ import annotations

from yinhui import i18n
from yinhui.settings import get_settings


def _(message: str, /, **values: object) -> str:
    """A text of the demo in the operator's language, its {placeholders} filled in."""
    return i18n.text(operator_language(), message, **values)


def operator_language() -> str:
    """The language the demo speaks in (an error it shows is worded in it too)."""
    return get_settings().operator_language


def bureau_language() -> str:
    """The language of the county's content: kinds of occurrence, why a cadre was missed."""
    return get_settings().language
