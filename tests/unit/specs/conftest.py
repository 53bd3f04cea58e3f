from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

SPECS = Path(__file__).parents[4] / "shared" / "specs"
SPEC_FILES = sorted(SPECS.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SPECS / name).read_text())
    return document


def minimal(**extra: Any) -> dict[str, Any]:
    """A valid OpenAPI 3.0 document with `extra` merged in at the top level."""
    return {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {}, **extra}


@pytest.fixture(params=SPEC_FILES, ids=[p.name for p in SPEC_FILES])
def shared_spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(request.param.read_text())
    return document
