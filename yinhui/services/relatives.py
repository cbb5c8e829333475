"""A cadre's relatives (亲属): who they are, how to reach them, which one is the next of kin (紧急联系人).

Relatives are asked about the cadre when the cadre cannot come to the phone, told of events in the
relatives' group (亲人群), and visited after a death. One row per cadre and name: adding a known
name again updates it. At most one relative of a cadre is the next of kin; naming another moves
the flag. Every change writes a `CadreEvent` that names the fields, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.people import Cadre, CadreEvent, Relative
from models.types import id_of
from yinhui import i18n
from yinhui.i18n import N_
from yinhui.privacy import mask_phone
from yinhui.roster.fields import FieldError, parse_phones, parse_relation
from yinhui.roster.rows import clean_name
from yinhui.roster.safety import find_unsafe, starts_like_formula
from yinhui.roster.synonyms import DEFAULT_VOCABULARY, Vocabulary
from yinhui.services.errors import CareError

MAX_NAME, MAX_PHONES = 50, 200  # the columns of relative
RELATIVE_ACTION = "relative"  # CadreEvent.action of every change to a cadre's relatives
RELATIONS = tuple(DEFAULT_VOCABULARY.values["relation"])  # 配偶, 子女, 儿子 ... 其他


class RelativeError(CareError):
    """A relative that cannot be saved as given; a cell problem is worded by the roster's own texts."""

    def __init__(self, message: str, /, *, problem: FieldError | None = None, **values: object) -> None:
        self.problem = problem
        super().__init__(message, **values, **({"problem": problem.message("en")} if problem else {}))

    def render(self, language: str | None) -> str:
        if self.problem is None:
            return super().render(language)
        values = {**self.values, "problem": self.problem.message(language or "zh")}
        return i18n.text(language, self.message, **values)


@dataclass(frozen=True)
class RelativeFields:
    """A relative as checked, ready to store; ``None`` leaves a stored value as it is."""

    name: str
    relation: str | None = None
    phones: tuple[str, ...] | None = None
    next_of_kin: bool | None = None
    in_group: bool | None = None


def check_name(value: str) -> str:
    """A relative's name as stored: 2-character names unpadded, 1..50 characters, nothing hidden."""
    name = clean_name(value)
    if not name or len(name) > MAX_NAME:
        raise RelativeError(N_("a relative's name needs 1 to {limit} characters"), limit=MAX_NAME)
    if find_unsafe(name) is not None or starts_like_formula(name):
        raise RelativeError(N_("a relative's name may not hold control characters or start with = + - @"))
    return name


