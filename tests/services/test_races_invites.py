"""One invite code sent from several chats at the same moment: exactly one chat is bound.

`WORKERS` spawned processes redeem the same code each round (a coordinator's code from private
chats, a grid's code from group chats), meeting at a barrier just before the call
(tests/support/races.py), so every round is a true race; whichever order the database picks, one chat wins and the others are refused.
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.chat import ChatInvite, GroupChat
from models.db import session_scope
from models.people import Coordinator
from tests import factories
from tests.support.races import WORKERS, race
from yinhui.services.chat import create_invite

ROUNDS = 6  # each: one coordinator's code, then one grid's code


def _chat_of(worker: int, number: int, private: bool) -> int:
    """A distinct chat per worker and round: private chats positive, groups negative, as on Telegram."""
    chat = 700_000 + number * 10 + worker
    return chat if private else -chat


def _redeem(index: int, number: int, one: dict[str, Any]) -> str:
    """Worker ``index`` sends round ``number``'s code from its own chat."""
    from models.db import session_scope
    from yinhui.services.chat import redeem_invite

    chat = _chat_of(index, number, one["private"])
    with session_scope() as session:
        redeem_invite(session, one["code"], chat_id=chat, private=one["private"], title=f"群{index}")
    return str(chat)


def test_one_code_sent_from_several_chats_at_once_binds_exactly_one(database):
    rounds: list[dict[str, Any]] = []
    with session_scope() as s:
        factories.small_county(s)
        grids = [factories.grid(s, "河底镇", f"{n}村") for n in range(ROUNDS)]
        for n in range(ROUNDS):
            person = factories.coordinator(s, f"网格员{n}", "grid", ("城关镇/东街村",))
            rounds.append({"private": True, "coordinator": person.id,
                           "code": create_invite(s, coordinator_id=person.id, actor="test")})
            rounds.append({"private": False, "grid": grids[n], "code": create_invite(s, grid_id=grids[n], actor="test")})

    for number, (one, results) in enumerate(zip(rounds, race(database, rounds, _redeem), strict=True)):
        winners = [i for i, (kind, _) in enumerate(results) if kind == "ok"]
        assert len(winners) == 1, results
        assert all(kind == "ChatError" for i, (kind, _) in enumerate(results) if i != winners[0]), results
        chat = _chat_of(winners[0], number, one["private"])
        with session_scope() as s:
            invite = s.execute(select(ChatInvite).where(ChatInvite.used_by_chat.in_(  # type: ignore[attr-defined]
                [_chat_of(i, number, one["private"]) for i in range(WORKERS)]))).scalars().all()
            assert [row.used_by_chat for row in invite] == [chat]
            if one["private"]:
                person = s.get(Coordinator, one["coordinator"])
                assert person is not None and person.chat_id == chat
            else:
                bound = s.execute(select(GroupChat.chat_id).where(GroupChat.grid_id == one["grid"])).scalars().all()
                assert bound == [chat]
