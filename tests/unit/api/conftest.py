"""Fixtures of tests/unit/api: the manifests of DESIGN.md §1 (in manifests/), parsed fresh
for every test so a test may change its copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

MANIFESTS = Path(__file__).parent / "manifests"


def manifest(name: str) -> Any:
    """Parse manifests/<name>.yaml."""
    return yaml.safe_load((MANIFESTS / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def cluster_template() -> dict[str, Any]:
    """The ClusterCodeTemplate of DESIGN.md §1 (status filled in)."""
    document: dict[str, Any] = manifest("cluster-code-template")
    return document


@pytest.fixture
def code_template(cluster_template: dict[str, Any]) -> dict[str, Any]:
    """The same template as a namespaced CodeTemplate."""
    cluster_template["kind"] = "CodeTemplate"
    cluster_template["metadata"]["namespace"] = "team-a"
    return cluster_template


@pytest.fixture
def template_spec(cluster_template: dict[str, Any]) -> dict[str, Any]:
    """The spec of the DESIGN.md template."""
    spec: dict[str, Any] = cluster_template["spec"]
    return spec


@pytest.fixture
def code_generation() -> dict[str, Any]:
    """The CodeGeneration of DESIGN.md §1 (placeholders filled in)."""
    document: dict[str, Any] = manifest("code-generation")
    return document


@pytest.fixture
def generation_spec(code_generation: dict[str, Any]) -> dict[str, Any]:
    """The spec of the DESIGN.md CodeGeneration."""
    spec: dict[str, Any] = code_generation["spec"]
    return spec
