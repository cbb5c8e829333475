"""Domain errors say why in the reader's language: English in `str`, any language through `render`.

Every refusal a service raises is a catalogue text with its values (never an f-string), so the
command line words it in the operator's language and the chat bot in the chat's.
"""

from __future__ import annotations

import ast
import importlib
import pickle
import pkgutil
from pathlib import Path

import pytest

import yinhui.services
from yinhui import i18n
from yinhui.i18n import N_
from yinhui.roster.fields import FieldError
from yinhui.rules.assignment import NoLeaderError, assign_grids
from yinhui.services.errors import (
    CareError,
    DomainError,
    PlanningError,
    TaskClosedError,
    TaskError,
    Word,
)

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("yinhui/services", "flows", "notifiers")


def test_str_is_the_english_and_render_the_readers():
    error = TaskError(N_("task #{task_id} can move to a day from {today} to {latest}, not {to}"), task_id=7,
                      today="2026-11-05", latest="2026-11-30", to="2026-12-01")
    assert str(error) == "task #7 can move to a day from 2026-11-05 to 2026-11-30, not 2026-12-01"
    assert error.render("en") == str(error)
    assert error.render("zh") == "任务 #7 只能改到 2026-11-05 至 2026-11-30 之间的日子，不能改到 2026-12-01"
    assert error.render("fr") == error.render("zh")  # any other language reads the bureau's default, Chinese


def test_a_repr_placeholder_quotes_the_english_only():
    error = CareError(N_("no cadre called {name!r}"), name="张老")
    assert str(error) == "no cadre called '张老'"
    assert error.render("zh") == "没有名叫「张老」的老干部"


def test_our_own_words_in_a_message_are_translated_with_it():
    error = CareError(N_("{name} is {status} (since {since}); nothing was reported"), name="张老",
                      status=Word("deceased"), since="2026-10-01")
    assert str(error) == "张老 is deceased (since 2026-10-01); nothing was reported"
    assert error.render("zh") == "张老已去世（自 2026-10-01 起）；未上报"
    assert CareError(N_("{name} is {status}; nothing was closed"), name="张老",
                     status=Word("not a word of ours")).render("zh") == "张老not a word of ours；未作结案"


@pytest.mark.parametrize(("closed", "english", "chinese"), [
    (TaskClosedError(12, "done", by="王芳", at="2026-11-29 10:15", outcome="reached"),
     "task #12 is already done by 王芳 at 2026-11-29 10:15 (reached); nothing was changed",
     "任务 #12 已由王芳于 2026-11-29 10:15 完成（已接通），未作任何更改"),
    (TaskClosedError(12, "done", by="王芳", at=None, outcome="visited"),
     "task #12 is already done by 王芳 (visited); nothing was changed",
     "任务 #12 已由王芳完成（已走访），未作任何更改"),
    (TaskClosedError(12, "cancelled", by="cli", at="2026-11-29 10:15"),
     "task #12 is already cancelled by cli at 2026-11-29 10:15; nothing was changed",
     "任务 #12 已由cli于 2026-11-29 10:15 取消，未作任何更改"),
    (TaskClosedError(12, "missed", by="flow:daily-plan", at=None, outcome="reached"),  # an outcome only when done
     "task #12 is already closed as missed by flow:daily-plan; nothing was changed",
     "任务 #12 已由flow:daily-plan过期关闭，未作任何更改"),
])
def test_a_closed_task_in_each_language(closed, english, chinese):
    assert str(closed) == english
    assert closed.render("zh") == chinese
    assert (closed.task_id, closed.by) == (12, closed.by)


@pytest.mark.parametrize("error", [
    TaskClosedError(12, "done", by="王芳", at="2026-11-29 10:15", outcome="reached"),
    PlanningError(N_("cannot plan {day}: a plan may be for a day from {first} to {last} ({back} days back, "
                     "{ahead} ahead of today, {today})"), day="2026-01-01", first="2026-11-01", last="2026-12-01",
                  back=30, ahead=1, today="2026-11-30"),
])
def test_an_error_from_another_process_can_still_be_worded_in_chinese(error):
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
    assert again.render("zh") == error.render("zh") != str(error)
    assert vars(again) == vars(error)


def test_errors_outside_the_services_are_worded_for_the_reader_too():
    with pytest.raises(NoLeaderError) as no_leader:
        assign_grids([], {}, [])
    assert str(no_leader.value) == "no active leader: add one with `yinhui coordinator add NAME --role leader`"
    assert i18n.error_text(no_leader.value, "zh") == "没有在岗的领导：请用 `yinhui coordinator add 姓名 --role leader` 添加一位"
    phone = FieldError("phone_invalid", piece="12")
    assert i18n.error_text(phone, "en") == str(phone)
    assert i18n.error_text(phone, "zh") == phone.message("zh") != str(phone)
    assert i18n.error_text(RuntimeError("as it says"), "zh") == "as it says"


# -- every refusal a service raises is a catalogue text ---------------------------------------


def _domain_errors() -> set[str]:
    """The names of DomainError and its subclasses the services define that take (message, **values).

    A subclass with its own constructor (TaskClosedError) builds its catalogue text itself.
    """
    for module in pkgutil.walk_packages(yinhui.services.__path__, "yinhui.services."):
        importlib.import_module(module.name)
    found, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        if cls.__init__ is DomainError.__init__:
            found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def _called(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _catalogue_text(arg: ast.expr) -> bool:
    """N_("..."), a choice between two of them, one picked from a table of them (a name), or the text
    of an error being passed on (exc.message); never an f-string, a bare literal or str(exc)."""
    if isinstance(arg, ast.Name):
        return True
    if isinstance(arg, ast.IfExp):
        return _catalogue_text(arg.body) and _catalogue_text(arg.orelse)
    if isinstance(arg, ast.Call):
        return _called(arg.func) == "N_" and len(arg.args) == 1 and isinstance(arg.args[0], ast.Constant)
    return isinstance(arg, ast.Attribute) and arg.attr == "message"


def test_every_domain_error_is_raised_with_a_catalogue_text():
    names = _domain_errors()
    wrong = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                # `error(...)`: a domain error class handed to a helper (active_cadres); not `log.error`.
                if _called(node.func) in names or (isinstance(node.func, ast.Name) and node.func.id == "error"):
                    if not _catalogue_text(node.args[0]):
                        wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, f"domain errors raised without a catalogue text (write N_(\"... {{name}}\"), name=...): {wrong}"
