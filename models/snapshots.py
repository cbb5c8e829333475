"""Frozen monthly coverage snapshots (月度覆盖快照): one row per grid and closed month, never rewritten."""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

_MONTH_KEY = re.compile(r"^\d{4}-\d{2}$")


class _Counts(Protocol):
    @property
    def cadres(self) -> int: ...

    @property
    def contacted(self) -> int: ...

    @property
    def paused(self) -> int: ...


class CoverageFigures:
    """What a coverage line derives from its counts; today's report and a frozen snapshot alike.

    A paused cadre (away all the while they were not contacted) is neither expected nor missed.
    """

    @property
    def expected(self: _Counts) -> int:
        return self.cadres - self.paused

    @property
    def missed(self: _Counts) -> int:
        return self.cadres - self.contacted - self.paused

    @property
    def rate(self: _Counts) -> float:
        expected = self.cadres - self.paused
        return self.contacted / expected if expected else 1.0


class CoverageSnapshot(SQLModel, CoverageFigures, table=True):
    """One grid's coverage for one closed month, as it stood when the month was snapshotted.

    Rows are written once and never updated: a contact recorded late, a cadre moved to another
    grid or a grid renamed changes today's report, not the closed month the leaders signed off.
    The grid's path is copied for the same reason, and `grid_id` is not a foreign key so that
    merging or deleting a grid later does not touch history.
    """

    __tablename__ = "coverage_snapshot"
    __table_args__ = (UniqueConstraint("month", "grid_id", name="uq_coverage_snapshot_month_grid"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True, description="YYYY-MM")
    grid_id: int
    level: int
    parent_id: int | None = None
    grid_path: str = Field(max_length=210)
    cadres: int
    contacted: int
    via_relative: int = Field(default=0, description="of the contacted, reached only through a relative")
    paused: int = Field(default=0, description="not contacted while paused: not missed")
    unreachable: int = Field(default=0, description="of the missed, unreachable after every attempt")
    taken_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    taken_by: str = Field(max_length=60)
