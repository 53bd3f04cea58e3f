from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import schema_host as schema_host_


@pytest.fixture
def schema_host() -> Iterator[schema_host_.Host]:
    with schema_host_.running() as host:
        yield host
