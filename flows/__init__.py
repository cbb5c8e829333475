"""Prefect flows: thin orchestration over the rules and the model queries, one module per flow."""

import yinhui  # noqa: F401  (sets Prefect's defaults before any flow runs)
