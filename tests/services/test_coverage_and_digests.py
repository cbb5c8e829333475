"""Coverage per grid and level with the named misses; digests ordered by urgency and bounded."""

from __future__ import annotations

import datetime as dt

from tests import factories
from yinhui.messages.content import as_text
from yinhui.messages.digest import render_digest
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, period_from_key
from yinhui.services.cadres import set_cadre_status
from yinhui.services.coverage import coverage
from yinhui.services.digests import collect_digests, digest_payload
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task, escalate_overdue, mark_overdue

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def _plan(session, day):
    leader = refresh_grid_owners(session).leader_id
    for due in due_cadence(PLAYBOOK, day):
        create_cadence_tasks(session, due, day=day, prio=PLAYBOOK.priority, leader_id=leader, actor="t")
    return leader


def _task(session, cadre, rule):
    from sqlalchemy import select

    from models.tasks import Task

    return session.execute(select(Task).where(Task.cadre_id == cadre.id, Task.rule == rule)).scalars().first()


def test_coverage_counts_contacts_per_grid_at_every_level_and_names_the_missed(session):
    factories.small_county(session)
    a = factories.cadre(session, "甲", village="东街村")
    b = factories.cadre(session, "乙", village="东街村")
    c = factories.cadre(session, "丙", village="西街村")
    d = factories.cadre(session, "丁", township="河底镇", village="上村")
    gone = factories.cadre(session, "戊", village="西街村")
    _plan(session, D("2026-11-01"))
    complete_task(session, _task(session, a, "monthly_call").id, outcome="reached", actor="t", on=D("2026-11-03"), playbook=PLAYBOOK)
    complete_task(session, _task(session, c, "quarterly_visit").id, outcome="visited", actor="t", on=D("2026-11-04"), playbook=PLAYBOOK)
    complete_task(session, _task(session, b, "monthly_call").id, outcome="unreachable", actor="t", on=D("2026-11-05"), playbook=PLAYBOOK)
    set_cadre_status(session, gone, status="deceased", on=D("2026-11-10"), reason=None, actor="t")
    report = coverage(session, period_from_key("2026-11"))
    by_path = {g.path: (g.cadres, g.contacted) for g in report.grids}
    assert by_path["老干部局"] == (4, 2)  # the deceased cadre is not counted
    assert by_path["城关镇"] == (3, 2)
    assert by_path["城关镇/东街村"] == (2, 1)
    assert by_path["河底镇/上村"] == (1, 0)
    # An unreachable call is tried again (再次联系): the month is not lost yet.
    assert {(m.name, str(m.reason)) for m in report.missed} == {("乙", "open, 1 attempt unreachable so far"), ("丁", "open")}
    assert {(m.name, m.reason.render("zh")) for m in report.missed} == {("乙", "待办，已 1 次未接通"), ("丁", "待办")}
    assert report.uncovered_grids == ["河底镇/上村"]
    # A contact in December does not count for November.
    assert coverage(session, period_from_key("2026-12")).total.contacted == 0
    _ = d


def test_digest_lists_visits_before_calls_and_priority_first_within_each(session):
    people = factories.small_county(session)
    factories.cadre(session, "普通", village="东街村", birth=D("1960-01-01"))
    factories.cadre(session, "离休", village="东街村", category="lixiu", birth=D("1930-01-01"))
    factories.cadre(session, "独居", village="东街村", lives_alone=True, birth=D("1960-01-01"))
    _plan(session, D("2026-11-01"))
    digests = {d.coordinator_id: d for d in collect_digests(session, day=D("2026-11-01"), horizon_days=7, max_items=4)}
    mine = digests[people["village"].id]
    # The calls' window opened today (new); the quarter's visits opened on Oct 1 (not new).
    assert (mine.total, mine.new, mine.by_kind) == (6, 3, {"call": 3, "visit": 3})
    assert [(i.kind, i.cadre_name) for i in mine.items] == [
        ("visit", "离休"), ("visit", "独居"), ("visit", "普通"), ("call", "离休")]
    assert mine.more == 2
    subject, body = as_text(render_digest(digest_payload(mine, language="en", horizon_days=7)))
    assert subject == "Tasks for 2026-11-01"
    assert "and 2 more" in body and "13912345678" not in body


def test_escalated_tasks_reach_the_target_digest(session):
    people = factories.small_county(session)
    factories.cadre(session, "迟", village="东街村")
    leader = _plan(session, D("2026-11-01"))
    mark_overdue(session, day=D("2026-12-04"), actor="t")
    escalate_overdue(session=session, day=D("2026-12-04"), schedules=[(None, [3, 7])], leader_id=leader, actor="t")
    digests = {d.coordinator_id: d for d in collect_digests(session, day=D("2026-12-04"), horizon_days=7, max_items=10)}
    town = digests[people["town"].id]
    assert [(i.cadre_name, i.escalated) for i in town.escalated_items] == [("迟", True)]
    _, body = as_text(render_digest(digest_payload(town, language="zh", horizon_days=7)))
    assert "上报给您的逾期任务" in body
