"""Roster import (花名册导入): check a file in one round, show what it would change, and write it
into the database: all of it, or (on any problem, or any protected change not confirmed) nothing.

A re-import never brings a cadre back from 去世/迁出, and never undoes what was recorded after
the file was written, unless the operator confirms that cadre by ID number: an older roster
still saying 正常 would otherwise give a dead man calls and a Spring Festival visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pendulum
from sqlalchemy import select
from sqlmodel import Session, col

from models.grids import Grid
from models.organisations import PartyOrg
from models.people import ACTIVE, Cadre, Coordinator
from models.types import utcnow
from yinhui import clock
from yinhui.privacy import mask_id_number
from yinhui.roster import (
    DEFAULT_VOCABULARY,
    ROSTER_COLUMNS,
    CadreRecord,
    ProblemList,
    RosterCheck,
    RosterLimits,
    RosterOptions,
    RowError,
    StaffRecord,
    VocabularyError,
    load_roster,
    read_table,
    validate_roster,
)
from yinhui.roster.changes import CadreChange, StoredCadre, compare, protection
from yinhui.roster.problems import omitted_line
from yinhui.roster.relatives import relatives_table
from yinhui.roster.staff_words import with_staff_words
from yinhui.rules.playbook import Playbook, PlaybookError
from yinhui.services.cadres import set_cadre_status
from yinhui.services.coordinators import save_coordinator
from yinhui.services.grids import GridBook
from yinhui.services.organisations import BranchBook
from yinhui.services.roster_relatives import (
    RelativeChange,
    apply_relatives,
    apply_teams,
    known_teams,
    plan_relatives,
)

_CHUNK = 900  # ID numbers per IN (...) query, below SQLite's variable limit


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: list[tuple[str, str, str, int]] = field(default_factory=list)  # name, old, new, cancelled
    absent: list[tuple[str, str, str]] = field(default_factory=list)  # name, masked ID, grid
    grids_created: list[str] = field(default_factory=list)
    branches_created: list[str] = field(default_factory=list)
    changes: list[CadreChange] = field(default_factory=list)  # per cadre created or changed
    relatives: dict[str, int] = field(default_factory=dict)  # new, changed, removed
    teams: tuple[int, int] = (0, 0)  # team memberships joined, left


class ImportRejected(ValueError):
    """The file is valid on its own but does not fit the database: an unknown 责任人, or changes
    a roster may not make without the operator confirming them (``errors`` say which and how)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) do not fit the database")
        self.errors = list(errors)


@dataclass
class RosterPlan:
    """What a roster would do, computed without writing anything (the dry run)."""

    changes: list[CadreChange]  # created or changed cadres, in file order
    unchanged: int
    protected: list[RowError]  # changes not confirmed: the import is refused while any is left
    absent: list[tuple[str, str, str]]  # active cadres not in the file: name, masked ID, grid
    relatives: list[RelativeChange] = field(default_factory=list)  # relatives added, changed or removed

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.created)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if not c.created)

    def lines(self, lang: str = "zh") -> list[str]:
        """The dry run's text: one line per cadre, then per relative; ID numbers and phones masked."""
        return [change.describe(lang) for change in self.changes] + [r.describe(lang) for r in self.relatives]


@dataclass
class RosterImport:
    """The outcome of ``import_roster_file``: the check, the plan, and what was written."""

    check: RosterCheck
    plan: RosterPlan | None = None
    result: ImportResult | None = None
    errors: list[RowError] = field(default_factory=list)  # why nothing was written (the first ones)
    omitted: dict[str, int] = field(default_factory=dict)  # kind -> problems not in ``errors``

    @property
    def written(self) -> bool:
        return self.result is not None

    def omitted_line(self, lang: str = "zh") -> str | None:
        """'… and 1,234 more not listed: …' to print after ``errors``, or None."""
        return omitted_line(self.omitted, lang)


# -- options from the playbook ------------------------------------------------------------------


def roster_options(playbook: Playbook | None = None) -> RosterOptions:
    """The reader's words and limits: Yinhui's table plus the playbook's ``[roster]`` section.

    Raises PlaybookError when the bureau's words contradict the table (a header already naming
    another column).
    """
    if playbook is None:
        from yinhui.playbook_loader import current_playbook

        playbook = current_playbook()
    section = playbook.roster
    values = {kind: words for kind, words in section.value_synonyms.model_dump().items() if words}
    try:
        vocabulary = with_staff_words(DEFAULT_VOCABULARY.extended(
            column_synonyms=dict(section.column_synonyms.items()),
            value_synonyms=values,
            ignore_columns=section.ignore_columns,
        ), dict(section.staff_column_synonyms.items()))
    except VocabularyError as exc:
        raise PlaybookError("playbook", exc.key, exc.reason) from None
    return RosterOptions(vocabulary, RosterLimits.merged(section.limits.model_dump()))


