"""Yinhui (银辉): task and workflow engine for a county veteran-cadres bureau (老干部局)."""

import os

# Prefect's local server would otherwise report usage to an outside host; this system talks to
# nothing it was not configured to talk to. An operator can still opt in by setting it.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

__version__ = "0.1.0"
