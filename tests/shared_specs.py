"""The sample specs in `../shared/specs/` beside the repository: third-party data the project
reads when it is there. A fresh clone has none, so the tests that read them skip, each with the
one reason below, and every other test still runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FOLDER = Path(__file__).resolve().parents[2] / "shared" / "specs"
"""`../shared/specs`, seen from the repository root."""

REASON = "../shared/specs is absent (a fresh clone has none): this test reads its sample specs"


def path(name: str) -> Path:
    """The sample spec `name`; skips the calling test when the folder is absent."""
    if not FOLDER.is_dir():
        pytest.skip(REASON)
    return FOLDER / name


def params() -> list[Any]:
    """Every sample spec as a pytest parameter (id: its stem), or one skipped parameter."""
    found = sorted(FOLDER.glob("*.yaml"))
    if not found:
        return [pytest.param(None, id="no-shared-specs", marks=pytest.mark.skip(reason=REASON))]
    return [pytest.param(spec, id=spec.stem) for spec in found]
