"""Yinhui's tables and the queries over them; importing this package registers every table."""

from models.calendar import (  # noqa: F401
    Attendance,
    BureauNodeRow,
    Event,
    EventOwner,
    EventStep,
    EventTeam,
    HolidayDay,
)
from models.chat import AppriseTarget, CallbackToken, ChatInvite, ChatMessage, GroupChat  # noqa: F401
from models.grids import Grid, GridOwner
from models.organisations import PartyOrg, VolunteerMember, VolunteerTeam
from models.outbox import Notification
from models.people import Cadre, Coordinator, CoordinatorGrid, Relative
from models.snapshots import CoverageSnapshot  # noqa: F401
from models.tasks import Contact, Task, TaskEvent

__all__ = [
    "Cadre",
    "Contact",
    "Coordinator",
    "CoordinatorGrid",
    "Grid",
    "GridOwner",
    "Notification",
    "PartyOrg",
    "Relative",
    "Task",
    "TaskEvent",
    "VolunteerMember",
    "VolunteerTeam",
]
