"""The database work, one module per domain; functions take ``*, session`` and raise the errors of ``errors``.

Every change of a task's state goes through the task service (``tasks/``), which writes its audit
event; the other modules plan and record their domain and call it for the tasks.
"""
