"""Generated models that hold on the rules of `tests.models_rules`: `kodegen generate` of that
JSON Schema document with python-pydantic-models, and of an OpenAPI document whose list model
names its item model before it (`RootModel[list[Alert]]`) with python-fastapi-service; every
gate passes and a second run gives the same bytes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.models_rules import RULES

from kodegen import cli

SERVICE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Alerts", "version": "1.0.0"},
    "paths": {
        "/alerts": {
            "get": {
                "operationId": "listAlerts",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Alerts"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "Alert": {
                "type": "object",
                "required": ["level"],
                "properties": {
                    "level": {"type": "string", "enum": ["low", "high"]},
                    "date": {"type": "string", "format": "date", "nullable": True},
                    "related": {"$ref": "#/components/schemas/Alerts"},
                },
            },
            "Tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
            "Tag": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Tree": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
                ]
            },
        }
    },
}

CASES = {
    "rules": ("jsonSchema", RULES, "python-pydantic-models"),
    "service": ("openapi", SERVICE, "python-fastapi-service"),
}


def generate(tmp: Path, case: str, run: str) -> dict[str, bytes]:
    kind, document, family = CASES[case]
    manifest = {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": case},
        "spec": {
            "specification": {"type": kind, kind: {"inline": copy.deepcopy(document)}},
            "template": {"family": family, "version": "^1.0"},
            "variables": {"packageName": case},
        },
    }
    path = tmp / f"{case}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    out = tmp / case / run
    assert cli.main(["generate", str(path), "--out", str(out)]) == 0
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, bytes]]]:
    tmp = tmp_path_factory.mktemp("rules")
    return {case: [generate(tmp, case, run) for run in ("a", "b")] for case in CASES}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_gate_passes(outputs: dict[str, list[dict[str, bytes]]], case: str) -> None:
    statement = json.loads(outputs[case][0][".kodegen/provenance.json"])
    gates = {g["name"]: g for g in statement["predicate"]["gates"]}
    failed = {n: (g["reason"], g["findings"][:3]) for n, g in gates.items() if not g["passed"]}
    assert failed == {}
    counts = gates["tests"]["counts"]
    assert counts["failed"] == counts["errors"] == counts["skipped"] == 0 < counts["passed"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_second_run_is_byte_identical(
    outputs: dict[str, list[dict[str, bytes]]], case: str
) -> None:
    first, second = outputs[case]
    assert first == second


def test_the_models_come_in_dependency_order(outputs: dict[str, list[dict[str, bytes]]]) -> None:
    models = outputs["service"][0]["service/models.py"].decode()
    assert models.index("class Tag(") < models.index("class Tags(RootModel[list[Tag]])")
    # Alert and Alerts reach each other: the list is a cycle's root annotation, resolved later
    assert "class Alerts(RootModel):" in models and "root: list[Alert]" in models
    assert "class Tree(RootModel):" in models and "root: str | list[Tree]" in models
    rules = outputs["rules"][0]["tests/test_models.py"].decode()
    assert "No sample valid" not in rules  # every model has a sample the source accepts
