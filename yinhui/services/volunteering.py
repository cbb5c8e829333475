"""Volunteer service (志愿服务): the teams and their members, the activities they hold, and the report per team.

A team (宣讲团, 家门口志愿服务者团队 ...) has members: active cadres, who may also be in a grid and a
branch. An activity has a day, a team, a topic (反诈 anti-fraud, 健康 health, ...), how many people
it served, how long it lasted, and the cadres who took part. Volunteer-hours are its hours times
the cadres taking part. One activity per team, day and topic: logging it again is refused, so
nothing is counted twice. Taking part is a contact with the cadre (mode ``volunteer``): it counts
as that month's call, and closes the open call as covered, as attending an event does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from models.organisations import VolunteerMember, VolunteerTeam
from models.people import ACTIVE, Cadre, CadreEvent
from models.types import id_of
from models.volunteering import MAX_TOPIC, VolunteerActivity, VolunteerParticipant
from yinhui.i18n import N_
from yinhui.roster.safety import find_unsafe, starts_like_formula
from yinhui.rules.cadence import Period
from yinhui.services.cadres import active_cadres
from yinhui.services.errors import CareError
from yinhui.services.lookup import get_or_raise, matching_name
from yinhui.services.tasks import record_contact

if TYPE_CHECKING:
    from yinhui.rules.playbook import Playbook

MAX_TEAM_NAME, MAX_FOCUS = 100, 200  # the columns of volunteer_team
VOLUNTEER_MODE = "volunteer"  # the contact a cadre's volunteer service stands for


# -- teams --------------------------------------------------------------------------------------


# What a team's name and focus may hold: (limit, too short or long, unsafe).
_TEXT_RULES = {
    "name": (MAX_TEAM_NAME, N_("a team's name needs 1 to {limit} characters"),
             N_("a team's name may not hold control characters or start with = + - @")),
    "focus": (MAX_FOCUS, N_("a team's focus needs 1 to {limit} characters"),
              N_("a team's focus may not hold control characters or start with = + - @")),
}


def _checked_text(value: str, field: str) -> str:
    """A team's name or focus as stored: spaces folded, within its limit, no invisible characters, no formula."""
    limit, length, unsafe = _TEXT_RULES[field]
    text = " ".join(value.split())
    if not text or len(text) > limit:
        raise CareError(length, limit=limit)
    if find_unsafe(text) is not None or starts_like_formula(text):
        raise CareError(unsafe)
    return text


def find_team(session: Session, ref: str) -> VolunteerTeam:
    """A volunteer team by #id, full name, or a part of its name that only one team has."""
    text = ref.strip()
    teams = list(session.execute(select(VolunteerTeam).order_by(col(VolunteerTeam.id))).scalars())
    found = matching_name(teams, text)
    if len(found) == 1:
        return found[0]
    known = "、".join(t.name for t in (found or teams)[:6])
    if not found and not teams:
        raise CareError(N_("no volunteer team {team!r} (none yet: `yinhui volunteer team add NAME`)"), team=text)
    if not found:
        raise CareError(N_("no volunteer team {team!r} (known: {known})"), team=text, known=known)
    raise CareError(N_("{count} teams match {team!r}: {known}; give more of the name"),
                    count=len(found), team=text, known=known)


def add_team(session: Session, name: str, *, focus: str | None = None) -> VolunteerTeam:
    """Create a volunteer team (志愿服务队); a name already taken is refused."""
    text = _checked_text(name, "name")
    about = _checked_text(focus, "focus") if focus and focus.strip() else None
    taken = session.execute(select(col(VolunteerTeam.id)).where(col(VolunteerTeam.name) == text)).scalar_one_or_none()
    if taken is not None:
        raise CareError(N_("there is already a volunteer team called {team!r} (#{team_id})"), team=text, team_id=taken)
    team = VolunteerTeam(name=text, focus=about)
    session.add(team)
    session.flush()
    return team


def ensure_team(session: Session, name: str) -> VolunteerTeam:
    """The team of exactly this name, created if there is none yet (a roster's 志愿服务队 column)."""
    text = _checked_text(name, "name")
    found = session.execute(select(VolunteerTeam).where(col(VolunteerTeam.name) == text)).scalar_one_or_none()
    return found if found is not None else add_team(session, text)


