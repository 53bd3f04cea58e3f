"""A service whose models need a package kodegen lacks (`format: email` -> pydantic's EmailStr ->
email-validator) passes every gate: the tests and contract gates run it in a gate environment
built from its `pyproject.toml` (pinned wheels from the package index, cached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from kodegen.api import codegeneration
from kodegen.gates import environment, requirements
from kodegen.pipeline import generate

OWNER = {
    "type": "object",
    "required": ["id", "email"],
    "properties": {"id": {"type": "integer"}, "email": {"type": "string", "format": "email"}},
}
NEW_OWNER = {
    "type": "object",
    "required": ["email"],
    "properties": {"email": {"type": "string", "format": "email"}},
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Owners", "version": "1.0.0"},
    "paths": {
        "/owners": {
            "get": {
                "operationId": "listOwners",
                "responses": {
                    "200": {
                        "description": "All owners",
                        "content": _json(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Owner"}}
                        ),
                    }
                },
            },
            "post": {
                "operationId": "createOwner",
                "requestBody": {
                    "required": True,
                    "content": _json({"$ref": "#/components/schemas/NewOwner"}),
                },
                "responses": {
                    "201": {
                        "description": "Created",
                        "content": _json({"$ref": "#/components/schemas/Owner"}),
                    },
                    "422": {"description": "Not an owner"},
                },
            },
        }
    },
    "components": {"schemas": {"Owner": OWNER, "NewOwner": NEW_OWNER}},
}


def test_a_service_needing_email_validator_passes_every_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert requirements.unsatisfied([Requirement("email-validator")]), (
        "kodegen's environment has email-validator: this test needs a package it lacks"
    )
    cache = tmp_path / "gate-envs"
    monkeypatch.setenv(environment.ENV_FOLDER, str(cache))
    manifest = codegeneration.CodeGeneration.model_validate(
        {
            "apiVersion": "kodegen.dev/v1alpha1",
            "kind": "CodeGeneration",
            "metadata": {"name": "owners"},
            "spec": {
                "specification": {"type": "openapi", "openapi": {"inline": SPEC}},
                "template": {"family": "python-fastapi-service", "version": "^1.0"},
                "variables": {"packageName": "owners"},
            },
        }
    )
    result = generate.Generator().run(manifest)
    pyproject = dict(result.files)["pyproject.toml"]
    assert b'"pydantic[email]>=2.8"' in pyproject  # the extra that brings email-validator
    failed = {
        gate.name: (gate.reason, gate.findings[:3]) for gate in result.gates if not gate.passed
    }
    assert failed == {}, [str(f) for _, fs in failed.values() for f in fs]
    built = [path.name for path in cache.iterdir() if not path.name.startswith(".")]
    assert len(built) == 1, "the tests and contract gates ran in one built environment"
