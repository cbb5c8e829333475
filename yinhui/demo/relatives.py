"""The demo county's relatives (亲属): a next of kin for most cadres and every one living alone.

Drawn from each cadre's own seed (the ID number), so they never shift the county's other draws
and the same county always has the same families.
"""

from __future__ import annotations

import random
from dataclasses import replace

from yinhui.demo import names
from yinhui.roster import CadreRecord, Gender
from yinhui.roster.relatives import kin_record

KIN_SHARE = 0.8  # cadres not living alone who name a next of kin on the roster
# Who a retired cadre's emergency contact (紧急联系人) is, as the roster writes it.
RELATIONS: tuple[tuple[str, int], ...] = (("儿子", 35), ("女儿", 30), ("配偶", 15), ("儿媳", 8), ("女婿", 5),
                                          ("孙子女", 5), ("兄弟姐妹", 2))
_DAUGHTERS = frozenset({"女儿", "儿媳"})


def next_of_kin(cadre: CadreRecord) -> tuple[str, str, str] | None:
    """(name, relation, mobile) of the cadre's next of kin, or None (about one in five has none on file)."""
    rng = random.Random(f"kin:{cadre.id_number}")
    if not cadre.lives_alone and rng.random() >= KIN_SHARE:
        return None
    relation = rng.choices([r for r, _ in RELATIONS], weights=[w for _, w in RELATIONS])[0]
    if relation == "配偶" and cadre.lives_alone:
        relation = "女儿"  # living alone: no spouse at home to call
    gender: Gender = "F" if relation in _DAUGHTERS or (relation == "配偶" and cadre.gender == "M") else "M"
    name = names.person_name(rng, gender)
    if relation in ("儿子", "女儿", "孙子女", "兄弟姐妹"):
        name = cadre.name[0] + name[1:]  # the family's surname
    mobile = "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
    return name, relation, mobile


def with_kin(cadre: CadreRecord) -> CadreRecord:
    """The cadre as the roster reads it back: with the next of kin written beside them, if any."""
    kin = next_of_kin(cadre)
    return replace(cadre, kin=kin_record(cadre.row, cadre.id_number, (kin[0], kin[1], (kin[2],)))) if kin else cadre


def kin_cells(cadre: CadreRecord) -> tuple[str, str, str]:
    """紧急联系人, 与本人关系, 紧急联系人电话 as the roster's row writes them."""
    if cadre.kin is None:
        return "", "", ""
    return cadre.kin.name, cadre.kin.relation, "；".join(cadre.kin.phones)
