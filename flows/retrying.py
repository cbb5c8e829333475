"""Which failures a task may retry: passing database trouble yes, wrong data never."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (IntegrityError, ProgrammingError)):
        return False
    if isinstance(exc, (OperationalError, DisconnectionError)):
        return True  # "database is locked", a dropped connection, a failover
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect `retry_condition_fn`: retry only when the exception is a transient one."""
    try:
        state.result()
    except Exception as exc:  # the failed task's own exception
        return is_transient(exc)
    return False


TASK_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [2, 10, 30],
    "retry_condition_fn": retry_transient,
}
