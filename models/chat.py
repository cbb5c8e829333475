"""Chat bindings and delivery state: invite codes, opaque button tokens, grid group chats, other targets.

Everything the chat channels and the bot remember lives here, so a bot restart or a second
dispatcher never loses a binding, a button or the record of what already went out.
"""


from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone



INVITE_LENGTH = 10

# Who a grid's group chat or robot speaks to: the grid's coordinators (网格群) or the relatives of
# its cadres (亲人群). Neither ever gets personal data.
GRID_AUDIENCE, RELATIVES_AUDIENCE = "grid", "relatives"
AUDIENCES = (GRID_AUDIENCE, RELATIVES_AUDIENCE)



INVITE_DAYS = 7



TOKEN_BYTES = 12  # 16 url-safe characters: 96 random bits in 16 of callback_data's 64 bytes



class ChatInvite(SQLModel, table=True):
    """A one-time code that binds a chat: a coordinator's private chat or a grid's group chat."""

    __tablename__ = "chat_invite"
    __table_args__ = (
        CheckConstraint(
            "(coordinator_id IS NULL) <> (grid_id IS NULL)", name="ck_chat_invite_one_target"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Only a hash is kept, so reading the database does not hand out working codes.
    code_hash: str = Field(max_length=64, unique=True)
    coordinator_id: int | None = Field(default=None, foreign_key="coordinator.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    audience: str = Field(default=GRID_AUDIENCE, max_length=10, description="a grid code binds the grid's group or its relatives' group")
    created_by: str = Field(default="cli", max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_chat: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))



class CallbackToken(SQLModel, table=True):
    """The opaque handle behind a task's buttons: random, bound to one task and one coordinator.

    The button carries only the token; which task it stands for is known to the server alone,
    so a client cannot forge data for another task, and a token is useless once its task is closed.
    """

    __tablename__ = "callback_token"
    __table_args__ = (UniqueConstraint("task_id", "coordinator_id", name="uq_callback_token_task_coordinator"),)

    token: str = Field(primary_key=True, max_length=24)
    task_id: int = Field(foreign_key="task.id", index=True)
    coordinator_id: int = Field(foreign_key="coordinator.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)



class GroupChat(SQLModel, table=True):
    """A grid's group chat (网格群): gets grid-level notices, never personal data."""

    __tablename__ = "group_chat"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    grid_id: int = Field(foreign_key="grid.id", index=True)
    audience: str = Field(default=GRID_AUDIENCE, max_length=10, description="grid (网格群) or relatives (亲人群)")
    title: str = Field(default="", max_length=200)
    language: str | None = Field(default=None, max_length=5)
    active: bool = True
    broken: str | None = Field(default=None, description="why delivery stopped, if it did")
    bound_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)



class AppriseTarget(SQLModel, table=True):
    """Another outbound channel (WeCom or DingTalk group robot, e-mail) for a coordinator or a grid.

    The URL holds the robot's key or the mail password: it is shown masked and never logged.
    """

    __tablename__ = "apprise_target"
    __table_args__ = (
        CheckConstraint(
            "(coordinator_id IS NULL) <> (grid_id IS NULL)", name="ck_apprise_target_one_owner"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="notifier kind: wecom, dingtalk, email")
    url: str = Field(sa_type=Text)
    coordinator_id: int | None = Field(default=None, foreign_key="coordinator.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    audience: str = Field(default=GRID_AUDIENCE, max_length=10, description="for a grid: its group or its relatives' group")
    label: str = Field(default="", max_length=100)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)



class ChatMessage(SQLModel, table=True):
    """One Telegram message that carried (part of) an outbox message, recorded as soon as it was accepted.

    A long digest goes out in several parts; if a later part fails, a retry sends only the
    parts not recorded here, so the coordinator never gets the first part twice.
    """

    __tablename__ = "chat_message"
    __table_args__ = (
        UniqueConstraint("notification_id", "part", name="uq_chat_message_part"),
        Index("ix_chat_message_chat", "chat_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id")
    part: int
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    sent_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
