"""The task page's web application: `create_app()` builds it; `yinhui web` serves it with uvicorn.

Server-rendered HTML (Jinja2) and one stylesheet: no JavaScript, nothing from a CDN, so it works
in the in-app browsers of WeChat, WeCom and DingTalk. Every page reads and writes through the
services; every POST carries the browser's CSRF token; URLs carry task and grid ids only.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from models.people import Coordinator
from yinhui import clock
from yinhui.i18n import LOCALES, translator
from yinhui.messages.texts import text
from yinhui.playbook_loader import current_playbook
from yinhui.services.chat import redeem_invite_for_browser
from yinhui.services.coordinators import sign_out_browsers
from yinhui.services.errors import ChatError
from yinhui.services.overview import page_version
from yinhui.settings import get_settings
from yinhui.web import auth, cache
from yinhui.web.leader import overview_page, prefect_ui_address, rate_class
from yinhui.web.pages import Refused, carry_out, task_page
from yinhui.web.reports import (
    MUST_VISIT_KINDS,
    attend_from_page,
    events_to_attend,
    report_from_page,
)
from yinhui.web.texts import t

HERE = Path(__file__).resolve().parent
ACTIONS = ("answer", "reschedule", "note")
MAX_FORM_BYTES = 8192
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def worker_threads(configured: int | None) -> int:
    """How many requests the page works on at once (the rest wait their turn, first come first served).

    Drawing a page is Python work, and Python runs one thread at a time: more threads than the
    database's waits can use only make each request share the interpreter with more others and
    finish later. Two let one request draw while another waits on the database. Measured with
    `benchmarks/web_bench.py` on SQLite and on PostgreSQL over loopback, four threads did no better
    than two on either (worse on PostgreSQL's presses); a PostgreSQL server across a network, where
    each round trip takes a millisecond or more, may gain from more (`YINHUI_WEB_THREADS`).
    """
    return configured or 2


def create_app(engine: Engine | None = None) -> FastAPI:
    """The task page over ``engine`` (default: the configured database)."""
    settings = get_settings()
    secure = bool(settings.web_url and settings.web_url.startswith("https://"))
    sessions = auth.Signer(auth.signing_key(settings), "session")
    flashes = auth.Signer(auth.signing_key(settings), "flash")
    attempts = auth.BindAttempts()
    prefect_ui = prefect_ui_address()
    kept = cache.PageCache()  # coordinators' pages between changes
    for language in LOCALES:  # read the catalogues now, not on some coordinator's first page load
        translator(language)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(t=t, text=text, rate_class=rate_class)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:

        # Starlette runs every endpoint that is not async in this pool (anyio's, 40 threads by default).
        threads = worker_threads(settings.web_threads)
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        # Everything loaded so far (the libraries, the catalogues, the app) lives as long as the
        # process: kept out of the garbage collector's full passes, which otherwise walk it all and
        # stop every request for about 100 ms a few times a minute (measured: benchmarks/web_bench.py).
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    writes = threading.Lock()

    @contextmanager
    def unit_of_work(read_only: bool = False) -> Iterator[Session]:
        """A unit of work; on SQLite the page's own writers queue here, one at a time, instead of
        polling SQLite's write lock (its busy handler sleeps up to 100 ms between tries)."""
        from models.db import get_engine, session_scope

        serial = not read_only and (engine or get_engine()).dialect.name == "sqlite"
        with writes if serial else nullcontext(), session_scope(engine, read_only=read_only) as session:
            yield session

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/static/"):  # the stylesheet may be kept; pages never
            response.headers["Cache-Control"] = "public, max-age=3600"
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")

    def csrf_of(request: Request) -> tuple[str, bool]:
        """The browser's CSRF token, and whether it is new (to be set on the response)."""
        current = request.cookies.get(auth.CSRF_COOKIE)
        return (current, False) if current else (auth.new_csrf_token(), True)

    def signed_in(request: Request, session: Session) -> Coordinator | None:
        bound = auth.read_session(sessions, request.cookies.get(auth.SESSION_COOKIE))
        if bound is None:
            return None
        coordinator = session.get(Coordinator, bound.coordinator_id)
        return coordinator if bound.honoured_for(coordinator) else None

    def language_of(coordinator: Coordinator | None) -> str:
        return (coordinator.language if coordinator and coordinator.language else None) or settings.language

    def page(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
        token, new = csrf_of(request)
        flash = flashes.unsign(request.cookies.get(auth.FLASH_COOKIE), max_age=300)
        response = templates.TemplateResponse(
            request, name, {"csrf": token, "flash": flash, **context}, status_code=status)
        if new:
            cookie(response, auth.CSRF_COOKIE, token)
        if request.cookies.get(auth.FLASH_COOKIE):
            response.delete_cookie(auth.FLASH_COOKIE, path="/")
        return response

    def go(to: str, *, message: str | None = None, ok: bool = True) -> Response:
        response = RedirectResponse(to, status_code=303)
        if message:
            # Wall-clock seconds, as the session's: a cookie's age is not a matter of the bureau's day.
            cookie(response, auth.FLASH_COOKIE, flashes.sign({"m": message, "ok": ok, "at": int(time.time())}))
        return response

    async def read_form(request: Request) -> dict[str, str] | None:
        """The posted form (url-encoded), or None when its CSRF token is not this browser's."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return None
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE), form.get("csrf")):
            return None
        return form

    def forged(request: Request, coordinator: Coordinator | None) -> Response:
        language = language_of(coordinator)
        return page(request, "message.html", {"language": language, "coordinator": coordinator,
                                              "message": t(language, "refused.forged")}, status=403)

    def poster(request: Request, form: dict[str, str] | None) -> tuple[Coordinator, dict[str, str]] | Response:
        """A task-page form and the signed-in coordinator who posted it; else the page to show instead."""
        with unit_of_work(read_only=True) as session:
            coordinator = signed_in(request, session)
        if coordinator is None:
            return go("/bind", message=t(settings.language, "error.sign_in"), ok=False)
        if form is None:
            return forged(request, coordinator)
        return coordinator, form

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        with unit_of_work(read_only=True) as session:
            return go("/tasks" if signed_in(request, session) else "/bind")

    @app.get("/bind", response_class=HTMLResponse)
    def bind_form(request: Request) -> Response:
        return page(request, "bind.html", {"language": settings.language, "coordinator": None, "error": None})

    @app.post("/bind", response_class=HTMLResponse)
    async def bind(request: Request) -> Response:
        # Forms are read on the event loop; the database work runs in the thread pool, as the pages' does.
        return await run_in_threadpool(bound, request, await read_form(request))

    def bound(request: Request, form: dict[str, str] | None) -> Response:
        language = settings.language
        if form is None:
            return forged(request, None)
        client = request.client.host if request.client else "?"
        if attempts.locked(client):
            return page(request, "bind.html", {"language": language, "coordinator": None,
                                               "error": t(language, "bind.too_many")}, status=429)
        try:
            with unit_of_work() as session:
                coordinator, invite_id = redeem_invite_for_browser(session, form.get("code", ""))
                name, coordinator_id = coordinator.name, coordinator.id or 0
        except ChatError:
            attempts.wrong(client)
            return page(request, "bind.html", {"language": language, "coordinator": None,
                                               "error": t(language, "bind.bad_code")}, status=400)
        response = go("/tasks", message=t(language_of(coordinator), "bind.done", name=name))
        cookie(response, auth.SESSION_COOKIE, auth.session_token(sessions, coordinator_id, invite_id),
               max_age=auth.SESSION_DAYS * 86400)
        cookie(response, auth.CSRF_COOKIE, auth.new_csrf_token())  # forms from before binding no longer count
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        if await read_form(request) is None:
            return forged(request, None)
        response = go("/bind", message=t(settings.language, "logout.done"))
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        cookie(response, auth.CSRF_COOKIE, auth.new_csrf_token())
        return response

    @app.post("/logout/everywhere")
    async def logout_everywhere(request: Request) -> Response:
        return await run_in_threadpool(signed_out_everywhere, request, await read_form(request))

    def signed_out_everywhere(request: Request, form: dict[str, str] | None) -> Response:
        if form is None:
            return forged(request, None)
        with unit_of_work() as session:
            coordinator = signed_in(request, session)
            if coordinator is None:
                return go("/bind")
            language = language_of(coordinator)
            sign_out_browsers(session, coordinator)
        response = go("/bind", message=t(language, "logout.everywhere_done"))
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        cookie(response, auth.CSRF_COOKIE, auth.new_csrf_token())
        return response

    @app.get("/tasks", response_class=HTMLResponse)
    def tasks(request: Request) -> Response:
        with unit_of_work(read_only=True) as session:
            coordinator = signed_in(request, session)
            if coordinator is None:
                return go("/bind")
            language = language_of(coordinator)
            today = clock.today()
            key, version = (coordinator.id, today, language), page_version(session, coordinator.id or 0)
            token, new = csrf_of(request)
            flash = flashes.unsign(request.cookies.get(auth.FLASH_COOKIE), max_age=300)
            html = None if flash else kept.get(key, version)
            if html is None:
                view = task_page(session, coordinator, today=today, language=language, playbook=current_playbook())
                html = templates.get_template("tasks.html").render(
                    request=request, csrf=cache.TOKEN_SLOT, flash=flash, language=language, coordinator=coordinator,
                    view=view, kinds=MUST_VISIT_KINDS, events=events_to_attend(session, today=today))
                if not flash:
                    kept.put(key, version, html)
        response = HTMLResponse(html.replace(cache.TOKEN_SLOT, token))
        if new:
            cookie(response, auth.CSRF_COOKIE, token)
        if request.cookies.get(auth.FLASH_COOKIE):
            response.delete_cookie(auth.FLASH_COOKIE, path="/")
        return response

    @app.post("/report")
    async def report(request: Request) -> Response:
        return await reported(request, report_from_page, "report")

    @app.post("/attend")
    async def attend(request: Request) -> Response:
        return await reported(request, attend_from_page, "attend")

    async def reported(request: Request, record: Callable[..., str], anchor: str) -> Response:
        return await run_in_threadpool(recorded, request, await read_form(request), record, anchor)

    def recorded(request: Request, form: dict[str, str] | None, record: Callable[..., str], anchor: str) -> Response:
        """A must-visit report or an attendance list from the page, in the signed-in coordinator's name."""
        posted = poster(request, form)
        if isinstance(posted, Response):
            return posted
        coordinator, form = posted
        language = language_of(coordinator)
        try:
            with unit_of_work() as session:
                said = record(session, coordinator.id or 0, form, today=clock.today(), language=language,
                              playbook=current_playbook())
        except Refused as refused:
            return go(f"/tasks#{anchor}", message=refused.words, ok=False)
        return go(f"/tasks#{anchor}", message=said)

    @app.post("/tasks/{task_id}/{action}")
    async def act(request: Request, task_id: int, action: str) -> Response:
        return await run_in_threadpool(answered, request, await read_form(request), task_id, action)

    def answered(request: Request, form: dict[str, str] | None, task_id: int, action: str) -> Response:
        """An answer, a new date or a note from a task's card, in the signed-in coordinator's name."""
        posted = poster(request, form)
        if isinstance(posted, Response):
            return posted
        coordinator, form = posted
        language = language_of(coordinator)
        if action not in ACTIONS:
            return page(request, "message.html", {"language": language, "coordinator": coordinator,
                                                  "message": t(language, "error.not_found")}, status=404)
        try:
            with unit_of_work() as session:
                said = carry_out(session, coordinator.id or 0, task_id, action, form, today=clock.today(),
                                 language=language, playbook=current_playbook())
        except Refused as refused:
            if refused.status in (403, 404):  # not theirs: no page of someone else's task
                return page(request, "message.html", {"language": language, "coordinator": coordinator,
                                                      "message": refused.words}, status=refused.status)
            return go(f"/tasks#task-{task_id}", message=refused.words, ok=False)
        return go(f"/tasks#task-{task_id}", message=said)

    @app.get("/overview", response_class=HTMLResponse)
    def overview(request: Request, grid: str | None = None) -> Response:
        with unit_of_work(read_only=True) as session:
            coordinator = signed_in(request, session)
            if coordinator is None:
                return go("/bind")
            language = language_of(coordinator)
            chosen = int(grid) if grid and grid.isdigit() else None  # a grid to drill into, by id
            view = overview_page(session, coordinator, today=clock.today(), language=language, grid=chosen,
                                 prefect_ui=prefect_ui)
            if view is None:
                return page(request, "message.html", {"language": language, "coordinator": coordinator,
                                                      "message": t(language, "refused.leaders_only")}, status=403)
            return page(request, "overview.html", {"language": language, "coordinator": coordinator, "view": view})

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok", "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    return app
