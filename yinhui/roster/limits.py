"""How much of a file the roster reader will take, and the options a caller hands it.

The reader reads no settings and no playbook: whoever calls it (the import service) builds
``RosterOptions`` from the playbook's ``[roster]`` section and passes them in. The limits keep
a hostile or broken file from costing minutes and gigabytes: a county's roster has a few
thousand rows of short cells, and every limit here is far above that.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from yinhui.roster.synonyms import DEFAULT_VOCABULARY, Vocabulary


@dataclass(frozen=True, slots=True)
class RosterLimits:
    """Caps on a roster file; the defaults are the values of the playbook's ``[roster.limits]``."""

    header_rows: int = 10  # rows searched for the header (a title, a second header line above)
    max_columns: int = 200  # columns read from the header row; a roster has about 15
    max_rows: int = 100_000  # data rows (blank rows are not counted)
    max_cells: int = 5_000_000  # cells a worksheet may hold, counted before it is parsed
    max_unpacked_mb: int = 100  # an .xlsx is a zip: the size of all its parts unpacked
    max_cell_chars: int = 32_767  # Excel's own limit for one cell; a longer cell is not a roster
    max_errors: int = 200  # problems listed one by one; the rest are counted by kind

    @classmethod
    def merged(cls, overrides: dict[str, int | None]) -> RosterLimits:
        """The defaults with the given (non-None) values in their place."""
        names = {f.name for f in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"unknown roster limits: {', '.join(sorted(unknown))}")
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RosterOptions:
    """What a caller tells the reader: the words in force and the limits."""

    vocabulary: Vocabulary = DEFAULT_VOCABULARY
    limits: RosterLimits = field(default_factory=RosterLimits)


DEFAULT_OPTIONS = RosterOptions()
