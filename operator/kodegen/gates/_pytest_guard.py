"""kodegen's pytest plugin for the tests gate: project code may give fixtures, never hooks.

Loaded with `-p kodegen_pytest_guard` before any `conftest.py`. A module of the project (a
`conftest.py`, or a module it names in `pytest_plugins`) that implements a pytest hook is
refused: a hook such as `pytest_runtest_makereport` can rewrite a failure into a pass, or skip
every test, and the gate's verdict would be the project's own. pytest then stops with a usage
error, and the tests gate fails with the line printed here. This file runs inside the sandbox,
copied there by the gate; it imports nothing of kodegen.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

MARKER = "kodegen-pytest-guard: "
_ROOT = os.path.realpath(os.environ.get("KODEGEN_PROJECT", os.getcwd()))


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    path = getattr(plugin, "__file__", None)
    if not isinstance(path, str):
        return
    real = os.path.realpath(path)
    if not real.startswith(_ROOT + os.sep):
        return
    hooks = sorted(
        name
        for name in dir(plugin)
        if name.startswith("pytest_") and name != "pytest_plugins" and hasattr(manager.hook, name)
    )
    if hooks:
        where = os.path.relpath(real, _ROOT)
        message = (
            f"{where} implements pytest hook(s) {', '.join(hooks)}; the tests gate runs pytest "
            "with kodegen's own configuration and refuses hooks in project code "
            "(fixtures are fine)"
        )
        print(MARKER + message, file=sys.stderr, flush=True)
        raise pytest.UsageError(message)
