"""Binding a browser: the same one-time codes as Telegram, a signed HTTP-only cookie, revoked with the coordinator."""

from __future__ import annotations

import os
import stat

import pytest
from pydantic import ValidationError

from tests.web.conftest import bind, csrf_of, invite
from yinhui.settings import Settings, use_settings
from yinhui.web import auth


def test_a_code_binds_the_browser_with_an_http_only_cookie_and_leaves_telegram_alone(county, browser_client):
    from models.db import session_scope
    from models.people import Coordinator

    with session_scope() as s:  # already bound in Telegram
        s.get(Coordinator, county.village).chat_id, s.get(Coordinator, county.village).channel = 5551, "telegram"
    bind(browser_client, county.village)
    cookie = next(c for c in browser_client.cookies.jar if c.name == auth.SESSION_COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"
    assert not cookie.secure  # plain http on loopback
    page = browser_client.get("/tasks")
    assert page.status_code == 200 and "赵村网格" in page.text and "甲老" in page.text
    assert "绑定成功：本浏览器现属于赵村网格。" in page.text  # said once, then gone
    assert "绑定成功" not in browser_client.get("/tasks").text
    with session_scope() as s:
        village = s.get(Coordinator, county.village)
        assert (village.chat_id, village.channel) == (5551, "telegram")  # the Telegram binding stays


def test_a_code_is_spent_once_and_a_wrong_one_says_so_in_chinese(county, browser_client, app):
    from fastapi.testclient import TestClient

    code = invite(county.village)
    token = csrf_of(browser_client.get("/bind").text)
    assert browser_client.post("/bind", data={"csrf": token, "code": code}).status_code == 303
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as other:
        token = csrf_of(other.get("/bind").text)
        again = other.post("/bind", data={"csrf": token, "code": code})
        assert again.status_code == 400 and "邀请码无效" in again.text
        assert other.get("/tasks").headers["location"] == "/bind"


def test_wrong_codes_are_slowed_down_as_in_chat(county, browser_client):
    from notifiers.bot.guard import WRONG_CODES_ALLOWED

    token = csrf_of(browser_client.get("/bind").text)
    for _ in range(WRONG_CODES_ALLOWED):
        assert browser_client.post("/bind", data={"csrf": token, "code": "WRONG-CODE"}).status_code == 400
    # Locked: even the right code is not looked up for the hour.
    locked = browser_client.post("/bind", data={"csrf": token, "code": invite(county.village)})
    assert locked.status_code == 429 and "一小时" in locked.text


def test_deactivating_the_coordinator_signs_their_browsers_out(county, browser_client):
    from models.db import session_scope
    from models.people import Coordinator

    bind(browser_client, county.village)
    assert browser_client.get("/tasks").status_code == 200
    with session_scope() as s:
        s.get(Coordinator, county.village).active = False
    assert browser_client.get("/tasks").headers["location"] == "/bind"
    answer = browser_client.post(f"/tasks/{county.visit}/answer", data={"outcome": "visited", "csrf": "x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/bind"


def test_an_altered_session_cookie_is_no_session(county, browser_client):
    bind(browser_client, county.village)
    value = browser_client.cookies[auth.SESSION_COOKIE]
    signer = auth.Signer(b"not the key", "session")
    browser_client.cookies.set(auth.SESSION_COOKIE, auth.session_token(signer, county.leader, 1))
    assert browser_client.get("/tasks").headers["location"] == "/bind"
    body, _, mac = value.rpartition(".")
    browser_client.cookies.set(auth.SESSION_COOKIE, body[:-2] + "AA." + mac)
    assert browser_client.get("/tasks").headers["location"] == "/bind"


def test_sign_out_forgets_the_session(county, browser_client):
    bind(browser_client, county.village)
    token = csrf_of(browser_client.get("/tasks").text)
    assert browser_client.post("/logout", data={"csrf": token}).headers["location"] == "/bind"
    assert browser_client.get("/tasks").headers["location"] == "/bind"


def test_signing_out_on_every_browser_ends_each_of_the_coordinators_sessions_only(county, browser_client, app):
    from fastapi.testclient import TestClient

    from models.db import session_scope
    from models.people import Coordinator

    with session_scope() as s:  # already bound in Telegram
        s.get(Coordinator, county.village).chat_id, s.get(Coordinator, county.village).channel = 5551, "telegram"
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as desktop, \
            TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as colleague:
        for client, who in ((browser_client, county.village), (desktop, county.village), (colleague, county.town)):
            bind(client, who)
        page = desktop.get("/tasks").text
        assert "在所有浏览器上退出" in page
        # Without the page's token nothing happens.
        assert desktop.post("/logout/everywhere", data={"csrf": "forged"}).status_code == 403
        assert browser_client.get("/tasks").status_code == 200
        # The phone is lost: from the desktop, every browser of 赵村网格 is signed out, this one too.
        done = desktop.post("/logout/everywhere", data={"csrf": csrf_of(page)})
        assert done.headers["location"] == "/bind"
        assert "所有绑定到您的浏览器均已退出" in desktop.get("/bind").text
        for client in (browser_client, desktop):
            assert client.get("/tasks").headers["location"] == "/bind"
            refused = client.post(f"/tasks/{county.visit}/answer", data={"outcome": "visited", "csrf": "x"})
            assert refused.headers["location"] == "/bind"
        assert colleague.get("/tasks").status_code == 200  # another coordinator's browser is not touched
        bind(desktop, county.village)  # a new code, even within the same second, binds again
        assert desktop.get("/tasks").status_code == 200
        assert browser_client.get("/tasks").headers["location"] == "/bind"
    with session_scope() as s:
        village = s.get(Coordinator, county.village)
        assert (village.chat_id, village.channel, village.active) == (5551, "telegram", True)


def test_the_operator_signs_a_coordinators_browsers_out_from_the_command_line(county, browser_client, capsys):
    from yinhui.cli import main

    bind(browser_client, county.village)
    assert main(["coordinator", "sign-out", "赵村网格"]) == 0
    assert "every browser bound to 赵村网格 is signed out" in capsys.readouterr().out
    assert browser_client.get("/tasks").headers["location"] == "/bind"
    assert main(["coordinator", "sign-out", "无此人"]) == 1
    assert "no coordinator named '无此人'" in capsys.readouterr().err


def test_the_signing_key_is_kept_in_the_data_dir_and_never_printed(tmp_path, capsys):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    first = auth.signing_key(settings)
    assert first == auth.signing_key(settings) and len(first) >= 32
    kept = tmp_path / auth.SECRET_FILE
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    configured = Settings(_env_file=None, data_dir=tmp_path, web_secret="k" * 40)
    assert auth.signing_key(configured) == b"k" * 40
    assert first.decode() not in capsys.readouterr().out


def test_secure_cookies_behind_https(county, tmp_path):
    from fastapi.testclient import TestClient

    from yinhui.web.app import create_app

    with use_settings(Settings(_env_file=None, data_dir=tmp_path, web_url="https://yinhui.example.cn/")):
        app = create_app()
    with TestClient(app, base_url="https://yinhui.example.cn", follow_redirects=False) as client:
        client.get("/bind")
        cookie = next(c for c in client.cookies.jar if c.name == auth.CSRF_COOKIE)
        assert cookie.secure


@pytest.mark.parametrize(("field", "value", "says"), [
    ("web_url", "yinhui.example.cn", "http:// or https://"),
    ("web_secret", "short", "at least 32"),
])
def test_bad_web_settings_are_refused_saying_why(field, value, says):
    with pytest.raises(ValidationError, match=says):
        Settings(_env_file=None, **{field: value})
