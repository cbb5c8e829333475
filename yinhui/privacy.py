"""Masking personal data (ID numbers, phones) wherever a full value must not appear.

The one masking the whole code base uses: roster messages, service errors, run logs and the bot's
log lines. What may show: the first 6 (the region) and last 2 characters of an ID number, the
first 3 and last 4 digits of a phone number. A value too short to keep enough hidden is masked
whole, so a masked value never gives most of the number away.
"""

from __future__ import annotations

import re

from yinhui.i18n import N_

FULLY_MASKED = "****"
# The shortest ID number is the old 15-digit one; below that, 6 + 2 shown would be most of it.
_ID_SHORTEST = 15
# 3 + 4 shown leaves 4 hidden in an 11-digit mobile or a landline with its area code.
_PHONE_SHORTEST = 11
_NOT_DIGIT = re.compile(r"\D")


def mask_id_number(value: str) -> str:
    """What may appear where a full ID number must not: 142623**********12 (same length)."""
    text = value.strip()
    if len(text) < _ID_SHORTEST:
        return FULLY_MASKED
    return text[:6] + "*" * (len(text) - 8) + text[-2:]


def mask_phone(value: str) -> str:
    """A phone number with only its first 3 and last 4 digits showing: 139****5678, 035****2345.

    Separators (spaces, dashes, brackets) are dropped first.
    """
    digits = _NOT_DIGIT.sub("", value)
    if len(digits) < _PHONE_SHORTEST:
        return FULLY_MASKED
    return digits[:3] + "****" + digits[-4:]


# A number written with spaces or dashes inside it (139 1234 5678, 0359-7012345) is read whole.
_INSIDE_NUMBER = re.compile(r"(?<=\d)[ \-\u00a0]+(?=\d)")
_ID_NUMBER = re.compile(r"(?<![\dXx])(?:\d{17}[\dXx]|\d{15})(?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{9,11}(?!\d)")


def personal_number_in(text: str) -> str | None:
    """What personal number a text holds, if any: "ID number" or "phone number" (else None).

    For texts bound for a group chat (a notice to a relatives' group): they must hold neither.
    """
    joined = _INSIDE_NUMBER.sub("", text)
    if _ID_NUMBER.search(joined):
        return N_("ID number")
    if _MOBILE.search(joined) or _LANDLINE.search(joined):
        return N_("phone number")
    return None
