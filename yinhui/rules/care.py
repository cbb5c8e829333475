"""What the care rules share: every rule's escalation days, and the title of any care task's rule.

Pure rules. One escalation mechanism serves every task: a rule either has its own days overdue
before it goes up a level (must-visits faster than routine work) or uses ``[escalation]``.
"""

from __future__ import annotations

from yinhui.rules.door_services import key_of_rule, service_rule
from yinhui.rules.must_visits import MUST_VISIT, kind_of_rule, must_visit_rule
from yinhui.rules.org_life import ABSENCE_RULE, THEME_DAY_RULE
from yinhui.rules.playbook import Playbook
from yinhui.rules.playbook_sections import Title
from yinhui.rules.staff_rhythm import LECTURE_RULE, WRITING_GROUP_RULE


def own_escalation_days(playbook: Playbook) -> dict[str, list[int]]:
    """Rule -> its own days overdue before escalation; rules not listed use ``[escalation]``."""
    own: dict[str, list[int]] = {r.rule: list(r.escalate_after_days) for r in playbook.cadence if r.escalate_after_days}
    visits = playbook.must_visits
    for kind, rule in visits.kinds().items():
        own[must_visit_rule(kind)] = list(rule.escalate_after_days or visits.escalate_after_days)
    for service in playbook.door_services:
        if service.escalate_after_days:
            own[service_rule(service.key)] = list(service.escalate_after_days)
    if playbook.org_life.escalate_after_days:
        own[THEME_DAY_RULE] = list(playbook.org_life.escalate_after_days)
    return own


def escalation_days(playbook: Playbook, rule: str) -> list[int]:
    """Days overdue before a task of ``rule`` goes up a level: its own, else ``[escalation]``."""
    return own_escalation_days(playbook).get(rule) or list(playbook.escalation.after_days)


def rule_title(playbook: Playbook, rule: str) -> Title | None:
    """The playbook's title for a care task's rule (must-visit, follow-up, service, meeting ...)."""
    family = kind_of_rule(rule)
    if family is not None:
        what, kind = family
        entry = playbook.must_visits.kinds()[kind]
        if what == MUST_VISIT:
            return entry.title
        return entry.follow_up.title if entry.follow_up else None
    key = key_of_rule(rule)
    if key is not None:
        try:
            return playbook.door_service(key).title
        except KeyError:
            return Title(zh=key, en=key)  # a service since dropped from the playbook
    return {
        THEME_DAY_RULE: playbook.org_life.title,
        ABSENCE_RULE: playbook.org_life.absence_visit_title,
        LECTURE_RULE: playbook.staff_rhythm.lecture.title,
        WRITING_GROUP_RULE: playbook.staff_rhythm.writing_group.title,
    }.get(rule)

