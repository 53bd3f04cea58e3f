"""The contract gate: schemathesis against the app, in-process, against the source spec."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from kodegen.gates import config, contract

from .conftest import MAIN, write_files

# GET /pets answers 202 (the spec documents 200 only); GET /pets/{pet_id} answers an unknown pet
# with {"message": ...} (the spec's Error schema requires "detail"). FastAPI's own schema of this
# code would document both faithfully: only the source spec catches the drift.
DRIFTED = (
    MAIN.replace(
        '@app.get("/pets", response_model=list[Pet])',
        '@app.get("/pets", response_model=list[Pet], status_code=202)',
    )
    .replace(
        'raise HTTPException(status_code=404, detail="pet not found")',
        'return JSONResponse(status_code=404, content={"message": "pet not found"})',
    )
    .replace("from fastapi import FastAPI, HTTPException", "from fastapi import FastAPI")
    .replace(
        "from pydantic import BaseModel",
        "from fastapi.responses import JSONResponse\nfrom pydantic import BaseModel",
    )
    .replace("def get_pet(pet_id: int) -> Pet:", "def get_pet(pet_id: int) -> Pet | JSONResponse:")
)


@pytest.fixture
def drifted(project: Path) -> Path:
    return write_files(project, {"petstore/main.py": DRIFTED})


@pytest.fixture
def few_examples(gate_config: config.GateConfig) -> config.GateConfig:
    """Enough to find these failures (they happen on most requests), in half the time."""
    return dataclasses.replace(gate_config, max_examples=10)


async def test_a_contract_violation_fails_the_gate(
    drifted: Path, few_examples: config.GateConfig
) -> None:
    result = await contract.run(drifted, few_examples)
    assert not result.passed
    found = {(f.file, f.code, f.message.split(":")[0]) for f in result.findings}
    assert found == {
        ("petstore/openapi.json", "status_code_conformance", "GET /pets"),
        ("petstore/openapi.json", "response_schema_conformance", "GET /pets/{pet_id}"),
    }
    assert result.counts["operations"] == 3
    assert result.counts["failures"] == 2
    assert result.reason == "2 contract failure(s)"
    assert not (drifted / ".hypothesis").exists(), "Hypothesis stores its data elsewhere"


@pytest.mark.slow
async def test_the_contract_gate_is_deterministic(
    drifted: Path, few_examples: config.GateConfig
) -> None:
    first = await contract.run(drifted, few_examples)
    second = await contract.run(drifted, few_examples)
    assert first.findings == second.findings
    assert first.counts == second.counts


async def test_an_exception_in_the_app_is_a_server_error(
    project: Path, few_examples: config.GateConfig
) -> None:
    crashing = MAIN.replace(
        'raise HTTPException(status_code=404, detail="pet not found")',
        'raise RuntimeError("pet not found")',
    )
    write_files(project, {"petstore/main.py": crashing})
    result = await contract.run(project, few_examples)
    assert not result.passed
    assert any(
        f.code == "not_a_server_error" and "RuntimeError: pet not found" in f.message
        for f in result.findings
    )


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"contract": False}, "disabled: spec.qualityGates.contract is false"),
        ({"app": None}, "not applicable: the template declares no app (entrypoints.app)"),
        ({"openapi": None}, "not applicable: the template declares no OpenAPI document"),
    ],
    ids=["contract-false", "no-app", "no-spec"],
)
async def test_disabled_passes_without_running_and_says_why(
    tmp_path: Path, gate_config: config.GateConfig, changes: dict[str, object], why: str
) -> None:
    result = await contract.run(tmp_path, dataclasses.replace(gate_config, **changes))  # type: ignore[arg-type]
    assert (result.passed, result.findings) == (True, ())
    assert result.reason is not None and result.reason.startswith(why)


async def test_a_missing_spec_fails_with_the_fix(
    project: Path, gate_config: config.GateConfig
) -> None:
    result = await contract.run(project, dataclasses.replace(gate_config, openapi="nope.json"))
    assert not result.passed
    assert result.reason == (
        "the OpenAPI document 'nope.json' is not in the project; check GateConfig.openapi"
    )


async def test_an_app_that_cannot_be_imported_fails_with_the_error(
    project: Path, gate_config: config.GateConfig
) -> None:
    result = await contract.run(project, dataclasses.replace(gate_config, app="petstore.nope:app"))
    assert not result.passed
    assert result.reason == (
        "could not load the app or petstore/openapi.json: "
        "ModuleNotFoundError: No module named 'petstore.nope'"
    )


def _undocumented_404(project: Path) -> Path:
    """The spec of GET /pets/{pet_id} without its 404: the app's answer to an unknown pet is
    then a status the operation does not document."""
    document = json.loads((project / "petstore/openapi.json").read_text(encoding="utf-8"))
    del document["paths"]["/pets/{pet_id}"]["get"]["responses"]["404"]
    (project / "petstore/openapi.json").write_text(json.dumps(document), encoding="utf-8")
    return project


async def test_an_undocumented_status_fails_unless_it_is_a_reported_spec_gap(
    project: Path, few_examples: config.GateConfig
) -> None:
    gapped = _undocumented_404(project)
    strict = await contract.run(gapped, few_examples)
    assert [(f.code, f.message.split(":")[0]) for f in strict.findings] == [
        ("status_code_conformance", "GET /pets/{pet_id}")
    ]
    told = dataclasses.replace(few_examples, spec_gaps=(("GET", "/pets/{pet_id}", 404),))
    assert (await contract.run(gapped, told)).passed


async def test_a_spec_gap_excuses_that_status_of_that_operation_only(
    project: Path, few_examples: config.GateConfig
) -> None:
    gapped = _undocumented_404(project)
    for gaps in (
        (("GET", "/pets/{pet_id}", 422),),  # another status
        (("GET", "/pets", 404),),  # another operation
    ):
        result = await contract.run(gapped, dataclasses.replace(few_examples, spec_gaps=gaps))
        assert not result.passed, gaps
        assert {f.code for f in result.findings} == {"status_code_conformance"}


def test_spec_gaps_reach_the_probe_by_operation_label() -> None:
    gaps = (("get", "/a/{id}", 404), ("GET", "/a/{id}", 422), ("POST", "/a", 422))
    assert contract._gaps(gaps) == {"GET /a/{id}": [404, 422], "POST /a": [422]}


async def test_a_json_lines_body_is_sent_one_document_per_line(
    project: Path, few_examples: config.GateConfig
) -> None:
    """Schemathesis has no serializer for `application/x-ndjson` (bulk APIs): the probe's own
    writes one JSON document per line, so the operation is tested, not reported untestable."""
    document = json.loads((project / "petstore/openapi.json").read_text(encoding="utf-8"))
    lines = {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}}
    document["paths"]["/bulk"] = {
        "post": {
            "operationId": "bulk",
            "requestBody": {
                "required": True,
                "content": {"application/x-ndjson": {"schema": lines}},
            },
            "responses": {"200": {"description": "how many lines"}},
        }
    }
    (project / "petstore/openapi.json").write_text(json.dumps(document), encoding="utf-8")
    bulk = MAIN + textwrap.dedent(
        """

        from fastapi import Request  # noqa: E402


        @app.post("/bulk")
        async def bulk(request: Request) -> int:
            body = await request.body()
            return sum(1 for line in body.splitlines() if json.loads(line) is not None)


        import json  # noqa: E402
        """
    )
    write_files(project, {"petstore/main.py": bulk})
    result = await contract.run(project, few_examples)
    assert [f.code for f in result.findings] == []
    assert result.passed and result.counts["operations"] == 4
