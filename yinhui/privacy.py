"""Masking personal data (ID numbers, phones) wherever a full value must not appear.

The one masking the whole code base uses: roster messages, service errors, run logs and the bot's
log lines. What may show: the first 6 (the region) and last 2 characters of an ID number, the
first 3 and last 4 digits of a phone number. A value too short to keep enough hidden is masked
whole, so a masked value never gives most of the number away.
"""

from __future__ import annotations

import re

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
