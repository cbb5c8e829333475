"""Only the task service (yinhui/services/tasks/) creates tasks or changes their state and audit trail.

The check reads the source with `ast`, so it runs in a blink and needs no database. It looks for:

- an assignment (plain, augmented, annotated, in a tuple, or `setattr`) to a task column
  (`.status`, `.assignee_id`, `.due`, `.escalation_level`, `.outcome` and every other) on
  something that holds a task: a name with "task" in it (not `task_id`), a parameter annotated `Task`, or a
  name bound from an expression that mentions `Task` or another such name (`for t in
  session.execute(select(Task))...`);
- `update(...)`, `insert(...)` or `delete(...)` of the task table (`Task`, `table_of(Task)`,
  `Task.__table__`, or a name bound to one of those), and `table.update()` / `.insert()` /
  `.delete()` on it;
- a new task or audit event: `Task(...)`, `TaskEvent(...)`, `insert(TaskEvent)`, bulk mappings;
- `session.delete(task)`, and raw SQL (`text("UPDATE task ...")`).

A `cadre.status = ...` or `update(Cadre)` is none of these. Anything outside the task service that
needs a task changed calls a function of the service instead (see its package docstring).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from models.tasks import Task

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("models", "yinhui", "flows", "notifiers", "deployments")
SKIPPED = ("models/migrations",)  # schema history, frozen once shipped
THE_WRITER = "yinhui/services/tasks/"

TASK_FIELDS = frozenset(Task.model_fields) - {"id"}
TASK_CLASS, EVENT_CLASS = "Task", "TaskEvent"
TABLE_FUNCTIONS = {"table_of", "inspect", "aliased", "alias"}
STATEMENTS = {"update", "insert", "delete"}
BULK = {"bulk_insert_mappings", "bulk_update_mappings", "bulk_save_objects"}
RAW_SQL = re.compile(r"\b(update|insert\s+into|delete\s+from)\s+\"?task\"?(?![\w\"])", re.IGNORECASE)


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _called(node: ast.Call) -> str | None:
    return _name_of(node.func)


def _task_like(name: str) -> bool:
    """`task`, `tasks`, `step_task`: a name for tasks; `task_id`, `task_ids` name only their ids."""
    lowered = name.lower()
    return "task" in lowered and not lowered.endswith(("_id", "_ids"))


def _mentions_class(node: ast.expr, cls: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == cls or isinstance(n, ast.Attribute) and n.attr == cls
        or isinstance(n, ast.Constant) and n.value == cls
        for n in ast.walk(node)
    )


@dataclass
class _Scope:
    """What a function (or the module's top level) binds: names holding tasks, names naming a task table."""

    tasks: set[str] = field(default_factory=set)
    tables: dict[str, set[str]] = field(default_factory=lambda: {TASK_CLASS: set(), EVENT_CLASS: set()})

    def copy(self) -> _Scope:
        return _Scope(set(self.tasks), {cls: set(names) for cls, names in self.tables.items()})

    def is_table(self, node: ast.expr, cls: str = TASK_CLASS) -> bool:
        """`Task`, `models.tasks.Task`, `table_of(Task)`, `Task.__table__`, `task_table.alias()`, a name for one ..."""
        if isinstance(node, ast.Name):
            return node.id == cls or node.id in self.tables[cls]
        if isinstance(node, ast.Attribute):
            return node.attr == cls or node.attr in ("__table__", "local_table") and self.is_table(node.value, cls)
        if isinstance(node, ast.Call):
            name = _called(node)
            if isinstance(node.func, ast.Attribute) and name == "alias":
                return self.is_table(node.func.value, cls)
            return name in TABLE_FUNCTIONS and bool(node.args) and self.is_table(node.args[0], cls)
        return False

    def holds_task(self, node: ast.expr) -> bool:
        """Whether an expression may be a task object (or tasks): see the module docstring."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and (sub.id == TASK_CLASS or sub.id in self.tasks or _task_like(sub.id)):
                return True
            if isinstance(sub, ast.Attribute) and (sub.attr == TASK_CLASS or _task_like(sub.attr)):
                return True
        return False


def _targets(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _bindings(body: ast.AST) -> Iterator[tuple[ast.expr, ast.expr]]:
    """(target, value) for every binding inside ``body``: assignments, loops, comprehensions, with."""
    for node in ast.walk(body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value is not None:
            yield node.target, node.value
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield node.target, node.iter
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield node.optional_vars, node.context_expr


def _pairs(target: ast.expr, value: ast.expr) -> Iterator[tuple[str, ast.expr]]:
    """(name, value) for each name a binding sets; `a, b = x, y` pairs a with x and b with y."""
    if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List) \
            and len(target.elts) == len(value.elts) and not any(isinstance(t, ast.Starred) for t in target.elts):
        for one, other in zip(target.elts, value.elts, strict=True):
            yield from _pairs(one, other)
        return
    for name in _targets(target):
        if isinstance(name, ast.Name):
            yield name.id, value


def _scope(body: ast.AST, outer: _Scope) -> _Scope:
    scope = outer.copy()
    if isinstance(body, ast.FunctionDef | ast.AsyncFunctionDef):
        arguments = body.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if arg.annotation is not None and _mentions_class(arg.annotation, TASK_CLASS):
                scope.tasks.add(arg.arg)
    bindings = [pair for target, value in _bindings(body) for pair in _pairs(target, value)]
    changed = True
    while changed:  # a name bound from a task-holding name holds tasks too: go on until nothing changes
        changed = False
        for name, value in bindings:
            for cls, names in scope.tables.items():
                if name not in names and scope.is_table(value, cls):
                    names.add(name)
                    changed = True
            if name not in scope.tasks and scope.holds_task(value):
                scope.tasks.add(name)
                changed = True
    return scope


def _raw_sql(node: ast.Call) -> bool:
    if _called(node) not in ("text", "exec_driver_sql", "execute") or not node.args:
        return False
    first = node.args[0]
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and bool(RAW_SQL.search(first.value))


def _call_writes(node: ast.Call, scope: _Scope) -> str | None:
    name, func, args = _called(node), node.func, node.args
    if name == "setattr" and len(args) >= 2 and scope.holds_task(args[0]):
        column = args[1]
        return "setattr on a task" if not isinstance(column, ast.Constant) or column.value in TASK_FIELDS else None
    if name in STATEMENTS:
        if args and scope.is_table(args[0]) or not args and isinstance(func, ast.Attribute) and scope.is_table(func.value):
            return f"{name}() of the task table"
        if args and scope.is_table(args[0], EVENT_CLASS):
            return f"{name}() of the audit trail"
    if name in (TASK_CLASS, EVENT_CLASS):
        return f"creates a {name}"
    if isinstance(func, ast.Attribute) and func.attr in ("model_validate", "model_construct") \
            and _name_of(func.value) in (TASK_CLASS, EVENT_CLASS):
        return f"creates a {_name_of(func.value)}"
    if name in BULK and any(scope.is_table(a) or scope.is_table(a, EVENT_CLASS) or scope.holds_task(a) for a in args):
        return f"{name} of tasks"
    if name in ("delete", "merge") and isinstance(func, ast.Attribute) and args and scope.holds_task(args[0]):
        return f"session.{name}() of a task"
    if _raw_sql(node):
        return "raw SQL writing the task table"
    return None


def _writes_in(body: ast.AST, scope: _Scope) -> Iterator[tuple[int, str]]:
    for node in ast.walk(body):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (t for whole in targets for t in _targets(whole)):
                if isinstance(target, ast.Attribute) and target.attr in TASK_FIELDS and scope.holds_task(target.value):
                    yield node.lineno, f"assigns .{target.attr} of a task"
        elif isinstance(node, ast.Call):
            what = _call_writes(node, scope)
            if what is not None:
                yield node.lineno, what


def task_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every write of task state in ``source``, in line order."""
    tree = ast.parse(source)
    top_level = ast.Module(
        body=[n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)],
        type_ignores=[],
    )
    module = _scope(top_level, _Scope())
    found = set(_writes_in(top_level, module))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in functions:
        found |= set(_writes_in(function, _scope(function, module)))
    return sorted(found)


