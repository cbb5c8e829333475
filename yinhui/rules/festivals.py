"""Festival visits (逢年过节必访): each festival's visit window and its deadlines by priority tier.

Pure rules. A window opens ``opens_days_before`` the festival; every cadre's visit is due a number
of days before the festival that depends on where the cadre comes in the list (离休 first, then
80 and over, living alone or in hardship, then everyone else). A due date on an official day off
moves to the working day before it, as every due date does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from yinhui.rules.cadence import ShiftDue, priority_of
from yinhui.rules.calendar_nodes import Node
from yinhui.rules.playbook import Playbook

FESTIVAL_VISIT = "festival_visit"
_RULE_PREFIX = "festival:"


def festival_rule(node_key: str) -> str:
    """The task rule of a festival's visits; with the year as period it is unique per cadre."""
    return _RULE_PREFIX + node_key


def festival_of_rule(rule: str) -> str | None:
    """The node key of a festival-visit rule, or None for any other rule."""
    return rule.removeprefix(_RULE_PREFIX) if rule.startswith(_RULE_PREFIX) else None


@dataclass(frozen=True)
class FestivalWindow:
    """The visits one festival wants: when the window opens and when each priority is due."""

    node: Node
    opens: dt.date
    dues: tuple[tuple[int, dt.date], ...]  # (priority value, due), most urgent priority first
    categories: tuple[str, ...]

    @property
    def rule(self) -> str:
        return festival_rule(self.node.key)

    @property
    def period(self) -> str:
        # One visit per festival per year: a re-run, or a playbook edit, finds the same key.
        return f"{self.node.date.year:04d}"

    @property
    def closes(self) -> dt.date:
        """The last due date: after it no new visit is planned for this festival."""
        return max(due for _, due in self.dues)

    def due_for(self, priority: int) -> dt.date:
        """Due date for a cadre of this priority value (unknown values are due with the last tier)."""
        for value, due in self.dues:
            if value == priority:
                return due
        return self.closes

    def is_open_on(self, day: dt.date) -> bool:
        return self.opens <= day <= self.closes


def festival_window(playbook: Playbook, node: Node, shift_due: ShiftDue | None = None) -> FestivalWindow:
    """The visit window of one festival occurrence."""
    visits = playbook.festival_visits
    opens = node.date - dt.timedelta(days=visits.opens_days_before)
    dues = []
    for value, days in sorted(playbook.festival_days_before().items()):
        due = node.date - dt.timedelta(days=days)
        if shift_due is not None:
            shifted = shift_due(due)
            # A break right after the window opens must not push the deadline before it.
            due = shifted if shifted >= opens else due
        dues.append((value, due))
    return FestivalWindow(node=node, opens=opens, dues=tuple(dues), categories=tuple(visits.categories))


def festival_windows(
    playbook: Playbook, nodes: Iterable[Node], shift_due: ShiftDue | None = None
) -> list[FestivalWindow]:
    """Windows of the playbook's festivals among ``nodes``, one per festival and year."""
    wanted = set(playbook.festival_visits.festivals)
    windows: dict[tuple[str, int], FestivalWindow] = {}
    for node in sorted(nodes, key=lambda n: n.date):
        if node.key in wanted:
            # A lunar bureau node may fall twice in a year; the year's visit is for the first.
            windows.setdefault((node.key, node.date.year), festival_window(playbook, node, shift_due))
    return sorted(windows.values(), key=lambda w: (w.node.date, w.node.key))


def windows_open_on(
    playbook: Playbook, day: dt.date, nodes: Iterable[Node], shift_due: ShiftDue | None = None
) -> list[FestivalWindow]:
    """The festival windows in which visits are being planned on ``day``.

    Pass the nodes of ``day``'s year and the next: a Spring Festival window opens in the
    December before it.
    """
    lead = dt.timedelta(days=playbook.festival_visits.opens_days_before)
    # Only festivals near `day` are dated, so the holiday calendar is asked about no other year.
    near = [n for n in nodes if n.date - lead <= day <= n.date]
    return [w for w in festival_windows(playbook, near, shift_due) if w.is_open_on(day)]


def festival_due(
    playbook: Playbook,
    window: FestivalWindow,
    *,
    category: str,
    birth_date: dt.date,
    lives_alone: bool,
    hardship: bool,
) -> tuple[int, dt.date]:
    """(priority, due date) of one cadre's visit; age is counted on the festival day."""
    priority = priority_of(
        playbook.priority,
        category=category,
        birth_date=birth_date,
        lives_alone=lives_alone,
        hardship=hardship,
        day=window.node.date,
    )
    return priority, window.due_for(priority)
