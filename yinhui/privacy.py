"""Masking personal data (ID numbers, phones) wherever a full value must not appear."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """What may appear where a full ID number must not: 142623********12."""
    return value[:6] + "*" * max(len(value) - 8, 0) + value[-2:] if len(value) > 8 else "****"


def mask_phone(value: str) -> str:
    digits = value.replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"