def writers(root: Path = ROOT) -> dict[str, list[tuple[int, str]]]:
    """Every scanned module that writes task state, with where and what."""
    found: dict[str, list[tuple[int, str]]] = {}
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else []:
            relative = path.relative_to(root).as_posix()
            if relative.startswith(SKIPPED):
                continue
            writes = task_writes(path.read_text(encoding="utf-8"))
            if writes:
                found[relative] = writes
    return found


def test_only_the_task_service_writes_task_state():
    found = writers()
    assert _outside_the_service(found) == {}, "task state written outside yinhui/services/tasks/; call a task-service function instead"
    # The check sees the service's own writes, so it is not passing for want of looking.
    assert {"yinhui/services/tasks/actions.py", "yinhui/services/tasks/audit.py", "yinhui/services/tasks/create.py"} <= set(found)


def _outside_the_service(found: dict[str, list[tuple[int, str]]]) -> dict[str, list[tuple[int, str]]]:
    return {path: writes for path, writes in found.items() if not path.startswith(THE_WRITER)}


def test_a_module_added_outside_the_service_that_writes_a_status_fails_the_scan(tmp_path):
    write = "def close(task):\n    task.status = 'done'\n"
    for module in ("yinhui/services/tasks/actions.py", "yinhui/services/festivals.py", "flows/care.py"):
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text(write, encoding="utf-8")
    assert _outside_the_service(writers(tmp_path)) == {
        "flows/care.py": [(2, "assigns .status of a task")],
        "yinhui/services/festivals.py": [(2, "assigns .status of a task")],
    }


