"""Many machines: register every deployment on a Prefect work pool that process workers on other machines pull from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deployments.schedules import DeploymentSpec, deployment_specs
from deployments.serve import build_deployments, remove_legacy_deployments

DEFAULT_POOL = "yinhui"


def ensure_process_pool(name: str) -> bool:
    """Create a `process` work pool called `name` unless it exists; True if created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            pass
        else:
            if pool.type != "process":
                raise ValueError(f"work pool {name!r} exists but is of type {pool.type!r}; Yinhui's workers are `process` workers")
            return False
        try:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type="process",
                    description="银辉 Yinhui: flows run as processes on machines where Yinhui is installed",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
        except ObjectAlreadyExists:  # created by another `yinhui deploy` a moment ago
            return False
    return True


def register(pool: str = DEFAULT_POOL, specs: Sequence[DeploymentSpec] | None = None) -> list[dict[str, Any]]:
    """Create the pool if needed and apply every deployment to it; returns what was registered.

    No code is shipped: each deployment names its flow by module path, and a worker runs it
    from the Yinhui installed on its own machine. Re-running updates the deployments in place.
    """
    from flows.planning_slot import PLANNING_LIMIT, ensure_concurrency_limit

    specs = list(specs or deployment_specs())
    ensure_process_pool(pool)
    ensure_concurrency_limit(PLANNING_LIMIT)
    remove_legacy_deployments(specs)
    registered = []
    for spec, deployment in zip(specs, build_deployments(specs, work_pool=pool), strict=True):
        deployment_id = deployment.apply(work_pool_name=pool)
        registered.append({"name": spec.full_name, "id": str(deployment_id), "crons": list(spec.crons), "active": spec.active})
    return registered
