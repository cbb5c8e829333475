"""Party organisations (党工委, 党总支, 党支部) and volunteer teams (志愿服务体系)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

WORKING_COMMITTEE, GENERAL_BRANCH, BRANCH = "working_committee", "general_branch", "branch"


WORKING_COMMITTEE_NAME = "离退休干部党工委"


class PartyOrg(SQLModel, table=True):
    """A party organisation: the working committee (党工委), a general branch (党总支) or a branch (党支部)."""

    __tablename__ = "party_org"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=20, description="working_committee, general_branch or branch")
    parent_id: int | None = Field(default=None, foreign_key="party_org.id", index=True)


class VolunteerTeam(SQLModel, table=True):
    """A volunteer team (志愿服务队) of cadres, serving at events and logging its own activities."""

    __tablename__ = "volunteer_team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    focus: str | None = Field(default=None, max_length=200)


class VolunteerMember(SQLModel, table=True):
    """A cadre on a volunteer team's roster."""

    __tablename__ = "volunteer_member"

    team_id: int = Field(foreign_key="volunteer_team.id", primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", primary_key=True, index=True)
    joined_on: dt.date | None = None
