"""Fixtures of the CLI tests: manifests built from the example by small edits."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLE = Path(__file__).parents[3] / "examples" / "petstore.yaml"

Edit = Callable[[dict[str, Any]], object]
"""Changes a manifest (a dict) in place."""


def example() -> dict[str, Any]:
    """A fresh copy of examples/petstore.yaml as data."""
    return copy.deepcopy(_EXAMPLE)


_EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())


@pytest.fixture
def manifest(tmp_path: Path) -> Callable[..., Path]:
    """`manifest(edit)` writes the example changed by `edit`; `manifest(text=...)` writes text."""

    def write(edit: Edit | None = None, *, text: str | None = None) -> Path:
        if text is None:
            data = example()
            if edit is not None:
                edit(data)
            text = yaml.safe_dump(data, sort_keys=False)
        path = tmp_path / "manifest.yaml"
        path.write_text(text)
        return path

    return write
