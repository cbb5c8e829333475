"""A synthetic, deterministic demo county: grids, party branches, staff and retired cadres."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from yinhui.demo import names
from yinhui.demo.relatives import with_kin
from yinhui.roster import (
    CadreRecord,
    Gender,
    GridRef,
    Role,
    StaffRecord,
    make_id_number,
)
from yinhui.roster.idcard import ORDER_CODES_PER_GENDER

# Shanxi (山西, 14): 运城 county-level codes; most cadres were born in the county itself.
REGION_CODES: tuple[str, ...] = ("140823", "140802", "140821", "140822", "140824", "140825")
REGION_WEIGHTS: tuple[int, ...] = (70, 10, 5, 5, 5, 5)
AREA_CODE = "0359"  # 运城
LIXIU_BIRTH = (date(1926, 1, 1), date(1933, 12, 31))  # joined work before October 1949
TUIXIU_BIRTH = (date(1940, 1, 1), date(1966, 12, 31))
RETIREMENT_AGE = 55  # the youngest retiree on the roster (women cadres retired at 55)
LIVES_ALONE_SHARE = 0.12
HARDSHIP_SHARE = 0.05
COORDINATOR_SHARE = 0.10  # cadres linked to a bureau staff member (一联五包)
# Share of all cadres in each volunteer team, in the order of names.VOLUNTEER_TEAMS.
VOLUNTEER_SHARES: tuple[float, ...] = (0.02, 0.025, 0.015, 0.04)
# Retired cadres mostly live in the county seat: a compound draws more than a village.
COMPOUND_WEIGHT, VILLAGE_WEIGHT = 2, 1
TOWNSHIP_GRID_WEIGHT, COMMUNITY_GRID_WEIGHT = 3, 1


@dataclass(frozen=True, slots=True)
class BaseGrid:
    """A level-3 grid (基础网格): a village (村) or a residential compound (小区)."""

    level2: str
    name: str

    @property
    def path(self) -> str:
        return f"{self.level2}/{self.name}"


@dataclass(frozen=True, slots=True)
class VolunteerTeam:
    """A volunteer team (志愿服务队) and the ID numbers of its cadre members."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class County:
    """Everything the demo needs about one invented county, as of ``as_of``."""

    seed: int
    as_of: date
    townships: tuple[str, ...]
    communities: tuple[str, ...]
    base_grids: tuple[BaseGrid, ...]
    general_branches: tuple[str, ...]
    branches: tuple[str, ...]
    branch_parent: Mapping[str, str | None]  # branch -> its general branch (党总支) or None
    volunteer_teams: tuple[VolunteerTeam, ...]
    staff: tuple[StaffRecord, ...]
    cadres: tuple[CadreRecord, ...]

    @property
    def level2_grids(self) -> tuple[str, ...]:
        """The level-2 grids: townships, then urban communities."""
        return self.townships + self.communities


# -- grids ------------------------------------------------------------------------------