def _member_ids(session: Session, team_id: int) -> set[int]:
    return set(session.execute(
        select(col(VolunteerMember.cadre_id)).where(col(VolunteerMember.team_id) == team_id)
    ).scalars())


def _audit(session: Session, cadre_ids: Sequence[int], *, actor: str, action: str, team: VolunteerTeam) -> None:
    """A line in each cadre's audit trail: which team they joined or left (no personal data)."""
    detail = json.dumps({"team": team.name, "team_id": team.id}, ensure_ascii=False)
    session.add_all([CadreEvent(cadre_id=cid, actor=actor, action=action, detail=detail) for cid in cadre_ids])


def join_team(
    session: Session, team: VolunteerTeam, cadre_ids: Sequence[int], actor: str, *, on: dt.date | None = None
) -> list[int]:
    """Put cadres on a team's roster; returns those newly joined (members already are left as they were).

    Only active cadres join: an unknown, deceased or moved-away cadre raises `CareError` and
    nobody joins. A cadre may be on several teams, besides their grid and branch.
    """
    wanted = list(dict.fromkeys(cadre_ids))
    active_cadres(session, wanted, CareError)
    team_id = id_of(team)
    already = _member_ids(session, team_id)
    joining = [cid for cid in wanted if cid not in already]
    session.add_all([VolunteerMember(team_id=team_id, cadre_id=cid, joined_on=on) for cid in joining])
    _audit(session, joining, actor=actor, action="team join", team=team)
    session.flush()
    return joining


def leave_team(session: Session, team: VolunteerTeam, cadre_ids: Sequence[int], actor: str) -> list[int]:
    """Take cadres off a team's roster; returns those who left. A cadre not on it raises `CareError`."""
    wanted = list(dict.fromkeys(cadre_ids))
    team_id = id_of(team)
    members = _member_ids(session, team_id)
    strangers = [cid for cid in wanted if cid not in members]
    if strangers:
        name = session.execute(select(col(Cadre.name)).where(col(Cadre.id) == strangers[0])).scalar_one_or_none()
        if name is None:
            raise CareError(N_("no cadre #{cadre_id}"), cadre_id=strangers[0])
        raise CareError(N_("{name} (#{cadre_id}) is not on {team}; nobody was taken off"),
                        name=name, cadre_id=strangers[0], team=team.name)
    session.execute(delete(VolunteerMember).where(col(VolunteerMember.team_id) == team_id,
                                                  col(VolunteerMember.cadre_id).in_(wanted)))
    _audit(session, wanted, actor=actor, action="team leave", team=team)
    session.flush()
    return wanted


def set_cadre_teams(
    session: Session, cadre_id: int, names: Sequence[str], actor: str, *, on: dt.date | None = None
) -> tuple[list[str], list[str]]:
    """Make a cadre's teams exactly ``names`` (teams created as needed); returns (joined, left) team names.

    For a roster's 志愿服务队 column: the file says which teams the cadre is on now.
    """
    teams = {t.name: t for t in (ensure_team(session, n) for n in names if n.strip())}
    current = {t.name: t for t in session.execute(
        select(VolunteerTeam).join(VolunteerMember, col(VolunteerMember.team_id) == col(VolunteerTeam.id))
        .where(col(VolunteerMember.cadre_id) == cadre_id)
    ).scalars()}
    joined = [name for name in teams if name not in current]
    left = [name for name in current if name not in teams]
    for name in joined:
        join_team(session, teams[name], [cadre_id], actor, on=on)
    for name in left:
        leave_team(session, current[name], [cadre_id], actor)
    return joined, left


def teams_of(session: Session, cadre_ids: Sequence[int]) -> dict[int, list[str]]:
    """The names of the teams each cadre is on (for the cadre's card and the roster), by cadre id."""
    result: dict[int, list[str]] = {cid: [] for cid in cadre_ids}
    if not result:
        return result
    for cadre_id, name in session.execute(
        select(col(VolunteerMember.cadre_id), col(VolunteerTeam.name))
        .join(VolunteerTeam, col(VolunteerTeam.id) == col(VolunteerMember.team_id))
        .where(col(VolunteerMember.cadre_id).in_(list(result)))
    ):
        result[cadre_id].append(name)
    return {cid: sorted(names) for cid, names in result.items()}  # the same order on every database


