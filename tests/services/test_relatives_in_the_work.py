"""Relatives in the work: a death plans the condolence visit naming the next of kin, the operator's task
list carries a call's next of kin, and a relatives' group is bound only for a grid."""

from __future__ import annotations

import datetime as dt

import pytest

from models.chat import RELATIVES_AUDIENCE
from tests import factories
from yinhui import clock
from yinhui.playbook_loader import load_playbook
from yinhui.services.chat import create_invite
from yinhui.services.errors import ChatError
from yinhui.services.must_visits import record_occurrence
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.relatives import check_relative, kin_of_tasks, save_relative
from yinhui.services.task_views import list_tasks

D = dt.date.fromisoformat
PLAYBOOK = load_playbook()


@pytest.fixture
def county(session):
    people = factories.small_county(session)
    refresh_grid_owners(session)
    return people


def _death(session, cadre_id: int):  # noqa: ANN202
    with clock.frozen_at(D("2026-03-02")):
        return record_occurrence(session, cadre_id=cadre_id, kind="去世", on=D("2026-03-01"), actor="cli:operator",
                                 playbook=PLAYBOOK, today=D("2026-03-02"))


def test_a_death_plans_the_condolence_visit_to_the_next_of_kin_by_name(session, county):
    wang = factories.cadre(session, "王建国")
    save_relative(session, wang, check_relative("王明", relation="长子", phones=["13911112222"], next_of_kin=True),
                  actor="t")
    save_relative(session, wang, check_relative("李芳", relation="儿媳"), actor="t")
    result = _death(session, wang.id)
    assert result.task is not None and result.task.kind == "must_visit"
    assert result.task.note == "慰问家属：王明（儿子）"
    assert kin_of_tasks(session, [result.task.id])[result.task.id]["phones"] == ["13911112222"]
    [row] = [r for r in list_tasks(session, status="live") if r["id"] == result.task.id]
    assert row["next_of_kin"] == {"name": "王明", "relation": "儿子", "phones": ["13911112222"]}


def test_without_a_next_of_kin_the_visit_says_so(session, county):
    li = factories.cadre(session, "李秀英", gender="F")
    result = _death(session, li.id)
    assert result.task is not None
    assert result.task.note.startswith("未登记紧急联系人")


def test_a_relatives_group_code_is_for_a_grid_only(session, county):
    coordinator = county["village"]
    with pytest.raises(ChatError, match="relatives' group is bound for a grid"):
        create_invite(session, coordinator_id=coordinator.id, audience=RELATIVES_AUDIENCE)
    with pytest.raises(ChatError):
        create_invite(session, grid_id=factories.grid(session, "城关镇", "东街村"), audience="families")
