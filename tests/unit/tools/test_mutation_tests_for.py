"""`benchmarks/mutation.py` judges each module by its own unit tests: the files found for it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "mutation.py"


def mutation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kodegen_mutation_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_mutated_module_has_unit_tests_of_its_own() -> None:
    script = mutation()
    found = {module: script.tests_for(module) for module in script.MODULES}
    assert [module for module, tests in found.items() if not tests] == []
    # a view builder's tests live beside the other builders', named for the module
    assert found["kodegen/views/openapi/pyview.py"] == ["tests/unit/views/test_pyview.py"]
    assert found["kodegen/views/graphql/naming.py"] == ["tests/unit/views/test_graphql_naming.py"]
