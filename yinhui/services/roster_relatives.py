"""The relatives and volunteer teams a roster brings (亲属, 志愿服务队): what they would change, and writing it.

Relatives are matched by cadre and name, so a re-import updates them and changes nothing the
second time. A relative the operator added by hand (`yinhui relative add`) is kept, unless the
roster's 亲属 sheet lists that cadre's relatives: then the sheet is the whole list for that cadre
and a relative it does not name is removed. The next of kin beside a cadre's row (紧急联系人) is
added or updated, and becomes the next of kin, without touching the cadre's other relatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from models.organisations import VolunteerTeam
from models.people import ACTIVE, Cadre, Relative
from yinhui import i18n
from yinhui.i18n import N_
from yinhui.privacy import mask_phone
from yinhui.roster import CadreRecord, RosterCheck
from yinhui.roster.messages import scrub
from yinhui.roster.relatives import RelativeRecord
from yinhui.services.relatives import RelativeFields, remove_relative, save_relative
from yinhui.services.volunteering import set_cadre_teams

_CHUNK = 900
NEW = N_("{where}: {cadre}'s relative {name} ({relation}): new")
CHANGED = N_("{where}: {cadre}'s relative {name}: {changes}")
REMOVED = N_("{cadre}'s relative {name}: removed (not on the sheet {sheet})")
ROW = N_("row {row}")
SHEET_ROW = N_("{sheet} row {row}")
FIELD_NAMES = {"relation": N_("relation"), "phones": N_("phones"), "next_of_kin": N_("next of kin"),
               "in_group": N_("in the relatives' group")}  # fmt: skip


@dataclass(frozen=True)
class RelativeChange:
    """One relative a roster adds, changes or removes; ``fields``: (field, old, new) of a change."""

    record: RelativeRecord | None  # None: removed
    cadre: str
    name: str
    relation: str
    fields: tuple[tuple[str, object, object], ...] = ()
    sheet: str = ""
    cadre_id_number: str = ""  # of a removal (a change has it in its record)

    def describe(self, lang: str) -> str:
        """One line for the operator's dry run; phones masked."""
        if self.record is None:
            return i18n.text(lang, REMOVED, cadre=self.cadre, name=scrub(self.name), sheet=self.sheet)
        where = (i18n.text(lang, SHEET_ROW, sheet=self.record.sheet, row=self.record.row) if self.record.sheet
                 else i18n.text(lang, ROW, row=self.record.row))
        if not self.fields:
            return i18n.text(lang, NEW, where=where, cadre=self.cadre, name=scrub(self.name), relation=self.relation)
        changes = ", ".join(f"{i18n.text(lang, FIELD_NAMES[f])} {_shown(old, lang)} → {_shown(new, lang)}"
                            for f, old, new in self.fields)
        return i18n.text(lang, CHANGED, where=where, cadre=self.cadre, name=scrub(self.name), changes=changes)


def _shown(value: object, lang: str) -> str:
    if isinstance(value, bool):
        return i18n.text(lang, N_("yes") if value else N_("no"))
    if isinstance(value, tuple):
        return "/".join(mask_phone(p) for p in value) or i18n.text(lang, N_("(empty)"))
    return scrub(str(value), 40)


def _cadres(session: Session, numbers: Sequence[str]) -> dict[str, Cadre]:
    found: dict[str, Cadre] = {}
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), _CHUNK):
        for cadre in session.execute(select(Cadre).where(col(Cadre.id_number).in_(wanted[start : start + _CHUNK]))).scalars():
            found[cadre.id_number] = cadre
    return found


def _stored(session: Session, cadre_ids: Sequence[int]) -> dict[int, list[Relative]]:
    found: dict[int, list[Relative]] = {}
    wanted = sorted(set(cadre_ids))
    for start in range(0, len(wanted), _CHUNK):
        for relative in session.execute(
            select(Relative).where(col(Relative.cadre_id).in_(wanted[start : start + _CHUNK])).order_by(col(Relative.name))
        ).scalars():
            found.setdefault(relative.cadre_id, []).append(relative)
    return found


