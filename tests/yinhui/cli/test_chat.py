"""`yinhui coordinator invite`, `yinhui chat ...` and `yinhui bot` (a real process, polling or webhook)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from models.db import session_scope
from tests import factories
from tests.support.bot_api_standin import BotApiStandIn
from yinhui import clock

YINHUI = str(Path(sys.executable).with_name("yinhui"))
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@pytest.fixture
def schema(database):
    """The test database marked as migrated, so the CLI's schema check passes."""
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")
    with session_scope() as s:
        people = factories.small_county(s)
        factories.cadre(s, "张老", phones="13912345678")
    return {k: v.id for k, v in people.items()}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    from yinhui.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_coordinator_invite_prints_a_code_that_binds_once(schema, capsys):
    from yinhui.services.chat import redeem_invite
    from yinhui.services.errors import ChatError

    code, out, _ = run(capsys, "coordinator", "invite", "赵村网格", "--days", "3")
    assert code == 0
    [invite] = re.findall(r"/start ([A-Z2-9]{10})", out)
    assert out.startswith(f"invite code for 赵村网格: {invite} (one use")
    with session_scope() as s:
        binding = redeem_invite(s, invite.lower(), chat_id=4242, private=True)  # case does not matter
        assert binding.coordinator.name == "赵村网格"
    with session_scope() as s, pytest.raises(ChatError):
        redeem_invite(s, invite, chat_id=4343, private=True)
    code, _, err = run(capsys, "coordinator", "invite", "没有这个人")
    assert code == 1 and err.strip() == "yinhui: no coordinator named '没有这个人' (see `yinhui coordinator list`)"


def test_group_invite_and_grid_notices(schema, capsys):
    code, out, _ = run(capsys, "chat", "group-invite", "城关镇/东街村")
    assert code == 0 and "/start " in out
    code, _, err = run(capsys, "chat", "group-invite", "无此镇")
    assert code == 1 and "grid '无此镇' is not known" in err
    code, out, _ = run(capsys, "chat", "notices", "--date", "2026-10-02")
    assert code == 0 and out.strip() == "2026-10-02: 0 grid notice(s) queued; `yinhui dispatch` sends them"


def test_targets_are_added_checked_and_listed_masked(schema, capsys):
    key = "wecom-robot-key-0001"
    code, out, _ = run(capsys, "chat", "target", "add", "--coordinator", "赵村网格", f"wecombot://{key}")
    assert code == 0 and out.strip() == "wecom target #1 added for coordinator 赵村网格 (their channel is now wecom)"
    code, out, _ = run(capsys, "chat", "target", "add", "--grid", "城关镇", "dingtalk://dingtoken0123456789")
    assert code == 0
    code, out, _ = run(capsys, "chat", "target", "list", "--format", "json")
    rows = json.loads(out)
    assert [(r["kind"], r["coordinator"], r["grid"]) for r in rows] == [("wecom", "赵村网格", None), ("dingtalk", None, "城关镇")]
    assert key not in out and "dingtoken0123456789" not in out
    code, _, err = run(capsys, "chat", "target", "add", "--grid", "城关镇", "https://example.org/hook")
    assert code == 1 and "unsupported target URL scheme 'https'" in err
    code, out, _ = run(capsys, "coordinator", "list", "--format", "json")
    assert next(r for r in json.loads(out) if r["name"] == "赵村网格")["channel"] == "wecom"


def test_undelivered_shows_what_did_not_arrive_and_why(schema, capsys):
    from flows.deliver import deliver_batch
    from yinhui.services.outbox import enqueue

    with session_scope() as s:
        enqueue(s, dedupe_key="k1", recipient_id=schema["village"], channel="pigeon", kind="alert", subject="s", body="b")
    deliver_batch()
    code, out, _ = run(capsys, "chat", "undelivered")
    assert code == 0
    assert "赵村网格" in out and "dead" in out and "no channel of kind 'pigeon' is installed" in out
    assert out.strip().endswith("(1 message(s) not delivered; failed ones are retried, dead ones need a fix and `yinhui dispatch`)")