def test_a_status_written_elsewhere_is_caught():
    source = '''
def close(session, task_id):
    task = session.get(Task, task_id)
    task.status = "done"
'''
    assert task_writes(source) == [(4, "assigns .status of a task")]


WRITES = {
    "attribute of a loaded row": """
def f(session):
    for row in session.execute(select(Task)).scalars():
        row.assignee_id = 3
""",
    "tuple assignment": """
def f(session, item: Task):
    item.status, item.outcome = "done", "reached"
""",
    "augmented assignment": """
def f(session, step):
    step_task = lookup(step)
    step_task.escalation_level += 1
""",
    "setattr": """
def f(session, task):
    setattr(task, "due", tomorrow)
""",
    "rows from a helper, then by subscript": """
def f(session, event):
    steps = _step_tasks(session, event)
    first = steps["plan"]
    first.due = day
""",
    "update of the model": """
def f(session):
    session.execute(update(Task).where(Task.id == 1).values(status="done"))
""",
    "update through table_of": """
def f(session):
    table = table_of(Task)
    session.execute(sa.update(table).values(status="missed"))
""",
    "table method": """
def f(session):
    session.execute(Task.__table__.update().values(status="missed"))
""",
    "insert of rows": """
def f(session, rows):
    session.execute(insert(Task), rows)
""",
    "insert from select": """
def f(session, query):
    t = table_of(Task).alias("t")
    session.execute(insert(t).from_select(["kind"], query))
""",
    "tables named together": """
def f(session):
    cadre, task = table_of(Cadre), table_of(Task)
    session.execute(update(task).where(task.c.cadre_id == cadre.c.id).values(status="cancelled"))
""",
    "new task object": """
def f(session):
    session.add(models.tasks.Task(kind="call", rule="x"))
""",
    "audit event": """
def f(session, task_id):
    session.add(TaskEvent(task_id=task_id, action="done"))
""",
    "delete": """
def f(session, task):
    session.delete(task)
""",
    "raw SQL": """
def f(session):
    session.execute(text("UPDATE task SET status = 'done' WHERE id = 1"))
""",
    "module level": """
for t in session.execute(select(Task)).scalars():
    t.note = "x"
""",
}

NOT_WRITES = {
    "a cadre's status": """
def f(session, cadre: Cadre):
    cadre.status = "deceased"
    session.execute(update(Cadre).values(status="moved"))
""",
    "reading a task": """
def f(session, task_id):
    task = session.get(Task, task_id)
    label = task.status
    rows = session.execute(select(Task).where(Task.status == "open")).all()
    return label, rows
""",
    "other tables": """
def f(session, rows, note):
    cadre, task = table_of(Cadre), table_of(Task)
    session.execute(update(cadre).values(status="moved"))
    session.execute(insert(Occurrence), rows)
    note.status = "sent"
    session.execute(delete(GridOwner))
    session.execute(text("UPDATE task_event_archive SET x = 1"))
""",
    "an item made from a task's id": """
def f(session, task_id, due):
    item = DigestItem(task_id=task_id)
    item.due = due
    return item
""",
    "a dict's update": """
def f(session, task_ids):
    labels = {}
    labels.update(step_labels(session, task_ids))
    return labels
""",
}


def test_the_checker_catches_every_kind_of_write():
    missed = [name for name, source in WRITES.items() if not task_writes(source)]
    assert missed == []


def test_the_checker_leaves_reads_and_other_tables_alone():
    flagged = {name: task_writes(source) for name, source in NOT_WRITES.items() if task_writes(source)}
    assert flagged == {}