def _differences(record: RelativeRecord, stored: Relative) -> tuple[tuple[str, object, object], ...]:
    pairs = [("relation", stored.relation, record.relation), ("phones", tuple(stored.phone_list), record.phones),
             ("next_of_kin", stored.next_of_kin, record.next_of_kin), ("in_group", stored.in_group, record.in_group)]
    # An empty phone cell beside a known number keeps the number; a flag the file does not give is kept.
    return tuple((f, old, new) for f, old, new in pairs if new is not None and new != () and old != new)


def plan_relatives(session: Session, check: RosterCheck, names: dict[str, str]) -> list[RelativeChange]:
    """What the roster's relatives would change, per relative (``names``: ID number → the cadre's name)."""
    cadres = _cadres(session, [r.cadre_id_number for r in check.relatives] + list(check.relatives_listed))
    stored = _stored(session, [c.id or 0 for c in cadres.values()])
    changes: list[RelativeChange] = []
    named: set[tuple[str, str]] = set()
    for record in check.relatives:
        named.add((record.cadre_id_number, record.name))
        cadre = cadres.get(record.cadre_id_number)
        known = {r.name: r for r in stored.get(cadre.id or 0, [])} if cadre else {}
        before = known.get(record.name)
        who = names.get(record.cadre_id_number, "?")
        if before is None:
            changes.append(RelativeChange(record, who, record.name, record.relation))
        elif fields := _differences(record, before):
            changes.append(RelativeChange(record, who, record.name, record.relation, fields))
    for number in sorted(check.relatives_listed):
        cadre = cadres.get(number)
        for relative in stored.get(cadre.id or 0, []) if cadre else []:
            if (number, relative.name) not in named:
                sheet = next((r.sheet for r in check.relatives if r.sheet), "")
                changes.append(RelativeChange(None, cadre.name if cadre else "?", relative.name, relative.relation,
                                              sheet=sheet, cadre_id_number=number))
    return changes


def apply_relatives(session: Session, changes: Sequence[RelativeChange], *, actor: str) -> dict[str, int]:
    """Write the planned relative changes (after the cadres are written); counts new, changed, removed."""
    cadres = _cadres(session, [c.record.cadre_id_number if c.record else c.cadre_id_number for c in changes])
    counts = {"new": 0, "changed": 0, "removed": 0}
    # Removals first, then the next of kin last of all, so the flag ends where the file puts it.
    for change in sorted(changes, key=lambda c: (c.record is not None, bool(c.record and c.record.next_of_kin))):
        record = change.record
        if record is None:
            remove_relative(session, cadres[change.cadre_id_number], change.name, actor=actor)
            counts["removed"] += 1
            continue
        fields = RelativeFields(record.name, record.relation, record.phones or None, record.next_of_kin,
                                record.in_group)
        saved = save_relative(session, cadres[record.cadre_id_number], fields, actor=actor)
        counts["new" if saved.created else "changed"] += 1
    return counts


def known_teams(session: Session) -> set[str]:
    """The volunteer teams a roster's 志愿服务队 cell may name (teams are created with `yinhui volunteer team add`)."""
    return set(session.execute(select(col(VolunteerTeam.name))).scalars())


def apply_teams(session: Session, records: Sequence[CadreRecord], *, actor: str) -> tuple[int, int]:
    """Make each active cadre's teams those of its 志愿服务队 cell (when the roster has the column);
    returns (joined, left)."""
    listed = [r for r in records if r.teams is not None and r.status == ACTIVE]
    cadres = _cadres(session, [r.id_number for r in listed])
    joined = left = 0
    for record in listed:
        added, dropped = set_cadre_teams(session, cadres[record.id_number].id or 0, list(record.teams or ()), actor)
        joined, left = joined + len(added), left + len(dropped)
    return joined, left
