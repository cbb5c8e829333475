"""The three-level grid (县乡村三级网格): the bureau, townships/communities, villages/compounds."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

COUNTY_LEVEL, TOWNSHIP_LEVEL, BASE_LEVEL = 1, 2, 3


COUNTY_GRID_NAME = "老干部局"


class Grid(SQLModel, table=True):
    """One grid of the three levels: the bureau (1), a township or community (2), a village or compound (3)."""

    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_grid_parent_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    level: int = Field(description="1 bureau, 2 township or community, 3 village or compound")
    kind: str = Field(max_length=16, description="county, township, community, village, compound")
    parent_id: int | None = Field(default=None, foreign_key="grid.id", index=True)


class GridOwner(SQLModel, table=True):
    """Derived: who a base grid's tasks go to and where they escalate; rebuilt before each plan."""

    __tablename__ = "grid_owner"

    grid_id: int = Field(foreign_key="grid.id", primary_key=True)
    owner_id: int = Field(foreign_key="coordinator.id")
    via: str = Field(max_length=10, description="base, township or leader")
    township_owner_id: int | None = Field(default=None, foreign_key="coordinator.id")
    leader_id: int = Field(foreign_key="coordinator.id")
