"""The notification outbox: every message is a row before it is sent, and stays one if it cannot be."""


from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"



class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_status", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=120, unique=True, description="digest:2026-11-27:c5 ...")
    recipient_id: int | None = Field(default=None, foreign_key="coordinator.id", index=True)
    channel: str = Field(max_length=20, description="notifier kind: console, telegram ...")
    kind: str = Field(max_length=20, description="digest, alert, notice")
    subject: str = Field(default="", max_length=200)
    body: str = Field(sa_type=Text, description="plain text in the recipient's language")
    payload: str | None = Field(default=None, sa_type=Text, description="JSON the channel renders")
    status: str = Field(default=PENDING, max_length=10)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    external_id: str | None = Field(default=None, max_length=200)
    not_before: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=40)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)



MAX_ATTEMPTS = 8




