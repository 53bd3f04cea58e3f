"""`benchmarks/corpus.py` (not a package) loaded as a module, and the corpus specs as pytest
parameters: one skipped parameter, with the one reason of `tests/shared_specs.py`'s style, when
`../shared/specs/corpus` is absent."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus.py"
FOLDER = Path(__file__).resolve().parents[3] / "shared" / "specs" / "corpus"
"""`../shared/specs/corpus`, seen from the repository root."""

REASON = "../shared/specs/corpus is absent (a fresh clone has none): this test reads its specs"


def script() -> ModuleType:
    """The `make corpus` script as a module (loaded once)."""
    loaded = sys.modules.get("kodegen_corpus_script")
    if loaded is not None:
        return loaded
    found = importlib.util.spec_from_file_location("kodegen_corpus_script", SCRIPT)
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    sys.modules[found.name] = module
    found.loader.exec_module(module)
    return module


def params() -> list[Any]:
    """Every corpus spec (id: type/name), or one skipped parameter when the folder is absent."""
    found = script().specs(FOLDER) if FOLDER.is_dir() else []
    if not found:
        return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=REASON))]
    return [pytest.param(spec, id=f"{spec.parent.name}/{spec.name}") for spec in found]