def _level2_names(
    rng: random.Random, townships: int, communities: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    used: set[str] = {names.COUNTY_SEAT_TOWNSHIP}
    town_stems = iter(rng.sample(names.TOWNSHIP_STEMS, len(names.TOWNSHIP_STEMS)))
    community_stems = iter(rng.sample(names.COMMUNITY_STEMS, len(names.COMMUNITY_STEMS)))
    towns = [names.COUNTY_SEAT_TOWNSHIP][:townships]
    while len(towns) < townships:
        suffix = "镇" if rng.random() < 0.6 else "乡"
        towns.append(names.unique(lambda: next(town_stems, "新安"), suffix, used))
    comms = [
        names.unique(lambda: next(community_stems, "新城"), "社区", used) for _ in range(communities)
    ]
    return tuple(towns), tuple(comms)


def _spread(rng: random.Random, total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over slots: one each first, the rest drawn by weight."""
    if total < len(weights):
        raise ValueError(f"{total} base grids cannot cover {len(weights)} level-2 grids")
    counts = [1] * len(weights)
    for index in rng.choices(range(len(weights)), weights=weights, k=total - len(weights)):
        counts[index] += 1
    return counts


def _base_grids(
    rng: random.Random, townships: Sequence[str], communities: Sequence[str], total: int
) -> tuple[BaseGrid, ...]:
    level2 = [*townships, *communities]
    weights = [TOWNSHIP_GRID_WEIGHT] * len(townships) + [COMMUNITY_GRID_WEIGHT] * len(communities)
    used: set[str] = set()
    grids: list[BaseGrid] = []
    for parent, count in zip(level2, _spread(rng, total, weights), strict=True):
        is_township = parent in townships
        for _ in range(count):
            if is_township:
                name = names.unique(lambda: names.village_stem(rng), "村", used)
            else:
                name = names.unique(lambda: names.compound_stem(rng), "小区", used)
            grids.append(BaseGrid(parent, name))
    return tuple(grids)


# -- party organisation -----------------------------------------------------------------


def _branch_name(place_or_unit: str) -> str:
    return f"{place_or_unit}离退休干部党支部"


def _general_branch_name(system: str) -> str:
    return f"{system}离退休干部党总支"


@dataclass(frozen=True)
class _PartyOrganisation:
    general: tuple[str, ...]
    branches: tuple[str, ...]
    parents: dict[str, str | None]
    local: dict[str, str]  # level-2 grid -> the branch named after it
    units: tuple[str, ...]  # branches named after former work units


def _party_branches(
    townships: Sequence[str], communities: Sequence[str], count: int, general: int
) -> _PartyOrganisation:
    """Branches by township first, then by former work unit, then by community.

    Covering all townships first follows the article (覆盖 12 个乡镇和县直各部门).
    """
    if general > len(names.GENERAL_BRANCH_SYSTEMS):
        raise ValueError(f"at most {len(names.GENERAL_BRANCH_SYSTEMS)} general branches")
    systems = names.GENERAL_BRANCH_SYSTEMS[:general]
    candidates: list[tuple[str, str | None, str | None]] = []  # branch, parent, place
    candidates += [(_branch_name(town), None, town) for town in townships]
    candidates += [
        (_branch_name(unit), _general_branch_name(system) if system in systems else None, None)
        for unit, system in names.WORK_UNITS
    ]
    candidates += [(_branch_name(place), None, place) for place in communities]
    extra = 1
    while len(candidates) < count:
        candidates.append((f"县直机关离退休干部第{extra}党支部", None, None))
        extra += 1
    chosen = candidates[:count]
    return _PartyOrganisation(
        general=tuple(_general_branch_name(s) for s in systems),
        branches=tuple(name for name, _, _ in chosen),
        parents={name: parent for name, parent, _ in chosen},
        local={place: name for name, _, place in chosen if place is not None},
        units=tuple(name for name, _, place in chosen if place is None),
    )


# -- cadres -----------------------------------------------------------------------------


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _mobile(rng: random.Random) -> str:
    # 139 0 + 7 random digits: valid in form, recognisably made up.
    return f"1390{rng.randrange(10**7):07d}"


def _landline(rng: random.Random) -> str:
    return f"{AREA_CODE}-{rng.randrange(2, 9)}{rng.randrange(10**6):06d}"


def _phones(rng: random.Random, lixiu: bool) -> tuple[str, ...]:
    # The oldest cadres more often have only a landline at home.
    draw = rng.random()
    landline_only = 0.5 if lixiu else 0.2
    if draw < landline_only:
        return (_landline(rng),)
    if draw < landline_only + 0.15:
        return (_mobile(rng), _landline(rng))
    return (_mobile(rng),)


def _address(rng: random.Random, grid: BaseGrid) -> str:
    if grid.name.endswith("小区"):
        building, unit = rng.randrange(1, 13), rng.randrange(1, 5)
        room = rng.randrange(1, 7) * 100 + rng.randrange(1, 5)
        return f"{grid.level2}{grid.name}{building}号楼{unit}单元{room}"
    return f"{grid.level2}{grid.name}{rng.randrange(1, 180)}号"


def _id_number(rng: random.Random, birth: date, gender: str, used: set[str]) -> str:
    while True:
        region = rng.choices(REGION_CODES, weights=REGION_WEIGHTS)[0]
        number = make_id_number(region, birth, rng.randrange(ORDER_CODES_PER_GENDER), gender)
        if number not in used:
            used.add(number)
            return number


def _homes(rng: random.Random, grids: Sequence[BaseGrid], count: int) -> list[BaseGrid]:
    """Base grid of each cadre: every grid gets one first (全覆盖), the rest by weight."""
    homes = rng.sample(list(grids), min(count, len(grids)))
    weights = [COMPOUND_WEIGHT if g.name.endswith("小区") else VILLAGE_WEIGHT for g in grids]
    homes += rng.choices(list(grids), weights=weights, k=count - len(homes))
    order = {grid: index for index, grid in enumerate(grids)}
    # The roster lists cadres grid by grid, the way a bureau keeps it.
    return sorted(homes, key=order.__getitem__)


def _pick(rng: random.Random, count: int, share: float) -> set[int]:
    return set(rng.sample(range(count), round(count * share)))


def _branch_for(rng: random.Random, grid: BaseGrid, party: _PartyOrganisation) -> str:
    """Half of the members join the branch of the place they live, if there is one; the
    others stay with the branch of their former work unit."""
    if grid.level2 in party.local and (rng.random() < 0.5 or not party.units):
        return party.local[grid.level2]
    return rng.choice(party.units or party.branches)


def _fill_empty_branches(assigned: dict[int, str], branches: Sequence[str]) -> None:
    """Move members so every branch has at least one, taking from the largest branches."""
    sizes = Counter(assigned.values())
    for branch in branches:
        if sizes[branch] or not assigned:
            continue
        donor = max(branches, key=lambda b: sizes[b])
        if sizes[donor] < 2:
            return  # fewer members than branches: nothing more can be moved
        member = next(i for i, b in assigned.items() if b == donor)
        assigned[member] = branch
        sizes[donor] -= 1
        sizes[branch] += 1


@dataclass(frozen=True)
class _CadreShape:
    """Who is what, decided before any record is made."""

    lixiu: set[int]
    party: set[int]
    alone: set[int]
    hardship: set[int]
    linked: set[int]


def _cadres(
    rng: random.Random,
    grids: Sequence[BaseGrid],
    party: _PartyOrganisation,
    bureau_staff: Sequence[str],
    reserved: set[str],
    counts: tuple[int, int],
    lixiu_share: float,
    as_of: date,
) -> tuple[CadreRecord, ...]:
    party_members, non_members = counts
    total = party_members + non_members
    latest_tuixiu = min(TUIXIU_BIRTH[1], as_of.replace(year=as_of.year - RETIREMENT_AGE))
    if latest_tuixiu < TUIXIU_BIRTH[0]:
        raise ValueError(f"as_of {as_of} is too early for retirees born from 1940")
    shape = _CadreShape(
        lixiu=_pick(rng, total, lixiu_share),
        party=set(rng.sample(range(total), party_members)),
        alone=_pick(rng, total, LIVES_ALONE_SHARE),
        hardship=_pick(rng, total, HARDSHIP_SHARE),
        linked=_pick(rng, total, COORDINATOR_SHARE) if bureau_staff else set(),
    )
    homes = _homes(rng, grids, total)
    assigned = {i: _branch_for(rng, homes[i], party) for i in sorted(shape.party) if party.branches}
    _fill_empty_branches(assigned, party.branches)
    # 一联五包: linked cadres are dealt out to the staff in turn, so loads are even.
    links = {i: bureau_staff[n % len(bureau_staff)] for n, i in enumerate(sorted(shape.linked))}
    used_ids: set[str] = set()
    records = []
    for index, home in enumerate(homes):
        lixiu = index in shape.lixiu
        gender: Gender = "M" if rng.random() < (0.8 if lixiu else 0.6) else "F"
        birth = _random_date(rng, *(LIXIU_BIRTH if lixiu else (TUIXIU_BIRTH[0], latest_tuixiu)))
        records.append(
            CadreRecord(
                row=index + 2,  # the row this cadre takes in the written roster
                name=names.cadre_name(rng, gender, reserved),
                id_number=_id_number(rng, birth, gender, used_ids),
                gender=gender,
                birth_date=birth,
                category="lixiu" if lixiu else "tuixiu",
                phones=_phones(rng, lixiu),
                address=_address(rng, home),
                township=home.level2,
                village=home.name,
                party_branch=assigned.get(index),
                coordinator=links.get(index),
                lives_alone=index in shape.alone,
                hardship=index in shape.hardship,
                status="active",
            )
        )
    return tuple(with_kin(record) for record in records)  # 紧急联系人: most cadres, all living alone


# -- staff and volunteers ---------------------------------------------------------------


def _staff(
    rng: random.Random,
    level2: Sequence[str],
    bureau_staff: int,
    leaders: int,
    taken: set[str],
) -> tuple[StaffRecord, ...]:
    """Leaders, bureau staff, then one grid coordinator (网格员) per level-2 grid."""
    plan: list[tuple[Role, tuple[GridRef, ...]]] = [("leader", ())] * leaders
    plan += [("staff", ())] * bureau_staff
    plan += [("grid", (GridRef(name),)) for name in level2]
    people = []
    for row, (role, grids) in enumerate(plan, start=2):
        gender: Gender = "M" if rng.random() < 0.5 else "F"
        name = names.unique(partial(names.person_name, rng, gender), "", taken)
        people.append(StaffRecord(row, name, role, grids, _mobile(rng)))
    return tuple(people)


def _volunteer_teams(
    rng: random.Random, cadres: Sequence[CadreRecord]
) -> tuple[VolunteerTeam, ...]:
    """Teams drawn from 退休 cadres (the 离休 generation is past volunteering age)."""
    pool = [c.id_number for c in cadres if c.category == "tuixiu"]
    rng.shuffle(pool)
    order = {c.id_number: c.row for c in cadres}
    teams, start = [], 0
    for name, share in zip(names.VOLUNTEER_TEAMS, VOLUNTEER_SHARES, strict=True):
        size = min(max(1, round(len(cadres) * share)), len(pool) - start)
        members = sorted(pool[start : start + size], key=order.__getitem__)
        teams.append(VolunteerTeam(name, tuple(members)))
        start += size
    return tuple(teams)


def build_county(
    seed: int = 2026,
    *,
    townships: int = 12,
    communities: int = 15,
    base_grids: int = 213,
    general_branches: int = 2,
    branches: int = 52,
    party_members: int = 1688,
    non_members: int = 300,
    lixiu_share: float = 0.05,
    bureau_staff: int = 8,
    leaders: int = 2,
    as_of: date,
) -> County:
    """Invent a county shaped like the article's (defaults are its figures); same seed,
    same county."""
    rng = random.Random(seed)
    town_names, community_names = _level2_names(rng, townships, communities)
    grids = _base_grids(rng, town_names, community_names, base_grids)
    party = _party_branches(town_names, community_names, branches, general_branches)
    taken: set[str] = set()
    staff = _staff(rng, town_names + community_names, bureau_staff, leaders, taken)
    linkers = [s.name for s in staff if s.role == "staff"]
    cadres = _cadres(
        rng,
        grids,
        party,
        linkers,
        taken,
        (party_members, non_members),
        lixiu_share,
        as_of,
    )
    return County(
        seed=seed,
        as_of=as_of,
        townships=town_names,
        communities=community_names,
        base_grids=grids,
        general_branches=party.general,
        branches=party.branches,
        branch_parent=party.parents,
        volunteer_teams=_volunteer_teams(rng, cadres),
        staff=staff,
        cadres=cadres,
    )
