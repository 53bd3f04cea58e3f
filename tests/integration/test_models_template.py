"""python-pydantic-models end to end, in-process: `kodegen generate` of the two examples (an
OpenAPI document's components, a JSON Schema) and of every spec of shared/specs, all gates.

Every gate that applies must pass; the contract gate has no app to test in a models-only project
and must say so (passed, "not applicable: ..."), not fail. Two runs give the same bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests import shared_specs

from kodegen import cli
from kodegen.api import codegeneration
from kodegen.pipeline import generate

ROOT = Path(__file__).parents[2]
EXAMPLES = [ROOT / "examples" / "models-openapi.yaml", ROOT / "examples" / "models-jsonschema.yaml"]
APPLICABLE = ["syntax", "style", "security", "secrets", "tests"]
NOT_APPLICABLE = "not applicable: the template declares no app (entrypoints.app)"


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def gates_of(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    statement = json.loads(files[".kodegen/provenance.json"])
    return {gate["name"]: gate for gate in statement["predicate"]["gates"]}


def assert_models_gates(gates: dict[str, dict[str, Any]]) -> None:
    failed = {
        name: (g["reason"], g["findings"][:3]) for name, g in gates.items() if not g["passed"]
    }
    assert failed == {}
    assert sorted(gates) == sorted([*APPLICABLE, "contract"])
    assert gates["tests"]["metrics"]["coverage"] >= 95
    assert gates["contract"]["reason"].startswith(NOT_APPLICABLE)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, bytes]]]:
    """Each example generated twice with `kodegen generate`, as trees of bytes."""
    base = tmp_path_factory.mktemp("models")
    trees: dict[str, list[dict[str, bytes]]] = {}
    for example in EXAMPLES:
        for run in ("first", "second"):
            out = base / example.stem / run
            assert cli.main(["generate", str(example), "--out", str(out)]) == 0
            trees.setdefault(example.stem, []).append(tree(out))
    return trees


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_example_generates_models_that_pass_every_applicable_gate(
    generated: dict[str, list[dict[str, bytes]]], example: str
) -> None:
    files = generated[example][0]
    assert_models_gates(gates_of(files))
    package = "library" if example == "models-openapi" else "catalog"
    assert sorted(files) == [
        ".kodegen/output.json",
        ".kodegen/provenance.json",
        "README.md",
        f"{package}/__init__.py",
        f"{package}/models.py",
        f"{package}/py.typed",
        "pyproject.toml",
        "tests/test_models.py",
    ]


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_two_runs_are_byte_identical(
    generated: dict[str, list[dict[str, bytes]]], example: str
) -> None:
    first, second = generated[example]
    assert first == second


def test_the_json_schema_example_has_its_models_and_constraint_tests(
    generated: dict[str, list[dict[str, bytes]]],
) -> None:
    files = generated["models-jsonschema"][0]
    models = files["catalog/models.py"].decode()
    for name in ("Product", "Sku", "Money", "Dimensions"):
        assert re.search(rf"^class {name}\(", models, re.MULTILINE), name
    assert 'class Sku(RootModel[Annotated[str, Field(pattern="^[A-Z]{3}-[0-9]{4}$")]])' in models
    assert 'extra="forbid"' in models
    tests = files["tests/test_models.py"].decode()
    for case in ("price-required", "stock-maximum", "weightKg-exclusiveMinimum", "tags-maxItems"):
        assert f'"{case}"' in tests, case
    counts = gates_of(files)["tests"]["counts"]
    assert counts["failed"] == counts["errors"] == counts["skipped"] == 0
    assert counts["passed"] >= 40


def manifest(spec: Path) -> codegeneration.CodeGeneration:
    return codegeneration.CodeGeneration.model_validate(
        {
            "apiVersion": "kodegen.dev/v1alpha1",
            "kind": "CodeGeneration",
            "metadata": {"name": spec.stem},
            "spec": {
                "specification": {
                    "type": "openapi",
                    "openapi": {"inline": yaml.safe_load(spec.read_text())},
                },
                "template": {"family": "python-pydantic-models", "version": "^1.0"},
                "variables": {"packageName": re.sub(r"[^a-z0-9]+", "_", spec.stem)},
            },
        }
    )


@pytest.mark.parametrize("spec", shared_specs.params())
def test_every_shared_spec_generates_models_that_pass_their_gates(spec: Path) -> None:
    result = generate.Generator().run(manifest(spec))
    gates = {gate.name: gate.to_dict() for gate in result.gates}
    assert_models_gates(gates)
    assert result.passed
    assert result.not_implemented == ()


@pytest.mark.parametrize(
    ("specification", "message"),
    [
        (
            {"type": "jsonSchema", "jsonSchema": {"configMapRef": {"name": "schema"}}},
            "spec.specification.jsonSchema.configMapRef: needs the operator",
        ),
        (
            {"type": "jsonSchema", "jsonSchema": {"inline": {"$defs": {"A": {"type": "nope"}}}}},
            "specification at /$defs/A/type: not a valid draft 2020-12 schema",
        ),
    ],
    ids=["config-map", "invalid-schema"],
)
def test_what_cannot_be_generated_exits_2_with_the_reason(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    specification: dict[str, Any],
    message: str,
) -> None:
    document = yaml.safe_load(EXAMPLES[1].read_text())
    document["spec"]["specification"] = specification
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(document))

    assert cli.main(["generate", str(path), "--out", str(tmp_path / "out")]) == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "out").exists()
