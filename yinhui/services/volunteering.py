"""Volunteer service (志愿服务): logging the activities volunteer teams hold, and the report of activities and hours per team.

An activity has a day, a team, a topic (反诈 anti-fraud, 健康 health, ...), how many people it
served, how long it lasted, and the cadres who took part. Volunteer-hours are its hours times the
cadres taking part. One activity per team, day and topic: logging it again is refused, so nothing
is counted twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.organisations import VolunteerTeam
from models.types import id_of
from models.volunteering import MAX_TOPIC, VolunteerActivity, VolunteerParticipant
from yinhui.rules.cadence import Period
from yinhui.services.cadres import active_cadres
from yinhui.services.errors import CareError
from yinhui.services.lookup import get_or_raise, matching_name


def find_team(session: Session, ref: str) -> VolunteerTeam:
    """A volunteer team by #id, full name, or a part of its name that only one team has."""
    text = ref.strip()
    teams = list(session.execute(select(VolunteerTeam).order_by(col(VolunteerTeam.id))).scalars())
    found = matching_name(teams, text)
    if len(found) == 1:
        return found[0]
    known = "、".join(t.name for t in (found or teams)[:6]) or "none yet"
    if not found:
        raise CareError(f"no volunteer team {text!r} (known: {known})")
    raise CareError(f"{len(found)} teams match {text!r}: {known}; give more of the name")


def log_activity(
    session: Session,
    *,
    team_id: int,
    held_on: dt.date,
    topic: str,
    people_served: int,
    hours: float,
    cadre_ids: Sequence[int],
    actor: str,
    today: dt.date,
    note: str | None = None,
) -> VolunteerActivity:
    """Record an activity and who took part; bad input raises CareError and writes nothing."""
    team = get_or_raise(session, VolunteerTeam, team_id, CareError(f"no volunteer team #{team_id}"))
    topic = topic.strip()
    if not topic or len(topic) > MAX_TOPIC:
        raise CareError(f"a topic needs 1 to {MAX_TOPIC} characters (e.g. 反诈宣传, 健康讲座)")
    if held_on > today:
        raise CareError(f"{held_on.isoformat()} is in the future: log an activity once it has happened")
    if people_served < 0:
        raise CareError("people served cannot be negative")
    if not 0 < hours <= 24:
        raise CareError("hours must be more than 0 and at most 24")
    text = (note or "").strip() or None
    if text is not None and len(text) > 200:
        raise CareError("a note may have up to 200 characters")
    twice = session.execute(
        select(col(VolunteerActivity.id)).where(col(VolunteerActivity.team_id) == team_id, col(VolunteerActivity.held_on) == held_on,
                                           col(VolunteerActivity.topic) == topic)
    ).scalar_one_or_none()
    if twice is not None:
        raise CareError(f"{team.name} already logged {topic!r} on {held_on.isoformat()} (activity #{twice})")
    wanted = list(dict.fromkeys(cadre_ids))
    active_cadres(session, wanted, CareError)
    activity = VolunteerActivity(team_id=team_id, held_on=held_on, topic=topic, people_served=people_served,
                                 hours=float(hours), note=text, recorded_by=actor)
    session.add(activity)
    session.flush()
    activity_id = id_of(activity)
    session.add_all([VolunteerParticipant(activity_id=activity_id, cadre_id=cid) for cid in wanted])
    session.flush()
    return activity


def volunteer_report(session: Session, *, period: Period) -> dict[str, Any]:
    """Per team over ``period``: activities, people served, volunteers, volunteer-hours, topics."""
    in_period = col(VolunteerActivity.held_on).between(period.start, period.end)
    per_activity = session.execute(
        select(col(VolunteerActivity.id), col(VolunteerActivity.team_id), col(VolunteerActivity.topic),
               col(VolunteerActivity.people_served), col(VolunteerActivity.hours),
               func.count(col(VolunteerParticipant.cadre_id)))
        .outerjoin(VolunteerParticipant, col(VolunteerParticipant.activity_id) == col(VolunteerActivity.id))
        .where(in_period)
        .group_by(col(VolunteerActivity.id), col(VolunteerActivity.team_id), col(VolunteerActivity.topic),
                  col(VolunteerActivity.people_served), col(VolunteerActivity.hours))
    ).all()
    volunteers = dict(session.execute(
        select(col(VolunteerActivity.team_id), func.count(func.distinct(col(VolunteerParticipant.cadre_id))))
        .join(VolunteerParticipant, col(VolunteerParticipant.activity_id) == col(VolunteerActivity.id))
        .where(in_period).group_by(col(VolunteerActivity.team_id))
    ).all())
    teams: dict[int, dict[str, Any]] = {
        t.id: {"team": t.name, "activities": 0, "people_served": 0, "volunteers": 0, "volunteer_hours": 0.0,
               "topics": {}}
        for t in session.execute(select(VolunteerTeam).order_by(col(VolunteerTeam.id))).scalars()
    }
    for _, team_id, topic, served, hours, taking_part in per_activity:
        entry = teams[team_id]
        entry["activities"] += 1
        entry["people_served"] += served
        entry["volunteer_hours"] += hours * taking_part
        entry["topics"][topic] = entry["topics"].get(topic, 0) + 1
    for team_id, entry in teams.items():
        entry["volunteers"] = volunteers.get(team_id, 0)
        entry["volunteer_hours"] = round(entry["volunteer_hours"], 1)
    rows = list(teams.values())
    return {
        "period": period.key,
        "teams": rows,
        "activities": sum(r["activities"] for r in rows),
        "people_served": sum(r["people_served"] for r in rows),
        "volunteer_hours": round(sum(r["volunteer_hours"] for r in rows), 1),
    }
