"""Editing one cadre (`edit_cadre`): checked as the roster import checks its cells, audited by field
name only, nothing written on a refusal; a living-alone or hardship change re-orders festival visits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.people import Cadre, CadreEvent
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.services.cadres import EditRefused, edit_cadre
from yinhui.services.calendar import work_calendar
from yinhui.services.errors import CareError, CoordinatorError
from yinhui.services.festivals import plan_festival_visits
from yinhui.services.pauses import pause_cadre
from yinhui.services.planning import refresh_grid_owners

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def _edit(session, cadre: Cadre, today: str = "2026-11-03", **changes):
    return edit_cadre(session, cadre, actor="cli:operator", playbook=PLAYBOOK,
                      calendar=work_calendar(session, PLAYBOOK), today=D(today), **changes)


def _events(session) -> list[tuple[str, str]]:
    return [tuple(r) for r in session.execute(select(CadreEvent.action, CadreEvent.detail).order_by(CadreEvent.id))]


def test_an_edit_is_normalised_as_on_import_and_audited_by_field_name(session):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    done = _edit(session, cadre, phone="139 1234 5678、0359-7012345", address="  城关镇 东街村 3号  ")
    assert done.fields == ("phones", "address")
    assert (cadre.phones, cadre.address) == ("13912345678;0359-7012345", "城关镇 东街村 3号")
    ((action, detail),) = _events(session)
    assert action == "edit" and json.loads(detail) == {"fields": ["phones", "address"]}
    assert "7012345" not in detail and "东街村" not in detail
    assert _edit(session, cadre, phone="13912345678;0359-7012345").fields == ()  # the same again: no event
    assert len(_events(session)) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"phone": "12345"}, "--phone: "),
    ({"phone": "13912345678", "address": "=HYPERLINK(\"x\")"}, "--address: starts with '='"),
    ({"address": "路" * 201}, "--address: 201 characters; at most 200 fit"),
    ({"address": "东街\u200b村"}, "--address: "),
])
def test_a_bad_value_is_refused_and_nothing_is_written(session, changes, message):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    before = (cadre.phones, cadre.address)
    with pytest.raises(EditRefused) as refused:
        _edit(session, cadre, **changes)
    assert str(refused.value).startswith(message) and str(refused.value).endswith("nothing was changed")
    assert "\n" not in str(refused.value)
    session.refresh(cadre)
    assert (cadre.phones, cadre.address) == before
    assert session.execute(select(func.count()).select_from(CadreEvent)).scalar_one() == 0


def test_the_refusal_speaks_the_readers_language(session):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    with pytest.raises(EditRefused) as refused:
        _edit(session, cadre, phone="12345")
    assert refused.value.render("zh").startswith("--phone：") or "--phone" in refused.value.render("zh")
    assert refused.value.render("zh") != str(refused.value)


def test_a_new_coordinator_takes_the_live_tasks_along(session):
    people = factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    refresh_grid_owners(session)
    plan_festival_visits(session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK), day=D("2026-01-27"),
                         leader_id=people["leader"].id, actor="test")
    visit = session.execute(select(Task).where(Task.cadre_id == cadre.id)).scalar_one()
    assert visit.assignee_id == people["village"].id
    done = _edit(session, cadre, today="2026-01-28", coordinator="王网格")
    assert (done.fields, done.reassigned) == (("coordinator_id",), 1)
    session.refresh(visit)
    assert visit.assignee_id == people["town"].id
    with pytest.raises(CoordinatorError):
        _edit(session, cadre, coordinator="无此人")
    with pytest.raises(CareError, match="nothing to change"):
        _edit(session, cadre)


def test_living_alone_moves_the_festival_visit_up_the_list(session):
    people = factories.small_county(session)
    cadre = factories.cadre(session, "王建国", birth=D("1955-01-01"))
    refresh_grid_owners(session)
    plan_festival_visits(session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK), day=D("2026-01-27"),
                         leader_id=people["leader"].id, actor="test")
    visit = session.execute(select(Task).where(Task.cadre_id == cadre.id)).scalar_one()
    assert (visit.priority, visit.due) == (50, D("2026-02-14"))
    done = _edit(session, cadre, today="2026-01-28", lives_alone=True)
    assert (done.fields, done.reordered) == (("lives_alone",), 1)
    session.refresh(visit)
    assert (visit.priority, visit.due) == (30, D("2026-02-12"))
    (event,) = session.execute(select(TaskEvent).where(TaskEvent.task_id == visit.id)).scalars()
    assert (event.action, event.actor) == ("reprioritised", "cli:operator")
    assert json.loads(event.detail)["priority_to"] == 30
    _edit(session, cadre, today="2026-01-29", lives_alone=False)
    session.refresh(visit)
    assert (visit.priority, visit.due) == (50, D("2026-02-14"))


def test_a_paused_cadre_gets_no_festival_visit(session):
    people = factories.small_county(session)
    away, home = factories.cadre(session, "王建国"), factories.cadre(session, "李秀英")
    refresh_grid_owners(session)
    pause_cadre(session, away, starts=D("2026-01-10"), until=D("2026-03-31"), reason="异地居住", actor="cli:operator",
                today=D("2026-01-10"))
    plan = plan_festival_visits(session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK),
                                day=D("2026-01-27"), leader_id=people["leader"].id, actor="test")
    assert plan.created == {"spring_festival 2026": 1}
    assert session.execute(select(Task.cadre_id).where(Task.kind == "festival_visit")).scalars().all() == [home.id]