def check_roster_file(
    session: Session, path: Path | str, *, playbook: Playbook | None = None, today: dt.date | None = None
) -> RosterCheck:
    """Read and check a roster file: every problem in one round, unknown 责任人 included.

    Raises RosterFileError when the file itself cannot be read, PlaybookError for a bad ``[roster]``.
    """
    names = set(session.execute(select(col(Coordinator.name))).scalars())
    return load_roster(path, today=today, options=roster_options(playbook), coordinators=names,
                       teams=known_teams(session))


def file_written_at(path: Path | str) -> dt.datetime:
    """When the file was last written (its modification time), as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(Path(path).stat().st_mtime, tz=dt.UTC)


def day_written_at(day: dt.date) -> dt.datetime:
    """A file the operator says is "of" ``day`` holds what was known by that day's end."""
    start = pendulum.datetime(day.year, day.month, day.day, tz=clock.tz()).add(days=1)
    return dt.datetime.fromtimestamp(start.timestamp(), tz=dt.UTC)


# -- planning (reads only) ----------------------------------------------------------------------


def _stored(session: Session, numbers: Sequence[str]) -> tuple[dict[str, Cadre], dict[str, StoredCadre]]:
    cadres: dict[str, Cadre] = {}
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        for cadre in session.execute(select(Cadre).where(col(Cadre.id_number).in_(chunk))).scalars():
            cadres[cadre.id_number] = cadre
    if not cadres:
        return cadres, {}
    grids = {g.id: g for g in session.execute(select(Grid)).scalars()}
    branches: dict[int, str] = {i: n for i, n in session.execute(select(col(PartyOrg.id), col(PartyOrg.name)))}
    staff: dict[int, str] = {i: n for i, n in session.execute(select(col(Coordinator.id), col(Coordinator.name)))}
    zone = clock.tz()
    snapshots = {}
    for number, c in cadres.items():
        grid = grids.get(c.grid_id)
        parent = grids.get(grid.parent_id) if grid is not None and grid.parent_id else None
        snapshots[number] = StoredCadre(
            name=c.name, gender=c.gender, birth_date=c.birth_date, category=c.category,
            phones=tuple(c.phone_list), address=c.address,
            township=parent.name if parent else "", village=grid.name if grid else "",
            party_branch=branches.get(c.branch_id) if c.branch_id else None,
            coordinator=staff.get(c.coordinator_id) if c.coordinator_id else None,
            lives_alone=c.lives_alone, hardship=c.hardship, status=c.status,
            status_since=c.status_since, changed_at=c.updated_at,
            changed_on=pendulum.instance(c.updated_at).in_timezone(zone).date(),
        )  # fmt: skip
    return cadres, snapshots


def _absent(session: Session, numbers: Iterable[str]) -> list[tuple[str, str, str]]:
    in_file = set(numbers)
    book = GridBook(session)
    absent = []
    for name, id_number, grid_id in session.execute(
        select(col(Cadre.name), col(Cadre.id_number), col(Cadre.grid_id))
        .where(col(Cadre.status) == ACTIVE)
        .order_by(col(Cadre.grid_id), col(Cadre.name))
    ):
        if id_number not in in_file:
            grid = book.by_id.get(grid_id)
            absent.append((name, mask_id_number(id_number), book.path(grid) if grid else "?"))
    return absent


def plan_roster(
    session: Session,
    records: Sequence[CadreRecord],
    *,
    written_at: dt.datetime | None = None,
    confirm: Collection[str] = (),
    headers: Mapping[str, str] | None = None,
) -> RosterPlan:
    """What importing ``records`` would change, per cadre, without writing anything.

    ``written_at``: when the file was written (``file_written_at``, ``day_written_at``); a cadre
    changed after it is protected. ``confirm``: ID numbers whose protected changes the operator
    confirmed. ``headers``: field → header as the file wrote it (``RosterCheck.table.columns``).
    """
    confirmed = {number.strip().upper() for number in confirm}
    _, stored = _stored(session, [r.id_number for r in records])
    written_on = pendulum.instance(written_at).in_timezone(clock.tz()).date() if written_at else None
    changes: list[CadreChange] = []
    protected: list[RowError] = []
    unchanged = 0
    for record in records:
        before = stored.get(record.id_number)
        if before is None:
            changes.append(CadreChange(record.row, record.name, record.id_number, created=True))
            continue
        fields = compare(record, before)
        if not fields:
            unchanged += 1
            continue
        refusal = protection(record, before, fields, written_at=written_at, written_on=written_on,
                             headers=headers or {})  # fmt: skip
        if refusal is not None and record.id_number not in confirmed:
            protected.append(refusal)
        changes.append(CadreChange(record.row, record.name, record.id_number, False, fields, refusal))
    return RosterPlan(changes, unchanged, protected, _absent(session, (r.id_number for r in records)))


