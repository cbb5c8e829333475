"""What a roster row would change in a stored cadre, and which changes a file may not make alone.

Pure: the import service (yinhui.services.roster_import) reads the stored cadres and hands them
in as ``StoredCadre``. A re-import never brings a cadre back from 去世 or 迁出 by itself, and never
undoes what was recorded after the file was written (an older roster still saying 正常 about a
cadre reported dead last week): such a change is *protected* and needs the operator to confirm
that cadre by ID number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from yinhui.i18n import N_
from yinhui.privacy import mask_id_number, mask_phone
from yinhui.roster.columns import ROSTER_COLUMNS
from yinhui.roster.messages import LIST_SEPARATOR, Lang, Words, scrub, translate
from yinhui.roster.problems import RowError
from yinhui.roster.synonyms import VALUE_WORDS
from yinhui.roster.validate import CadreRecord

# Statuses a roster may not move a cadre out of without the operator's word.
PROTECTED_STATUSES = frozenset({"deceased", "moved"})
FIELDS = ("name", "gender", "birth_date", "category", "phone", "address", "township", "village",
          "party_branch", "coordinator", "lives_alone", "hardship", "status")  # fmt: skip
_COLUMNS = {column.field: column for column in ROSTER_COLUMNS}
_KINDS = {"gender": "gender", "category": "category", "status": "status"}

CHANGED_LINE = N_("row {row}: {name} ({id_number}): {changes}")
NEW_LINE = N_("row {row}: {name} ({id_number}): new")
FIELD_CHANGE = N_("{field} {old} → {new}")
PROTECTED_MARK = N_(" [needs confirming]")
EMPTY = N_("(empty)")


@dataclass(frozen=True, slots=True)
class StoredCadre:
    """A cadre as the database holds it, in the roster's terms (grid and branch by name)."""

    name: str
    gender: str
    birth_date: dt.date
    category: str
    phones: tuple[str, ...]
    address: str
    township: str
    village: str
    party_branch: str | None
    coordinator: str | None
    lives_alone: bool
    hardship: bool
    status: str
    status_since: dt.date | None
    changed_at: dt.datetime  # when the record was last changed (aware)
    changed_on: dt.date  # the same day in the bureau's time zone, for messages


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True, slots=True)
class CadreChange:
    """One cadre a roster creates or changes: every field that differs, old → new."""

    row: int
    name: str
    id_number: str
    created: bool
    fields: tuple[FieldChange, ...] = ()
    protected: RowError | None = None

    def describe(self, lang: Lang = "zh") -> str:
        """One line for the operator; ID numbers and phones masked."""
        params = {"row": self.row, "name": scrub(self.name), "id_number": mask_id_number(self.id_number)}
        if self.created:
            return translate(NEW_LINE, lang).format(**params)
        parts = [
            translate(FIELD_CHANGE, lang).format(
                field=label(change.field).text(lang),
                old=_shown(change.field, change.old, lang),
                new=_shown(change.field, change.new, lang),
            )
            for change in self.fields
        ]
        line = translate(CHANGED_LINE, lang).format(
            changes=translate(LIST_SEPARATOR, lang).join(parts), **params
        )
        return line + (translate(PROTECTED_MARK, lang) if self.protected else "")


def label(field: str) -> Words:
    """A field's name in each language: the roster's own header (状态 / status)."""
    column = _COLUMNS[field]
    return Words(column.zh, column.en)


def value_words(field: str, value: object) -> Words:
    """A stored value as the roster writes it: Words("去世", "deceased"), Words("是", "yes")."""
    if field in _KINDS and isinstance(value, str):
        return Words(VALUE_WORDS[_KINDS[field]][value][0], value)
    flag = "yes" if value else "no"
    return Words(VALUE_WORDS["flag"][flag][0], flag)


def _shown(field: str, value: object, lang: Lang) -> str:
    if value is None or value == "" or value == ():
        return translate(EMPTY, lang)
    if field == "phone" and isinstance(value, tuple):
        return ("/" if lang == "en" else "、").join(mask_phone(p) for p in value)
    if field in _KINDS or field in ("lives_alone", "hardship"):
        return value_words(field, value).text(lang)
    if isinstance(value, dt.date):
        return value.isoformat()
    return scrub(str(value), 40)


def _values(cadre: CadreRecord | StoredCadre) -> dict[str, object]:
    """The roster's fields of a row or of the stored cadre (both name the phones `phones`)."""
    return {field: getattr(cadre, "phones" if field == "phone" else field) for field in FIELDS}


def compare(record: CadreRecord, stored: StoredCadre) -> tuple[FieldChange, ...]:
    """Every field the row would change in the stored cadre, in the roster's column order."""
    new, old = _values(record), _values(stored)
    return tuple(FieldChange(f, old[f], new[f]) for f in FIELDS if old[f] != new[f])


# How far a file's time may lag the moment it was written: 2 s in ZIP archives (an .xlsx copied out
# of one) and on FAT drives, and a clock tick on Linux, whose file times come from a coarser clock
# than the one a change is recorded with. A file saved right after an import is not older than it.
FILE_TIME_GRAIN = dt.timedelta(seconds=2)


def protection(
    record: CadreRecord,
    stored: StoredCadre,
    fields: tuple[FieldChange, ...],
    *,
    written_at: dt.datetime | None,
    written_on: dt.date | None,
    headers: Mapping[str, str],
) -> RowError | None:
    """Why the row may not make these changes without the operator's word, or None.

    - the cadre is recorded as deceased or moved away and the row says otherwise;
    - the cadre was changed after the file was written (``written_at``), and the row would
      change it again: the file is older than what is known.
    """
    status = next((c for c in fields if c.field == "status"), None)
    if status is not None and stored.status in PROTECTED_STATUSES:
        return RowError(
            record.row, headers.get("status", label("status").zh), "status_protected",
            {"name": record.name, "old": value_words("status", stored.status),
             "new": value_words("status", record.status),
             "since": stored.status_since or stored.changed_on},
        )  # fmt: skip
    if fields and written_at is not None and stored.changed_at > written_at + FILE_TIME_GRAIN:
        return RowError(
            record.row, "", "changed_after_file",
            {"name": record.name, "changed": stored.changed_on,
             "written": written_on or written_at.date(),
             "fields": tuple(label(c.field) for c in fields)},
        )  # fmt: skip
    return None
