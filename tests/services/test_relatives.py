"""A cadre's relatives: added, changed, listed and removed with an audit line; the next of kin is one per cadre."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.people import CadreEvent, Relative
from tests import factories
from yinhui.services.relatives import (
    RelativeError,
    check_relative,
    list_relatives,
    next_of_kin,
    remove_relative,
    save_relative,
)


def _events(session, cadre_id: int) -> list[str]:
    return list(session.execute(
        select(CadreEvent.detail).where(CadreEvent.cadre_id == cadre_id).order_by(CadreEvent.id)).scalars())


def test_relatives_are_added_changed_and_removed_with_an_audit_line_naming_fields_only(session):
    wang = factories.cadre(session, "王建国")
    first = save_relative(session, wang, check_relative("王 明", relation="长子", phones=["139 1234 5670"],
                                                        next_of_kin=True), actor="cli:operator")
    assert first.created and first.relative.name == "王明" and first.relative.relation == "儿子"
    assert first.relative.phones == "13912345670" and first.relative.next_of_kin
    again = save_relative(session, wang, check_relative("王明", phones=["13912345670"]), actor="cli:operator")
    assert not again.created and again.changed == ()  # nothing to change, nothing written
    changed = save_relative(session, wang, check_relative("王明", phones=["13912345671", "0359-7012345"]),
                            actor="cli:operator")
    assert changed.changed == ("phones",) and changed.relative.phone_list == ["13912345671", "0359-7012345"]
    remove_relative(session, wang, "王明", actor="cli:operator")
    assert list_relatives(session, wang.id) == []
    events = _events(session, wang.id)
    assert len(events) == 3 and events[-1].endswith("removed; it was the next of kin")
    assert not any("1391234" in e or "王明" in e for e in events)  # fields, never values


def test_naming_another_next_of_kin_moves_the_flag(session):
    wang = factories.cadre(session, "王建国")
    li = factories.cadre(session, "李秀英")
    save_relative(session, wang, check_relative("王明", relation="子女", next_of_kin=True), actor="t")
    save_relative(session, li, check_relative("李华", relation="配偶", next_of_kin=True), actor="t")
    save_relative(session, wang, check_relative("张兰", relation="老伴", next_of_kin=True), actor="t")
    kin = next_of_kin(session, [wang.id, li.id])
    assert {cid: r.name for cid, r in kin.items()} == {wang.id: "张兰", li.id: "李华"}
    assert [r.name for r in list_relatives(session, wang.id)] == ["张兰", "王明"]  # next of kin first
    assert kin[wang.id].relation == "配偶"
    assert "next of kin moved" in _events(session, wang.id)[-1]


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"name": "王明", "relation": "邻居"}, "relation: unknown relation '邻居'; accepted: 配偶, 子女"),
    ({"name": "王明", "relation": "子女", "phones": ["1391234"]}, "phone: mobile number '****' must be 11 digits"),
    ({"name": " ", "relation": "子女"}, "a relative's name needs 1 to 50 characters"),
    ({"name": "=HYPERLINK()", "relation": "子女"}, "may not hold control characters or start with = + - @"),
])
def test_bad_input_is_refused_in_one_line(kwargs, expected):
    with pytest.raises(RelativeError) as caught:
        check_relative(**kwargs)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_new_relative_needs_a_relation_and_a_refusal_writes_nothing(session):
    wang = factories.cadre(session, "王建国")
    with pytest.raises(RelativeError, match="give the relation"):
        save_relative(session, wang, check_relative("王明", phones=["13912345670"]), actor="t")
    with pytest.raises(RelativeError, match="no relative called 李四"):
        remove_relative(session, wang, "李四", actor="t")
    assert session.execute(select(func.count()).select_from(Relative)).scalar_one() == 0
    assert _events(session, wang.id) == []


def test_a_refusal_speaks_the_readers_language():
    with pytest.raises(RelativeError) as caught:
        check_relative("王明", relation="子女", phones=["1391234"])
    assert caught.value.render("en") == str(caught.value)
    assert caught.value.render("zh").startswith("电话：手机号")
