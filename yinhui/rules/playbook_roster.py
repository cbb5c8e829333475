"""The playbook's [roster] section: the headers and words a bureau's own roster uses, and its file limits.

Beside the other sections (yinhui.rules.playbook_sections); only pydantic, no I/O.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from yinhui.rules.playbook_sections import StrictModel
from yinhui.rules.playbook_values import doubled

RosterField = Literal["name", "id_number", "gender", "birth_date", "category", "phone", "address",
                      "township", "village", "party_branch", "coordinator", "lives_alone", "hardship",
                      "status", "kin_name", "kin_relation", "kin_phone", "volunteer_teams",
                      # the relatives sheet (亲属)
                      "cadre_id_number", "cadre_name", "relative_name", "relation", "relative_phone",
                      "next_of_kin", "in_group"]  # fmt: skip
Word = Annotated[str, Field(min_length=1, max_length=40, pattern=r"\S")]


class RosterValueWords(StrictModel):
    """More words for a roster's values, e.g. ``[roster.value_synonyms.status] active = ["在编"]``."""

    status: dict[Literal["active", "deceased", "moved"], list[Word]] = {}
    category: dict[Literal["lixiu", "tuixiu"], list[Word]] = {}
    relation: dict[Literal["配偶", "子女", "儿子", "女儿", "儿媳", "女婿", "孙子女", "兄弟姐妹", "其他"],
                   list[Word]] = {}
    gender: dict[Literal["M", "F"], list[Word]] = {}
    flag: dict[Literal["yes", "no"], list[Word]] = {}
    role: dict[Literal["staff", "grid", "leader"], list[Word]] = {}  # the staff sheet's 角色


class RosterFileLimits(StrictModel):
    """Caps on a roster file; a key left out keeps the reader's default (README, "The roster file")."""

    header_rows: int | None = Field(None, ge=1, le=50)
    max_columns: int | None = Field(None, ge=20, le=16384)
    max_rows: int | None = Field(None, ge=1, le=1_000_000)
    max_cells: int | None = Field(None, ge=1000, le=50_000_000)
    max_unpacked_mb: int | None = Field(None, ge=1, le=2000)
    max_cell_chars: int | None = Field(None, ge=200, le=32_767)
    max_errors: int | None = Field(None, ge=10, le=100_000)


class RosterSection(StrictModel):
    """[roster]: headers and words the bureau's own roster uses, beyond those Yinhui knows."""

    column_synonyms: dict[RosterField, list[Word]] = {}
    # The staff sheet's headers (`yinhui import-staff`): ``[roster.staff_column_synonyms] role = ["职位"]``.
    staff_column_synonyms: dict[Literal["name", "role", "grids", "phone"], list[Word]] = {}
    value_synonyms: RosterValueWords = RosterValueWords()
    ignore_columns: list[Word] = Field(default=[], description="headers read past, though known")
    limits: RosterFileLimits = RosterFileLimits()

    @model_validator(mode="after")
    def _each_word_once(self) -> RosterSection:
        words = [w.strip().casefold() for ws in self.column_synonyms.values() for w in ws]
        twice = doubled(words + [w.strip().casefold() for w in self.ignore_columns])
        if twice:
            raise ValueError(f"the header {twice!r} is given twice")
        twice = doubled([w.strip().casefold() for ws in self.staff_column_synonyms.values() for w in ws])
        if twice:
            raise ValueError(f"staff_column_synonyms: the header {twice!r} is given twice")
        for kind, table in self.value_synonyms.model_dump().items():
            twice = doubled([w.strip().casefold() for ws in table.values() for w in ws])
            if twice:
                raise ValueError(f"value_synonyms.{kind}: {twice!r} is given twice")
        return self

