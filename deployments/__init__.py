"""Schedules as code: the deployment specs (``schedules``), ``serve`` for one machine, a work pool for many."""
