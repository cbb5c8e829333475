"""Party organisations (党工委, 党总支, 党支部) found or created by name, as a roster import meets them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.organisations import (
    BRANCH,
    GENERAL_BRANCH,
    WORKING_COMMITTEE,
    WORKING_COMMITTEE_NAME,
    PartyOrg,
)


def working_committee(session: Session) -> PartyOrg:
    org = session.exec(select(PartyOrg).where(col(PartyOrg.kind) == WORKING_COMMITTEE)).first()
    if org is None:
        org = PartyOrg(name=WORKING_COMMITTEE_NAME, kind=WORKING_COMMITTEE)
        session.add(org)
        session.flush()
    return org


class BranchBook:
    """Finds party branches by name, creating unknown ones under the working committee."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_name = {o.name: o for o in session.exec(select(PartyOrg)).all()}
        self.created: list[PartyOrg] = []

    def branch(self, name: str) -> PartyOrg:
        return self._org(name, BRANCH)

    def general_branch(self, name: str) -> PartyOrg:
        return self._org(name, GENERAL_BRANCH)

    def _org(self, name: str, kind: str) -> PartyOrg:
        """The organisation called ``name``, created under the working committee as ``kind`` if unknown."""
        org = self.by_name.get(name)
        if org is None:
            parent = working_committee(self.session)
            org = PartyOrg(name=name, kind=kind, parent_id=parent.id)
            self.session.add(org)
            self.session.flush()
            self.by_name[name] = org
            self.created.append(org)
        return org