def team_list(session: Session, *, year: int) -> list[dict[str, Any]]:
    """Every team: its focus, active members, and the activities it logged in ``year``."""
    members = dict(session.execute(
        select(col(VolunteerMember.team_id), func.count())
        .join(Cadre, col(Cadre.id) == col(VolunteerMember.cadre_id))
        .where(col(Cadre.status) == ACTIVE).group_by(col(VolunteerMember.team_id))
    ).all())
    activities = dict(session.execute(
        select(col(VolunteerActivity.team_id), func.count())
        .where(col(VolunteerActivity.held_on).between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .group_by(col(VolunteerActivity.team_id))
    ).all())
    return [
        {"id": t.id, "team": t.name, "focus": t.focus, "members": members.get(t.id, 0),
         "activities": activities.get(t.id, 0), "year": year}
        for t in session.execute(select(VolunteerTeam).order_by(col(VolunteerTeam.id))).scalars()
    ]


# -- activities ---------------------------------------------------------------------------------


@dataclass
class LoggedActivity:
    """What logging an activity did: the activity, and the open calls its volunteers' service covered."""

    activity: VolunteerActivity
    volunteers: list[int]
    covered_tasks: list[int] = field(default_factory=list)


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
    playbook: Playbook | None = None,
) -> LoggedActivity:
    """Record an activity and who took part; bad input raises CareError and writes nothing.

    Each volunteer gets a contact on the activity's day (mode ``volunteer``), which closes the
    cadence tasks the playbook lets it satisfy (the month's call) as covered, through the task
    service. ``playbook``: the bureau's (the current one when not given).
    """
    if playbook is None:
        from yinhui.playbook_loader import current_playbook

        playbook = current_playbook()
    team = get_or_raise(session, VolunteerTeam, team_id, CareError(N_("no volunteer team #{team_id}"), team_id=team_id))
    topic = topic.strip()
    if not topic or len(topic) > MAX_TOPIC:
        raise CareError(N_("a topic needs 1 to {limit} characters (e.g. 反诈宣传, 健康讲座)"), limit=MAX_TOPIC)
    if held_on > today:
        raise CareError(N_("{day} is in the future: log an activity once it has happened"), day=held_on.isoformat())
    if people_served < 0:
        raise CareError(N_("people served cannot be negative"))
    if not 0 < hours <= 24:
        raise CareError(N_("hours must be more than 0 and at most 24"))
    text = (note or "").strip() or None
    if text is not None and len(text) > 200:
        raise CareError(N_("a note may have up to {limit} characters"), limit=200)
    twice = session.execute(
        select(col(VolunteerActivity.id)).where(col(VolunteerActivity.team_id) == team_id,
                                                col(VolunteerActivity.held_on) == held_on,
                                                col(VolunteerActivity.topic) == topic)
    ).scalar_one_or_none()
    if twice is not None:
        raise CareError(N_("{team} already logged {topic!r} on {day} (activity #{activity_id})"),
                        team=team.name, topic=topic, day=held_on.isoformat(), activity_id=twice)
    wanted = list(dict.fromkeys(cadre_ids))
    active_cadres(session, wanted, CareError)
    activity = VolunteerActivity(team_id=team_id, held_on=held_on, topic=topic, people_served=people_served,
                                 hours=float(hours), note=text, recorded_by=actor)
    session.add(activity)
    session.flush()
    activity_id = id_of(activity)
    session.add_all([VolunteerParticipant(activity_id=activity_id, cadre_id=cid) for cid in wanted])
    result = LoggedActivity(activity, wanted)
    for cadre_id in wanted:
        result.covered_tasks += record_contact(session=session, cadre_id=cadre_id, on=held_on, mode=VOLUNTEER_MODE,
                                               actor=actor, playbook=playbook)
    session.flush()
    return result


def volunteer_report(session: Session, *, period: Period) -> dict[str, Any]:
    """Per team over ``period``: members (now), activities, people served, volunteers, volunteer-hours, topics."""
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
    members = {row["id"]: row["members"] for row in team_list(session, year=period.start.year)}
    teams: dict[int, dict[str, Any]] = {
        t.id: {"team": t.name, "members": members.get(t.id, 0), "activities": 0, "people_served": 0, "volunteers": 0, "volunteer_hours": 0.0,
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
