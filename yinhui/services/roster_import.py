"""Writes a checked roster or staff sheet into the database: all of it, or (on any error) nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.people import ACTIVE, Cadre, Coordinator
from models.types import utcnow
from yinhui.privacy import mask_id_number
from yinhui.roster import CadreRecord, RowError, StaffRecord
from yinhui.services.cadres import set_cadre_status
from yinhui.services.coordinators import save_coordinator
from yinhui.services.grids import GridBook
from yinhui.services.organisations import BranchBook

_FIELDS = ("name", "gender", "birth_date", "category", "phones", "address", "grid_id", "branch_id",
           "coordinator_id", "lives_alone", "hardship")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: list[tuple[str, str, str, int]] = field(default_factory=list)  # name, old, new, cancelled
    absent: list[tuple[str, str, str]] = field(default_factory=list)  # name, masked ID, grid
    grids_created: list[str] = field(default_factory=list)
    branches_created: list[str] = field(default_factory=list)


class ImportRejected(ValueError):
    """The file is valid on its own but does not fit the database (e.g. an unknown 责任人)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) do not fit the database")
        self.errors = list(errors)


def _coordinator_ids(session: Session, records: Sequence[CadreRecord], header: str) -> dict[str, int]:
    wanted = {r.coordinator for r in records if r.coordinator}
    known = dict(
        session.execute(select(col(Coordinator.name), col(Coordinator.id)).where(col(Coordinator.name).in_(wanted))).all()
    ) if wanted else {}
    errors = [
        RowError(r.row, header, "coordinator_unknown", {"name": r.coordinator})
        for r in records
        if r.coordinator and r.coordinator not in known
    ]
    if errors:
        raise ImportRejected(errors)
    return known


def apply_roster(
    session: Session,
    records: Sequence[CadreRecord],
    *,
    coordinator_header: str = "责任人",
    actor: str,
    on: dt.date,
) -> ImportResult:
    """Upsert cadres by ID number. Nobody is deleted: cadres missing from the file are reported."""
    coordinators = _coordinator_ids(session, records, coordinator_header)
    grids, branches = GridBook(session), BranchBook(session)
    existing: dict[str, Cadre] = {}
    numbers = [r.id_number for r in records]
    for start in range(0, len(numbers), 900):
        chunk = numbers[start : start + 900]
        for cadre in session.execute(select(Cadre).where(col(Cadre.id_number).in_(chunk))).scalars():
            existing[cadre.id_number] = cadre
    result = ImportResult()
    now = utcnow()
    for record in records:
        grid = grids.base(record.township, record.village)
        assert grid is not None  # base() creates a missing grid, so it always returns one
        values: dict[str, Any] = {
            "name": record.name,
            "gender": record.gender,
            "birth_date": record.birth_date,
            "category": record.category,
            "phones": ";".join(record.phones),
            "address": record.address,
            "grid_id": grid.id,
            "branch_id": branches.branch(record.party_branch).id if record.party_branch else None,
            "coordinator_id": coordinators.get(record.coordinator) if record.coordinator else None,
            "lives_alone": record.lives_alone,
            "hardship": record.hardship,
        }
        cadre = existing.get(record.id_number)
        if cadre is None:
            cadre = Cadre(id_number=record.id_number, status=ACTIVE, **values)
            session.add(cadre)
            session.flush()
            result.created += 1
        else:
            changed = [f for f in _FIELDS if getattr(cadre, f) != values[f]]
            for name in changed:
                setattr(cadre, name, values[name])
            if changed:
                cadre.updated_at = now
                session.add(cadre)
                result.updated += 1
            elif cadre.status == record.status:
                result.unchanged += 1
        if cadre.status != record.status:
            old = cadre.status
            cancelled = set_cadre_status(
                session, cadre, status=record.status, on=on, reason=f"roster import: status {record.status}", actor=actor
            )
            result.status_changes.append((cadre.name, old, record.status, cancelled))
    in_file = set(numbers)
    for name, id_number, grid_id in session.execute(
        select(col(Cadre.name), col(Cadre.id_number), col(Cadre.grid_id))
        .where(col(Cadre.status) == ACTIVE)
        .order_by(col(Cadre.grid_id), col(Cadre.name))
    ):
        if id_number not in in_file:
            grid = grids.by_id.get(grid_id)
            result.absent.append((name, mask_id_number(id_number), grids.path(grid) if grid else "?"))
    result.grids_created = [grids.path(g) for g in grids.created]
    result.branches_created = [b.name for b in branches.created]
    session.flush()
    return result


@dataclass
class StaffImportResult:
    created: int = 0
    updated: int = 0
    grids_created: list[str] = field(default_factory=list)


def apply_staff(session: Session, records: Sequence[StaffRecord]) -> StaffImportResult:
    """Upsert coordinators by name; grids named on the sheet are created if the roster has not yet."""
    book = GridBook(session)
    names = {r.name for r in records}
    known = set(session.execute(select(col(Coordinator.name)).where(col(Coordinator.name).in_(names))).scalars()) if names else set()
    result = StaffImportResult()
    for record in records:
        refs = []
        for ref in record.grids:
            if ref.level3:
                book.base(ref.level2, ref.level3)
            else:
                book.township(ref.level2)
            refs.append(str(ref))
        save_coordinator(session, name=record.name, role=record.role, grids=refs, phone=record.phone, book=book, replace=True)
        if record.name in known:
            result.updated += 1
        else:
            result.created += 1
    result.grids_created = [book.path(g) for g in book.created]
    return result
