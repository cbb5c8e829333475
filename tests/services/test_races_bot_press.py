"""A button pressed in chat and `yinhui complete` typed at the same moment: one wins, the other is told who.

The chat side is the real python-telegram-bot Application in the test process, polling the Bot API
stand-in, which serves the coordinator's press as a callback update. The command side is the
real `yinhui complete` (`yinhui.cli.main`, the installed command's entry point) run in a second,
spawned process. Both meet at a barrier each round: the parent pushes the press the moment it
passes, the child starts the command, so each round is a true race between two processes (the
assertions hold whichever lands first). SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing as mp
import os
import queue
import re
import traceback
from typing import Any

from sqlalchemy import select

from models.db import session_scope
from models.tasks import Contact, Task, TaskEvent
from tests import factories
from tests.notifiers.conftest import (  # noqa: F401  (api, telegram_env: fixtures)
    IGNORE_RETRY_AFTER_WARNING,
    VILLAGE_CHAT,
    api,
    build_county,
    find_button,
    running_bot,
    telegram_env,
)
from yinhui import clock
from yinhui.rules.cadence import period_of

pytestmark = IGNORE_RETRY_AFTER_WARNING
ROUNDS = 8
WAIT_S = 120
PRESSER, TYPIST = "赵村网格", "王网格"  # the village coordinator presses, the township's types
RECORDED = "已记录：✅ 已接通"
# The command takes longer to reach the database than a press does, so the press waits a little in
# some rounds: both sides get to win, while the assertions hold for every order.
HEAD_START = (0.0, 0.02, 0.04, 0.08)


def _cli_worker(url: str, task_ids: list[int], barrier: Any, results: Any) -> None:
    """`yinhui complete ID --outcome reached --as 王网格` once per round, right after the barrier."""
    os.environ["YINHUI_DATABASE_URL"] = url
    try:
        from yinhui.cli import main

        with contextlib.redirect_stderr(io.StringIO()):  # a first run warms the command up: no such task
            main(["complete", str(max(task_ids) + 1000), "--outcome", "reached", "--as", TYPIST])
    except Exception:  # noqa: BLE001
        results.put((-1, "crash", traceback.format_exc()))
        barrier.abort()
        return
    for number, task_id in enumerate(task_ids):
        try:
            barrier.wait(WAIT_S)
        except Exception:  # noqa: BLE001
            results.put((number, "crash", "the barrier broke"))
            return
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["complete", str(task_id), "--outcome", "reached", "--as", TYPIST])
        except BaseException:  # noqa: BLE001
            results.put((number, "crash", traceback.format_exc()))
            return
        results.put((number, code, err.getvalue()))


def _open_calls() -> list[int]:
    """A monthly call open today for ROUNDS cadres of 东街村, on the village coordinator's list."""
    from yinhui.services.planning import refresh_grid_owners
    from yinhui.services.tasks import create_tasks

    county = build_county()  # binds the village coordinator's private chat
    today, month = clock.today(), period_of("month", clock.today())
    with session_scope() as s:
        ids = [factories.cadre(s, f"老{i}", village="东街村", township="城关镇").id for i in range(ROUNDS)]
        refresh_grid_owners(s)
        create_tasks(session=s, actor="test", rows=[
            {"kind": "call", "rule": "monthly_call", "subject_id": c, "cadre_id": c, "period": month.key,
             "window_opens": month.start, "due": today, "assignee_id": county.village} for c in ids])
        return list(s.execute(select(Task.id).where(Task.cadre_id.in_(ids)).order_by(Task.id)).scalars())


def _send_the_buttons() -> None:
    from flows.digests import write_digests
    from tests.notifiers.conftest import deliver

    assert write_digests(clock.today()) >= 1
    assert deliver()["sent"] >= 1


def _trail(task_id: int) -> tuple[Task, list[tuple[str, str | None]], list[str]]:
    with session_scope() as s:
        task = s.get(Task, task_id)
        events = [(e.action, e.actor) for e in s.execute(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)).scalars()]
        contacts = list(s.execute(select(Contact.mode).where(Contact.task_id == task_id)).scalars())
        assert task is not None
        return task, events, contacts


async def test_a_button_press_racing_yinhui_complete_closes_the_task_once(database, telegram_env):  # noqa: F811
    stand_in = telegram_env
    calls = _open_calls()
    _send_the_buttons()
    with session_scope() as s:
        from models.people import Coordinator

        ids = {name: id_ for name, id_ in s.execute(select(Coordinator.name, Coordinator.id))}
    presser, typist = f"coordinator:{ids[PRESSER]}", f"coordinator:{ids[TYPIST]}"
    buttons = [find_button(stand_in, VILLAGE_CHAT, task_id, "接通") for task_id in calls]

    context = mp.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    cli = context.Process(target=_cli_worker, args=(database, calls, barrier, results), daemon=True)
    cli.start()
    wins = {"chat": 0, "cli": 0}
    try:
        async with running_bot(stand_in):
            for number, (task_id, (message_id, data)) in enumerate(zip(calls, buttons, strict=True)):
                await asyncio.to_thread(barrier.wait, WAIT_S)
                await asyncio.sleep(HEAD_START[number % len(HEAD_START)])
                query_id = stand_in.push_callback(VILLAGE_CHAT, message_id, data)
                await stand_in.wait_until_async(
                    lambda q=query_id: any(a.callback_query_id == q for a in stand_in.answered_callbacks), timeout=WAIT_S)
                answer = next(a.text for a in stand_in.answered_callbacks if a.callback_query_id == query_id)
                try:
                    got = await asyncio.to_thread(results.get, True, WAIT_S)
                except queue.Empty:
                    raise AssertionError(f"round {number}: no answer from `yinhui complete`") from None
                assert got[1] != "crash", got[2]
                _, code, err = got

                task, events, contacts = _trail(task_id)
                assert (code == 0) != (answer == RECORDED), (answer, code, err)  # exactly one went in
                assert task.status == "done" and contacts == ["call"]
                if code == 0:
                    wins["cli"] += 1
                    assert (events, task.closed_by) == ([("completed", typist)], typist)
                    # Told in Chinese who did it and when, whether the command landed while the
                    # press was carried out or before it was even checked.
                    assert re.fullmatch(rf"该任务已由{TYPIST}于 \d{{4}}-\d\d-\d\d \d\d:\d\d 完成，未作任何更改。", answer), answer
                else:
                    wins["chat"] += 1
                    assert (events, task.closed_by) == ([("completed", presser)], presser)
                    assert re.search(rf"already done by {PRESSER} at \d{{4}}-\d\d-\d\d \d\d:\d\d", err), err
                    assert len(err.strip().splitlines()) == 1, err
    finally:
        cli.join(30)
        if cli.is_alive():
            cli.terminate()
    assert sum(wins.values()) == ROUNDS
