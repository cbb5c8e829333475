"""Cadres (离退休干部), their relatives, and the coordinators who answer for them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

LIXIU, TUIXIU = "lixiu", "tuixiu"


CATEGORIES = (LIXIU, TUIXIU)


ACTIVE, DECEASED, MOVED = "active", "deceased", "moved"


STATUSES = (ACTIVE, DECEASED, MOVED)


STAFF, GRID_ROLE, LEADER = "staff", "grid", "leader"


ROLES = (STAFF, GRID_ROLE, LEADER)


class Coordinator(SQLModel, table=True):
    """A bureau staff member, grid coordinator or leader: the people who receive tasks."""

    __tablename__ = "coordinator"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)
    role: str = Field(max_length=10, description="staff, grid or leader")
    phone: str | None = Field(default=None, max_length=40)
    channel: str = Field(default="console", max_length=20, description="notifier kind")
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    channel_broken: str | None = Field(default=None, description="why delivery stopped, if it did")
    language: str | None = Field(default=None, max_length=5)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    browsers_signed_out_at: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="the task page refuses browser sessions bound before this"
    )


class CoordinatorGrid(SQLModel, table=True):
    """The grids a coordinator answers for (one coordinator may hold several)."""

    __tablename__ = "coordinator_grid"

    coordinator_id: int = Field(foreign_key="coordinator.id", primary_key=True)
    grid_id: int = Field(foreign_key="grid.id", primary_key=True, index=True)


class Cadre(SQLModel, table=True):
    """A retired cadre: 离休 (joined before October 1949) or 退休."""

    __tablename__ = "cadre"
    __table_args__ = (Index("ix_cadre_status_grid", "status", "grid_id"),)

    id: int | None = Field(default=None, primary_key=True)
    id_number: str = Field(max_length=18, unique=True, description="resident ID, GB 11643")
    name: str = Field(max_length=50, index=True)
    gender: str = Field(max_length=1)
    birth_date: dt.date
    category: str = Field(max_length=10, description="lixiu (离休) or tuixiu (退休)")
    phones: str = Field(default="", max_length=200, description="normalised, ';'-separated")
    address: str = Field(default="", max_length=200)
    grid_id: int = Field(foreign_key="grid.id", description="the base grid (level 3)")
    branch_id: int | None = Field(default=None, foreign_key="party_org.id", index=True)
    lives_alone: bool = False
    hardship: bool = False
    status: str = Field(default=ACTIVE, max_length=10)
    status_since: dt.date | None = None
    status_reason: str | None = Field(default=None, max_length=200)
    coordinator_id: int | None = Field(default=None, foreign_key="coordinator.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def phone_list(self) -> list[str]:
        return [p for p in self.phones.split(";") if p]


class Relative(SQLModel, table=True):
    """A relative of a cadre: asked about the cadre when the cadre cannot come to the phone, told of
    events, visited after a death. One row per cadre and name (a re-import updates it)."""

    __tablename__ = "relative"
    __table_args__ = (UniqueConstraint("cadre_id", "name", name="uq_relative_cadre_name"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    name: str = Field(max_length=50)
    relation: str = Field(max_length=20, description="配偶, 子女, ... as the roster says it")
    phones: str = Field(default="", max_length=200, description="normalised, ';'-separated")
    next_of_kin: bool = Field(default=False, description="the emergency contact (紧急联系人)")
    in_group: bool = Field(default=False, description="a member of the grid's relatives' group (亲人群)")
    created_by: str = Field(default="system", max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def phone_list(self) -> list[str]:
        return [p for p in self.phones.split(";") if p]


class CadrePause(SQLModel, table=True):
    """A time a cadre is away (winter with a child elsewhere, a distant care home): no calls or
    visits are planned from `starts` to `until` (both included); must-visits still are.
    `ended_on` is set when the pause was ended early (`yinhui cadre resume`)."""

    __tablename__ = "cadre_pause"

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    starts: dt.date
    until: dt.date
    ended_on: dt.date | None = None
    reason: str = Field(max_length=200)
    created_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CadreEvent(SQLModel, table=True):
    """The audit trail of a cadre's record: edits, pauses, status changes, relatives, with who did it.

    `detail` names the fields changed, never their personal values (ID numbers, phones, addresses).
    """

    __tablename__ = "cadre_event"

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=60, description="coordinator:ID, cli:operator, roster import ...")
    action: str = Field(max_length=20, description="edit, pause, resume, status, relative ...")
    detail: str | None = Field(default=None, sa_type=Text)