def check_relative(
    name: str,
    *,
    relation: str | None = None,
    phones: Iterable[str] | None = None,
    next_of_kin: bool | None = None,
    in_group: bool | None = None,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> RelativeFields:
    """What an operator typed, checked as a roster cell is: the relation from the known words
    (老伴 is 配偶), phones cleaned like a cadre's (139 1234 5678 → 13912345678)."""
    checked_relation = None
    if relation is not None:
        try:
            checked_relation = parse_relation(relation, vocabulary)
        except FieldError as exc:
            raise RelativeError(N_("relation: {problem}"), problem=exc) from None
    checked_phones = None
    if phones is not None:
        numbers: list[str] = []
        for piece in phones:
            try:
                numbers.extend(parse_phones(piece))
            except FieldError as exc:
                raise RelativeError(N_("phone: {problem}"), problem=exc) from None
        checked_phones = tuple(dict.fromkeys(numbers))
        if len(";".join(checked_phones)) > MAX_PHONES:
            raise RelativeError(N_("too many phone numbers for one relative (at most {limit} characters)"),
                                limit=MAX_PHONES)
    return RelativeFields(check_name(name), checked_relation, checked_phones, next_of_kin, in_group)


def list_relatives(session: Session, cadre_id: int) -> list[Relative]:
    """A cadre's relatives, the next of kin first, then by name."""
    return list(session.execute(
        select(Relative).where(col(Relative.cadre_id) == cadre_id)
        .order_by(col(Relative.next_of_kin).desc(), col(Relative.name))
    ).scalars())


def _find(session: Session, cadre_id: int, name: str) -> Relative | None:
    return session.execute(
        select(Relative).where(col(Relative.cadre_id) == cadre_id, col(Relative.name) == name)
    ).scalar_one_or_none()


def _audit(session: Session, cadre_id: int, actor: str, detail: str) -> None:
    session.add(CadreEvent(cadre_id=cadre_id, actor=actor, action=RELATIVE_ACTION, detail=detail))


@dataclass(frozen=True)
class Saved:
    """What saving a relative did: the row, whether it is new, the fields that changed."""

    relative: Relative
    created: bool
    changed: tuple[str, ...]


def save_relative(session: Session, cadre: Cadre, fields: RelativeFields, *, actor: str) -> Saved:
    """Add a relative, or update the one of that name; naming a next of kin moves the flag to them.

    A new relative needs a relation. Nothing is written when nothing changes.
    """
    cadre_id = id_of(cadre)
    relative = _find(session, cadre_id, fields.name)
    created = relative is None
    if relative is None:
        if fields.relation is None:
            raise RelativeError(N_("{name} is not yet a relative of this cadre: give the relation too"),
                                name=fields.name)
        relative = Relative(cadre_id=cadre_id, name=fields.name, relation=fields.relation, created_by=actor)
    wanted = {
        "relation": fields.relation,
        "phones": ";".join(fields.phones) if fields.phones is not None else None,
        "next_of_kin": fields.next_of_kin,
        "in_group": fields.in_group,
    }
    changed = tuple(
        name for name, value in wanted.items()
        if value is not None and (created or getattr(relative, name) != value)
    )
    if not created and not changed:
        return Saved(relative, False, ())
    for name in changed:
        setattr(relative, name, wanted[name])
    session.add(relative)
    session.flush()
    moved = ""
    if relative.next_of_kin:
        others = session.execute(
            update(Relative)
            .where(col(Relative.cadre_id) == cadre_id, col(Relative.id) != relative.id, col(Relative.next_of_kin))
            .values(next_of_kin=False)
            .execution_options(synchronize_session="fetch")
        )
        moved = "; next of kin moved from another relative" if getattr(others, "rowcount", 0) > 0 else ""
    what = "added" if created else "changed"
    _audit(session, cadre_id, actor, f"relative #{relative.id} {what}: {', '.join(changed)}{moved}")
    return Saved(relative, created, changed)


def remove_relative(session: Session, cadre: Cadre, name: str, *, actor: str) -> Relative:
    """Remove a cadre's relative by name; a name the cadre has no relative of is refused."""
    cadre_id = id_of(cadre)
    relative = _find(session, cadre_id, check_name(name))
    if relative is None:
        known = ", ".join(r.name for r in list_relatives(session, cadre_id)) or "-"
        raise RelativeError(N_("{cadre} has no relative called {name} (known: {known})"),
                            cadre=cadre.name, name=clean_name(name), known=known)
    _audit(session, cadre_id, actor,
           f"relative #{relative.id} removed" + ("; it was the next of kin" if relative.next_of_kin else ""))
    session.delete(relative)
    session.flush()
    return relative


def next_of_kin(session: Session, cadre_ids: Sequence[int]) -> dict[int, Relative]:
    """The next of kin (紧急联系人) of each cadre among ``cadre_ids`` that has one."""
    wanted = sorted(set(cadre_ids))
    found: dict[int, Relative] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for relative in session.execute(
            select(Relative).where(col(Relative.cadre_id).in_(chunk), col(Relative.next_of_kin))
        ).scalars():
            found[relative.cadre_id] = relative
    return found


def relative_row(relative: Relative, *, masked: bool) -> dict[str, object]:
    """A relative as a list shows it; ``masked``: phones as 139****5678 (anything but the operator's terminal)."""
    phones = relative.phone_list
    return {
        "name": relative.name, "relation": relative.relation,
        "phones": [mask_phone(p) for p in phones] if masked else phones,
        "next_of_kin": relative.next_of_kin, "in_group": relative.in_group,
        "created_by": relative.created_by,
    }


def kin_of_tasks(session: Session, task_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    """The next of kin of the cadre of each call (and condolence visit) among ``task_ids``: the
    number to try when the cadre cannot be reached, the family to visit after a death.
    Personal data: for a coordinator's private chat and the operator only."""
    from sqlalchemy import or_

    from models.tasks import Task
    from yinhui.rules.must_visits import DEATH, must_visit_rule

    wanted = sorted(set(task_ids))
    cadre_of: dict[int, int] = {}
    for start in range(0, len(wanted), 900):
        for task_id, cadre_id in session.execute(
            select(col(Task.id), col(Task.cadre_id))
            .where(col(Task.id).in_(wanted[start : start + 900]), col(Task.cadre_id).is_not(None),
                   or_(col(Task.kind) == "call", col(Task.rule) == must_visit_rule(DEATH)))
        ):
            cadre_of[task_id] = cadre_id
    kin = next_of_kin(session, list(cadre_of.values()))
    return {
        task_id: {"name": kin[cadre_id].name, "relation": kin[cadre_id].relation, "phones": kin[cadre_id].phone_list}
        for task_id, cadre_id in cadre_of.items() if cadre_id in kin
    }
