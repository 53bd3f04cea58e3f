from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests import schema_host as schema_host_
from tests import shared_specs


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(shared_specs.path(name).read_text())
    return document


def minimal(**extra: Any) -> dict[str, Any]:
    """A valid OpenAPI 3.0 document with `extra` merged in at the top level."""
    return {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {}, **extra}


@pytest.fixture(params=shared_specs.params())
def shared_spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(request.param.read_text())
    return document


@pytest.fixture
def schema_host() -> Iterator[schema_host_.Host]:
    with schema_host_.running() as host:
        yield host
