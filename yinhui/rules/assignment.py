"""Who answers for a cadre (一联五包 and the grid): named coordinator, base grid, township, leader."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class GridNode:
    id: int
    level: int
    parent_id: int | None
    name: str = ""


@dataclass(frozen=True)
class GridOwner:
    """The coordinator a base grid's tasks go to, and where its late tasks escalate."""

    grid_id: int
    owner_id: int
    via: str  # "base", "township" or "leader"
    township_owner_id: int | None
    leader_id: int


@dataclass(frozen=True)
class Assignment:
    owners: dict[int, GridOwner]
    uncovered: tuple[int, ...]  # base grids with no coordinator of their own or of their township
    leader_id: int


def N_(text: str) -> str:  # noqa: N802 - yinhui.i18n's marker; the rules import nothing outside the rules
    """Marks a catalogue text: the English here, each surface shows it in its reader's language."""
    return text


class NoLeaderError(LookupError):
    """Without a leader some task could end up with nobody: refuse to plan instead.

    Like a domain error it keeps its catalogue text and values (``message``, ``values``), so a
    surface words it in its reader's language (``yinhui.i18n.error_text``).
    """

    def __init__(self, message: str, /, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message.format(**values) if values else message)


def assign_grids(
    grids: Iterable[GridNode],
    holders: Mapping[int, Iterable[int]],
    leaders: Iterable[int],
    county_leaders: Iterable[int] = (),
) -> Assignment:
    """Resolve every base grid to an owner.

    `holders` maps grid id to the active coordinators answering for it, in the caller's order of
    preference (the first wins, so the same input gives the same owner every day). The leader
    fallback prefers a leader who holds the county grid, the smallest id among equals.
    """
    leader_pool = sorted(set(county_leaders)) or sorted(set(leaders))
    if not leader_pool:
        raise NoLeaderError(N_("no active leader: add one with `yinhui coordinator add NAME --role leader`"))
    leader = leader_pool[0]
    grids = list(grids)
    first_holder = {gid: ids[0] for gid, ids in ((g, list(h)) for g, h in holders.items()) if ids}
    owners: dict[int, GridOwner] = {}
    uncovered: list[int] = []
    for grid in grids:
        if grid.level != 3:
            continue
        township_owner = first_holder.get(grid.parent_id) if grid.parent_id is not None else None
        own = first_holder.get(grid.id)
        if own is not None:
            owners[grid.id] = GridOwner(grid.id, own, "base", township_owner, leader)
        elif township_owner is not None:
            owners[grid.id] = GridOwner(grid.id, township_owner, "township", township_owner, leader)
        else:
            owners[grid.id] = GridOwner(grid.id, leader, "leader", None, leader)
            uncovered.append(grid.id)
    return Assignment(owners=owners, uncovered=tuple(sorted(uncovered)), leader_id=leader)
