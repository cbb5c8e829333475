"""Small builders for tests: a county with grids, coordinators and cadres, written through the models."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlmodel import Session

from models.people import Cadre, Coordinator
from yinhui.roster.idcard import make_id_number
from yinhui.rules.playbook import Playbook
from yinhui.services.coordinators import save_coordinator
from yinhui.services.grids import GridBook

_seq = itertools.count(1)


def grid(session: Session, township: str, village: str) -> int:
    return GridBook(session).base(township, village).id  # type: ignore[union-attr,return-value]


def coordinator(session: Session, name: str, role: str = "grid", grids: tuple[str, ...] = ()) -> Coordinator:
    return save_coordinator(session, name=name, role=role, grids=list(grids))


def cadre(
    session: Session,
    name: str,
    *,
    township: str = "城关镇",
    village: str = "东街村",
    category: str = "tuixiu",
    birth: dt.date = dt.date(1950, 3, 1),
    gender: str = "M",
    lives_alone: bool = False,
    hardship: bool = False,
    coordinator_id: int | None = None,
    phones: str = "13912345678",
) -> Cadre:
    record = Cadre(
        id_number=make_id_number("142623", birth, next(_seq) % 500, gender),
        name=name,
        gender=gender,
        birth_date=birth,
        category=category,
        phones=phones,
        address=f"{township}{village}1号",
        grid_id=grid(session, township, village),
        lives_alone=lives_alone,
        hardship=hardship,
        coordinator_id=coordinator_id,
    )
    session.add(record)
    session.flush()
    return record


def small_county(session: Session) -> dict[str, object]:
    """Two townships, three base grids, a leader, a township coordinator, a village coordinator."""
    grid(session, "城关镇", "东街村")
    grid(session, "城关镇", "西街村")
    grid(session, "河底镇", "上村")
    leader = coordinator(session, "李局长", "leader", ("老干部局",))
    town = coordinator(session, "王网格", "grid", ("城关镇",))
    village = coordinator(session, "赵村网格", "grid", ("城关镇/东街村",))
    return {"leader": leader, "town": town, "village": village}


def plan_contacts(session: Session, day: dt.date, playbook: Playbook) -> dict[str, int]:
    """The contact cadence's share of a day's plan, as the flow runs it: pauses first, then the tasks.

    Returns the counts by rule, beside what the pauses did (``paused_cancelled`` ...)."""
    from yinhui.rules.cadence import due_cadence
    from yinhui.services.pauses import apply_pauses
    from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners

    leader = refresh_grid_owners(session).leader_id
    counts = apply_pauses(session, day=day, actor="test")
    for due in due_cadence(playbook, day):
        counts[due.rule] = create_cadence_tasks(session, due, day=day, prio=playbook.priority, leader_id=leader,
                                                actor="test")
    return counts
