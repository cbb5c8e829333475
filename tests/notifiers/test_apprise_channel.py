"""WeCom and DingTalk group robots and e-mail through Apprise, against local servers on 127.0.0.1.

The robots' API hosts are fixed in Apprise's plugins; the tests point those class attributes at
a local HTTP server, so the real Apprise code builds and sends the real requests.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.outbox import Notification
from notifiers.apprise_channel import TargetError, check_target, target_kind
from tests import factories
from tests.notifiers.conftest import PHONES, County, D, build_county, deliver, plan_day
from tests.support.robots import WECOM_KEY, mail_url
from yinhui.services.delivery import add_apprise_target
from yinhui.services.grid_notices import queue_grid_notices


def village_reached_by(kind: str, url: str) -> County:
    """The small county with its village coordinator reached through one Apprise target (no Telegram
    chat), 1 October planned: three digests to deliver, the village's through that target."""
    county = build_county(bound=False)
    with session_scope() as s:
        add_apprise_target(s, kind=kind, url=url, coordinator_id=county.village)
    plan_day(D("2026-10-01"))
    return county


def test_target_urls_are_checked_offline():
    assert target_kind("wecombot://abc") == "wecom"
    assert check_target(f"wecombot://{WECOM_KEY}") == "wecom"
    assert check_target("dingtalk://abcdef0123456789") == "dingtalk"
    assert check_target("mailtos://bureau:pw@smtp.example.org?to=wang@example.org") == "email"
    with pytest.raises(TargetError, match="unsupported target URL scheme 'https'"):
        check_target("https://example.org/hook")
    with pytest.raises(TargetError, match="cannot parse"):
        check_target("dingtalk://")


def test_a_coordinators_wecom_robot_gets_the_digest_without_phones(database, robots):
    county = village_reached_by("wecom", f"wecombot://{WECOM_KEY}")
    result = deliver()
    assert result["sent"] == 3  # two on the console, one to the robot
    [(path, body)] = robots.posts
    assert path == f"/cgi-bin/webhook/send?key={WECOM_KEY}"
    text = body["text"]["content"]
    assert "赵村网格，您好！" in text and "张老" in text
    assert not [p for p in PHONES if p in text]  # a robot posts into a group chat
    with session_scope() as s:
        row = s.execute(select(Notification).where(Notification.recipient_id == county.village)).scalar_one()
    assert (row.channel, row.status, row.external_id) == ("wecom", "sent", "wecom:1")


def test_a_grid_dingtalk_robot_gets_the_grid_notice(database, robots):
    county = build_county(bound=False)
    plan_day(D("2026-10-01"))
    with session_scope() as s:
        add_apprise_target(s, kind="dingtalk", url="dingtalk://dingtoken0123456789",
                           grid_id=factories.grid(s, "城关镇", "东街村"))
        assert queue_grid_notices(s, D("2026-10-02")) == 1
    deliver()
    [(path, body)] = [p for p in robots.posts if p[0].startswith("/robot/send")]
    assert path == "/robot/send?access_token=dingtoken0123456789"
    text = json.dumps(body, ensure_ascii=False)
    assert "城关镇/东街村" in text and "在办任务 6 项" in text
    assert not [n for n in county.cadres if n in text]


def test_a_refusing_robot_leaves_the_message_in_the_outbox(database, robots, caplog):
    robots.status = 500
    village_reached_by("wecom", f"wecombot://{WECOM_KEY}")
    assert deliver()["failed"] == 1
    with session_scope() as s:
        row = s.execute(select(Notification).where(Notification.channel == "wecom")).scalar_one()
    assert row.status == "failed" and row.last_error == "wecom: the service did not accept the message"
    assert WECOM_KEY not in caplog.text


def test_email(database, mailbox):
    village_reached_by("email", mail_url(mailbox))
    assert deliver()["sent"] == 3
    [message] = mailbox.messages
    assert "zhao@example.org" in message and "2026-10-01" in message


def test_no_target_is_a_permanent_failure(database):
    county = build_county(bound=False)
    with session_scope() as s:
        from models.people import Coordinator

        s.get(Coordinator, county.village).channel = "dingtalk"
    plan_day(D("2026-10-01"))
    assert deliver()["dead"] == 1