def test_undelivered_also_shows_messages_being_sent_and_stale_claims(schema, capsys):
    from models.outbox import SENDING, Notification
    from yinhui.services.outbox import LEASE, Holder, enqueue, this_machine

    with session_scope() as s:
        enqueue(s, dedupe_key="k2", recipient_id=schema["village"], channel="console", kind="digest", subject="s", body="b")
    # A dispatcher that was killed mid-send: its process is gone, its claim is left behind.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with session_scope() as s:
        row = s.execute(select(Notification).where(Notification.dedupe_key == "k2")).scalar_one()
        row.status, row.claim_token = SENDING, Holder("0123456789abcdef", this_machine(), child.pid, LEASE).token
        row.claimed_at = clock.now().in_timezone("UTC")
    code, out, _ = run(capsys, "chat", "undelivered")
    assert code == 0
    assert "stale" in out and f"pid {child.pid} on this machine" in out and "赵村网格" in out
    assert "(1 being sent, 1 of them stale" in out
    code, out, _ = run(capsys, "chat", "undelivered", "--format", "json")
    (held,) = [r for r in json.loads(out) if r["key"] == "k2"]
    assert held["status"] == "stale" and held["parts_sent"] == 0


# -- the bot process ---------------------------------------------------------------------------------


def _env(api: BotApiStandIn, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(YINHUI_TELEGRAM_TOKEN=api.token, YINHUI_TELEGRAM_API_URL=api.base_url, PYTHONUNBUFFERED="1", **extra)
    return env


def _stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung bot fails the test below
        process.kill()
        _, err = process.communicate()
    return process.returncode, err


def _invite(name: str) -> str:
    from yinhui.services.chat import create_invite
    from yinhui.services.coordinators import find_coordinator

    with session_scope() as s:
        return create_invite(s, coordinator_id=find_coordinator(s, name).id)


def test_yinhui_bot_polls_and_answers(schema):
    from models.people import Coordinator

    code = _invite("赵村网格")
    with BotApiStandIn() as api:
        process = subprocess.Popen([YINHUI, "bot", "--poll-timeout", "1"], env=_env(api),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            api.push_text(3001, "/help")
            api.push_text(3002, f"/start {code}")
            api.wait_for_sent(2, timeout=40)
        finally:
            returncode, err = _stop(process)
        replies = {m.chat_id: m.text for m in api.sent}
        assert replies[3001].startswith("您好！本机器人仅为老干部局工作人员服务")
        assert replies[3002].startswith("绑定成功：赵村网格。")
        commands = [r for r in api.requests if r.method == "setMyCommands"]
        assert [r.status for r in commands] == [200, 200]  # the command menu, zh and en
    assert returncode == 0, err
    assert "yinhui bot: serving via long polling" in err and "yinhui bot: stopped" in err
    assert api.token not in err and api.token.split(":")[1] not in err
    with session_scope() as s:
        assert s.execute(select(Coordinator.chat_id).where(Coordinator.name == "赵村网格")).scalar_one() == 3002


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, update: dict, secret: str | None) -> int:
    request = urllib.request.Request(url, data=json.dumps(update).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if secret:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_yinhui_bot_webhook_mode(schema):
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    secret = "webhook-secret-for-the-test"
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/help",
                                          "chat": {"id": 3101, "type": "private"},
                                          "from": {"id": 3101, "is_bot": False, "first_name": "x"},
                                          "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    with BotApiStandIn() as api:
        process = subprocess.Popen(
            [YINHUI, "bot", "--webhook", hook, "--listen", "127.0.0.1", "--port", str(port)],
            env=_env(api, YINHUI_TELEGRAM_WEBHOOK_SECRET=secret),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            api.wait_until(lambda: any(r.method == "setWebhook" for r in api.requests), timeout=40)
            deadline = time.monotonic() + 10
            status = None
            while time.monotonic() < deadline:  # the listener opens right after setWebhook
                try:
                    status = _post(hook, update, secret)
                    break
                except OSError:
                    time.sleep(0.2)
            assert status == 200
            [reply] = api.wait_for_sent(1, timeout=10)
            # Without Telegram's secret header an update is refused and never handled.
            assert _post(hook, dict(update, update_id=2), None) == 403
            time.sleep(0.5)
            assert len(api.sent) == 1
        finally:
            returncode, err = _stop(process)
    assert reply.chat_id == 3101 and reply.text.startswith("您好！本机器人仅为老干部局工作人员服务")
    assert returncode == 0, err
    assert secret not in err and api.token not in err


def test_yinhui_bot_without_a_token_says_so(schema, monkeypatch, capsys):
    from yinhui.settings import reset_settings

    monkeypatch.delenv("YINHUI_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("YINHUI_TELEGRAM_TOKEN_BLOCK", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    reset_settings()
    code, _, err = run(capsys, "bot")
    assert code == 1 and err.startswith("yinhui: no Telegram token: set YINHUI_TELEGRAM_TOKEN")
