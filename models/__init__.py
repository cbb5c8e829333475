"""Yinhui's tables, one module per family (tables only), the engine and Alembic; importing this package registers every table."""

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
from models.must_visits import Occurrence  # noqa: F401
from models.org_life import BranchMeeting, BranchSecretary, MeetingAttendance  # noqa: F401
from models.organisations import PartyOrg, VolunteerMember, VolunteerTeam
from models.outbox import Notification
from models.people import Cadre, CadreEvent, CadrePause, Coordinator, CoordinatorGrid, Relative
from models.snapshots import CoverageSnapshot  # noqa: F401
from models.staff_rhythm import StaffLeave  # noqa: F401
from models.tasks import Contact, Task, TaskEvent
from models.volunteering import VolunteerActivity, VolunteerParticipant  # noqa: F401

__all__ = [
    "Cadre",
    "CadreEvent",
    "CadrePause",
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
