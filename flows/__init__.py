"""Prefect flows: thin orchestration over the services and the rules, one module per flow."""

import yinhui  # noqa: F401  (sets Prefect's defaults before any flow runs)
