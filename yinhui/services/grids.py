"""Finding and creating grids of the three-level grid (县乡村三级网格): the bureau, townships/communities, villages/compounds."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.grids import BASE_LEVEL, COUNTY_GRID_NAME, COUNTY_LEVEL, TOWNSHIP_LEVEL, Grid


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
