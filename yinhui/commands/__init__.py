"""Command groups beyond the core ones in yinhui.cli; each module here has `register(sub)`.

Every module in this package is loaded, so a capability adds its commands by adding a module.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register_all(sub: argparse._SubParsersAction) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
