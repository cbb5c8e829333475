"""Party organisations (党工委, 党总支, 党支部) and volunteer teams (志愿服务体系)."""


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
        org = self.by_name.get(name)
        if org is None:
            parent = working_committee(self.session)
            org = PartyOrg(name=name, kind=BRANCH, parent_id=parent.id)
            self.session.add(org)
            self.session.flush()
            self.by_name[name] = org
            self.created.append(org)
        return org

    def general_branch(self, name: str) -> PartyOrg:
        org = self.by_name.get(name)
        if org is None:
            parent = working_committee(self.session)
            org = PartyOrg(name=name, kind=GENERAL_BRANCH, parent_id=parent.id)
            self.session.add(org)
            self.session.flush()
            self.by_name[name] = org
            self.created.append(org)
        return org

