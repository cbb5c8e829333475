"""The task page's safety: CSRF on every form, security headers, no personal data in URLs or the access log."""

from __future__ import annotations

import logging
import re

import httpx
from sqlalchemy import select

from tests.support.browser import served
from tests.web.conftest import bind, csrf_of, invite, post
from yinhui.web import auth


def _status(task_id):  # noqa: ANN001, ANN202
    from models.db import session_scope
    from models.tasks import Task

    with session_scope() as s:
        return s.get(Task, task_id).status


def test_every_page_sends_the_security_headers(county, browser_client):
    for path in ("/bind", "/tasks", "/static/site.css"):
        headers = browser_client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"


def test_the_pages_carry_no_script_and_no_outside_asset(county, browser_client):
    bind(browser_client, county.leader)
    for path in ("/bind", "/tasks", "/overview"):
        html = browser_client.get(path).text
        assert "<script" not in html and " style=" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_a_forged_or_missing_token_changes_nothing(county, browser_client):
    bind(browser_client, county.village)
    for fields in ({"outcome": "visited"}, {"outcome": "visited", "csrf": "forged-token"}):
        refused = browser_client.post(f"/tasks/{county.visit}/answer", data=fields)
        assert refused.status_code == 403 and "此表单已过期或并非来自本页面" in refused.text
    assert _status(county.visit) == "open"
    # A page elsewhere posting into ours sends our cookies but cannot know the token.
    assert browser_client.post("/bind", data={"code": invite(county.town)}).status_code == 403


def test_a_form_from_before_a_new_binding_is_stale(county, browser_client):
    bind(browser_client, county.village)
    stale = csrf_of(browser_client.get("/tasks").text)
    bind(browser_client, county.village)  # bound again (a new code): the token is renewed
    refused = browser_client.post(f"/tasks/{county.visit}/answer", data={"csrf": stale, "outcome": "visited"})
    assert refused.status_code == 403 and _status(county.visit) == "open"
    assert post(browser_client, f"/tasks/{county.visit}/answer", outcome="visited").status_code == 303
    assert _status(county.visit) == "done"


def test_the_token_cookie_is_http_only_and_lax(county, browser_client):
    browser_client.get("/bind")
    cookie = next(c for c in browser_client.cookies.jar if c.name == auth.CSRF_COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"


def test_urls_and_the_access_log_carry_ids_only(county, app, caplog):
    from models.db import session_scope
    from models.people import Cadre

    with session_scope() as s:
        cadres = list(s.execute(select(Cadre)).scalars())
        private = {c.name for c in cadres} | {c.phones for c in cadres} | {c.id_number for c in cadres}
    with caplog.at_level(logging.INFO, logger="uvicorn.access"), served(app, access_log=True) as base, \
            httpx.Client(base_url=base, follow_redirects=True) as client:
        token = csrf_of(client.get("/bind").text)
        client.post("/bind", data={"csrf": token, "code": invite(county.leader)})
        page = client.get("/tasks").text
        token = csrf_of(page)
        client.post(f"/tasks/{county.visit}/note", data={"csrf": token, "note": "13912345678 甲老"})
        overview = client.get("/overview")
        links = re.findall(r'(?:href|action)="([^"]+)"', page + overview.text)
        for link in links:  # every page a link leads to (the forms post; tel: is the phone)
            if not link.startswith(("tel:", "/logout", "/tasks/")):
                client.get(link)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/overview" in logged and "/bind" in logged
    for value in private:
        assert value not in logged
        assert all(value not in link for link in links if not link.startswith("tel:"))
