"""The columns of the roster and staff sheets: canonical field, headers, and the longest value stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from yinhui.roster.messages import Lang
from yinhui.roster.synonyms import RELATIVE_HEADERS, ROSTER_HEADERS, STAFF_HEADERS, Vocabulary


@dataclass(frozen=True, slots=True)
class Column:
    """One column a sheet may have; ``aliases`` are the other headers it is known by.

    ``max_length`` is the longest text the database column holds (models/people.py and the
    grid and party tables); a longer cell is reported on its row instead of failing the import.
    """

    field: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    max_length: int | None = None

    def header(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.aliases)


def _columns(
    table: Mapping[str, tuple[str, ...]], required: set[str], lengths: Mapping[str, int]
) -> tuple[Column, ...]:
    return tuple(
        Column(name, zh, en, name in required, tuple(aliases), lengths.get(name))
        for name, (zh, en, *aliases) in table.items()
    )


def with_vocabulary(columns: Sequence[Column], vocabulary: Vocabulary) -> tuple[Column, ...]:
    """``columns`` with the headers the vocabulary gives them (a bureau's words added)."""
    fields = {c.field for c in columns}
    sheet = "staff" if "role" in fields else "relatives" if "cadre_id_number" in fields else "roster"
    headers = vocabulary.headers(sheet)
    return tuple(
        replace(c, aliases=tuple(h for h in headers[c.field] if h not in (c.zh, c.en)))
        if c.field in headers else c
        for c in columns
    )  # fmt: skip


# Order is the order a written roster uses (see yinhui.demo.sheets.write_roster).
ROSTER_COLUMNS: tuple[Column, ...] = _columns(
    ROSTER_HEADERS,
    required={"name", "id_number", "category", "township", "village"},
    # The stored lengths: Cadre.name/phones/address, Grid.name, PartyOrg.name, Coordinator.name.
    lengths={"name": 50, "phone": 200, "address": 200, "township": 100, "village": 100,
             "party_branch": 100, "coordinator": 50, "kin_name": 50, "kin_phone": 200,
             "volunteer_teams": 500},
)  # fmt: skip

# The relatives sheet (亲属): Relative.name/phones, the cadre's name as on the roster.
RELATIVE_COLUMNS: tuple[Column, ...] = _columns(
    RELATIVE_HEADERS,
    required={"cadre_id_number", "relative_name", "relation"},
    lengths={"cadre_name": 50, "relative_name": 50, "relative_phone": 200},
)

STAFF_COLUMNS: tuple[Column, ...] = _columns(
    STAFF_HEADERS,
    required={"name", "role"},
    lengths={"name": 50, "phone": 40, "grids": 1000},
)
