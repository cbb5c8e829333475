"""The three-level grid (县乡村三级网格): the bureau, townships/communities, villages/compounds."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

COUNTY_LEVEL, TOWNSHIP_LEVEL, BASE_LEVEL = 1, 2, 3
COUNTY_GRID_NAME = "老干部局"


class Grid(SQLModel, table=True):
    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_grid_parent_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    level: int = Field(description="1 bureau, 2 township or community, 3 village or compound")
    kind: str = Field(max_length=16, description="county, township, community, village, compound")
    parent_id: int | None = Field(default=None, foreign_key="grid.id", index=True)


def grid_kind(level: int, name: str) -> str:
    if level == COUNTY_LEVEL:
        return "county"
    if level == TOWNSHIP_LEVEL:
        return "community" if name.endswith("社区") else "township"
    return "compound" if name.endswith(("小区", "院", "家属院", "花园")) else "village"


def county_grid(session: Session) -> Grid:
    """The level-1 grid, created on first use: the bureau itself (一级网格)."""
    grid = session.exec(select(Grid).where(col(Grid.level) == COUNTY_LEVEL)).first()
    if grid is None:
        grid = Grid(name=COUNTY_GRID_NAME, level=COUNTY_LEVEL, kind="county")
        session.add(grid)
        session.flush()
    return grid


class GridBook:
    """Looks grids up by name and creates missing ones; one instance per import, so it caches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.county = county_grid(session)
        grids = session.exec(select(Grid)).all()
        self.by_id = {g.id: g for g in grids}
        self.level2 = {g.name: g for g in grids if g.level == TOWNSHIP_LEVEL}
        self.level3 = {(g.parent_id, g.name): g for g in grids if g.level == BASE_LEVEL}
        self.created: list[Grid] = []

    def township(self, name: str, *, create: bool = True) -> Grid | None:
        grid = self.level2.get(name)
        if grid is None and create:
            grid = self._add(name, TOWNSHIP_LEVEL, self.county)
            self.level2[name] = grid
        return grid

    def base(self, township: str, village: str, *, create: bool = True) -> Grid | None:
        parent = self.township(township, create=create)
        if parent is None:
            return None
        grid = self.level3.get((parent.id, village))
        if grid is None and create:
            grid = self._add(village, BASE_LEVEL, parent)
            self.level3[(parent.id, village)] = grid
        return grid

    def resolve(self, ref: str) -> Grid | None:
        """A staff sheet's grid reference: "城关镇" (level 2) or "城关镇/东街村" (level 3)."""
        ref = ref.strip()
        if ref in (COUNTY_GRID_NAME, "县", "county"):
            return self.county
        if "/" in ref:
            township, village = (part.strip() for part in ref.split("/", 1))
            return self.base(township, village, create=False)
        return self.township(ref, create=False)

    def path(self, grid: Grid) -> str:
        if grid.level == BASE_LEVEL and grid.parent_id in self.by_id:
            return f"{self.by_id[grid.parent_id].name}/{grid.name}"
        return grid.name

    def _add(self, name: str, level: int, parent: Grid) -> Grid:
        grid = Grid(name=name, level=level, kind=grid_kind(level, name), parent_id=parent.id)
        self.session.add(grid)
        self.session.flush()
        self.by_id[grid.id] = grid
        self.created.append(grid)
        return grid


class GridOwner(SQLModel, table=True):
    """Derived: who a base grid's tasks go to and where they escalate; rebuilt before each plan."""

    __tablename__ = "grid_owner"

    grid_id: int = Field(foreign_key="grid.id", primary_key=True)
    owner_id: int = Field(foreign_key="coordinator.id")
    via: str = Field(max_length=10, description="base, township or leader")
    township_owner_id: int | None = Field(default=None, foreign_key="coordinator.id")
    leader_id: int = Field(foreign_key="coordinator.id")
