"""Yinhui (银辉): task and workflow engine for a county veteran-cadres bureau (老干部局)."""

import os

# Prefect's local server would otherwise report usage to an outside host; this system talks to
# nothing it was not configured to talk to. An operator can still opt in by setting it.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Concurrency leases (the planning slot) kept on disk under PREFECT_HOME: a temporary local server
# keeps them in memory and never frees an expired one, so a killed `yinhui plan` would hold the
# slot for good; on disk they are shared by the temporary servers and survive a restart.
os.environ.setdefault(
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", "prefect.server.concurrency.lease_storage.filesystem"
)

__version__ = "0.1.0"