# -- writing ------------------------------------------------------------------------------------


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
    written_at: dt.datetime | None = None,
    confirm: Collection[str] = (),
    headers: Mapping[str, str] | None = None,
) -> ImportResult:
    """Upsert cadres by ID number. Nobody is deleted: cadres missing from the file are reported.

    Raises ImportRejected, writing nothing, for an unknown 责任人 or a protected change not in
    ``confirm`` (see ``plan_roster``).
    """
    headers = {"coordinator": coordinator_header, **(headers or {})}
    coordinators = _coordinator_ids(session, records, headers["coordinator"])
    plan = plan_roster(session, records, written_at=written_at, confirm=confirm, headers=headers)
    if plan.protected:
        raise ImportRejected(plan.protected)
    existing, _ = _stored(session, [c.id_number for c in plan.changes if not c.created])
    grids, branches = GridBook(session), BranchBook(session)
    result = ImportResult(unchanged=plan.unchanged, absent=plan.absent, changes=plan.changes)
    by_number = {r.id_number: r for r in records}
    now = utcnow()
    for change in plan.changes:
        record = by_number[change.id_number]
        grid = grids.base(record.township, record.village)
        assert grid is not None  # base() creates a missing grid, so it always returns one
        values: dict[str, Any] = {
            "name": record.name, "gender": record.gender, "birth_date": record.birth_date,
            "category": record.category, "phones": ";".join(record.phones), "address": record.address,
            "grid_id": grid.id,
            "branch_id": branches.branch(record.party_branch).id if record.party_branch else None,
            "coordinator_id": coordinators.get(record.coordinator) if record.coordinator else None,
            "lives_alone": record.lives_alone, "hardship": record.hardship,
        }  # fmt: skip
        cadre = existing.get(record.id_number)
        if cadre is None:
            cadre = Cadre(id_number=record.id_number, status=ACTIVE, **values)
            session.add(cadre)
            session.flush()
            result.created += 1
        else:
            for name, value in values.items():
                setattr(cadre, name, value)
            cadre.updated_at = now
            session.add(cadre)
            result.updated += 1
        if cadre.status != record.status:
            old = cadre.status
            cancelled = set_cadre_status(
                session, cadre, status=record.status, on=on, reason=f"roster import: status {record.status}", actor=actor
            )
            result.status_changes.append((cadre.name, old, record.status, cancelled))
    result.grids_created = [grids.path(g) for g in grids.created]
    result.branches_created = [b.name for b in branches.created]
    session.flush()
    return result


def import_roster_file(
    session: Session,
    path: Path | str,
    *,
    actor: str,
    on: dt.date,
    file_date: dt.date | None = None,
    confirm: Collection[str] = (),
    dry_run: bool = False,
    playbook: Playbook | None = None,
    progress: Callable[[], object] | None = None,
) -> RosterImport:
    """Check a roster file and, unless ``dry_run``, write it: the one call behind import-roster.

    Nothing is written when the check finds any problem (``errors``, capped; the rest counted in
    ``check.omitted``) or the file would make a protected change not in ``confirm`` (ID numbers).
    The file counts as written at its modification time, or at the end of ``file_date`` when the
    operator gives it. The plan (``plan.lines()``) lists every field that would change.
    ``progress`` is called once per data row read (a progress bar).
    Raises RosterFileError (the file) and PlaybookError (its ``[roster]`` section).
    """
    options = roster_options(playbook)
    names = set(session.execute(select(col(Coordinator.name))).scalars())
    table = read_table(path, ROSTER_COLUMNS, options=options)
    if progress is not None:
        table = replace(table, rows=_Ticking(table.rows, progress))
    check = validate_roster(table, today=on, options=options, coordinators=names, teams=known_teams(session),
                            relatives=relatives_table(path, options))
    if not check.ok:
        return RosterImport(check, errors=check.errors, omitted=check.omitted)
    headers = dict(check.table.columns) if check.table else {}
    written_at = day_written_at(file_date) if file_date else file_written_at(path)
    plan = plan_roster(session, check.records, written_at=written_at, confirm=confirm, headers=headers)
    plan.relatives = plan_relatives(session, check, {r.id_number: r.name for r in check.records})
    if plan.protected or dry_run:
        listed = ProblemList(options.limits.max_errors)
        listed.extend(plan.protected)
        return RosterImport(check, plan, errors=listed.listed(), omitted=listed.omitted())
    result = apply_roster(session, check.records, actor=actor, on=on, written_at=written_at,
                          confirm=confirm, headers=headers)  # fmt: skip
    result.relatives = apply_relatives(session, plan.relatives, actor=actor)
    result.teams = apply_teams(session, check.records, actor=actor)
    return RosterImport(check, plan, result)


class _Ticking:
    """A table's rows, calling ``tick`` for each."""

    def __init__(self, rows: Iterable[tuple[int, dict[str, object]]], tick: Callable[[], object]) -> None:
        self._rows, self._tick = rows, tick

    def __iter__(self) -> Iterator[tuple[int, dict[str, object]]]:
        for row in self._rows:
            self._tick()
            yield row


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
