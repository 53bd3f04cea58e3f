"""GraphQL end to end: `kodegen generate` of the bookstore example in-process, every gate.

The real pipeline: graphql-core parses the SDL, the python-graphql-service template renders a
Strawberry service, and the six gates judge it in their sandboxes; the contract gate compares
the schema the app serves with the SDL and sends it real queries. Two runs must give
byte-identical trees. A schema using every feature the template handles (interfaces that
implement interfaces, unions, custom scalars, fields with arguments, recursive input types,
Python keywords as names, object defaults) passes every gate too, and so does each test
fixture of the template.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import cli
from kodegen.api import codegeneration
from kodegen.gates import config as gate_config
from kodegen.gates import contract, runner
from kodegen.pipeline import generate
from kodegen.templates import registry

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "bookstore-graphql.yaml"
TEMPLATE = ROOT / "templates" / "python-graphql-service" / "1.0.0" / "template.yaml"
GATES = ["syntax", "style", "security", "secrets", "tests", "contract"]

pytestmark = pytest.mark.slow

FEATURES = """"Every feature the template supports."
schema { query: RootQuery mutation: RootMutation }

"A moment, as ISO 8601 text."
scalar DateTime @specifiedBy(url: "https://www.rfc-editor.org/rfc/rfc3339")

scalar JSON

enum Color {
  "The color of the sky."
  BLUE
  RED @deprecated
  green
  None
  class
  _dark
}

interface Named { name: String! }

interface Entity implements Named { id: ID! name: String! }

type Widget implements Entity & Named {
  id: ID!
  name: String!
  color: Color!
  "When it was made."
  madeAt: DateTime
  parts: [Part!]!
  meta: JSON
  from: String
  class: Int
  related(limit: Int = 2, color: Color): [Widget!]!
  owner: Person
}

type Part { label: String!, weights: [[Float!]]!, child: Part }

type Person implements Named { id: ID! name: String! friends: [Person!]! }

union Thing = Widget | Person | Part

type store { value: Int }

input PartInput { label: String!, weights: [[Float!]]! = [[1.5]], child: PartInput }

input WidgetInput {
  name: String!
  color: Color! = BLUE
  madeAt: DateTime
  parts: [PartInput!]! = []
  meta: JSON
  from: String
  class: Int = 3
  ownerId: ID
}

input Range { low: Int = 0, high: Int = 10 }

type RootQuery {
  widget(id: ID!): Widget!
  widgets(color: Color, name: String, skip: Int, limit: Int): [Widget!]
  person(key: ID!): Person
  things(in: Range = {low: 1, high: 5}, root: String, self: Int): [Thing!]!
  node(id: ID!): Entity
  count: Int!
  shade(color: Color = _dark, other: Color = None): Color!
  weird: store
  "Deprecated on purpose."
  legacy: String @deprecated(reason: "Use widgets.")
}

type RootMutation {
  addWidget(input: WidgetInput!): Widget!
  patchWidget(
    id: ID!, name: String, color: Color, madeAt: DateTime, parts: [PartInput!], ownerId: ID
  ): Widget!
  removeWidget(id: ID!): Widget
  deleteWidget(id: ID!): ID!
  destroyWidget(id: ID!): Widget!
  createPerson(name: String!): Person!
  ping(at: DateTime!): DateTime!
}
"""


def manifest(sdl: str, package: str) -> codegeneration.CodeGeneration:
    return codegeneration.CodeGeneration.model_validate(
        {
            "apiVersion": "kodegen.dev/v1alpha1",
            "kind": "CodeGeneration",
            "metadata": {"name": package.replace("_", "-")},
            "spec": {
                "specification": {"type": "graphql", "graphql": {"schema": sdl}},
                "template": {"family": "python-graphql-service", "version": "^1.0"},
                "variables": {"packageName": package},
            },
        }
    )


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def failed(result: generate.Result) -> dict[str, Any]:
    return {
        gate.name: (gate.reason, [f.to_dict() for f in gate.findings[:3]])
        for gate in result.gates
        if not gate.passed
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("graphql")
    found = []
    for name in ("first", "second"):
        out = base / name
        assert cli.main(["generate", str(EXAMPLE), "--out", str(out)]) == 0
        found.append(out)
    return found


def test_the_example_generates_and_passes_every_gate(outputs: list[Path]) -> None:
    files = tree(outputs[0])
    statement = json.loads(files[".kodegen/provenance.json"])
    predicate = statement["predicate"]
    assert predicate["passed"] is True
    gates = {gate["name"]: gate for gate in predicate["gates"]}
    assert sorted(gates) == sorted(GATES)
    assert all(gate["passed"] for gate in gates.values())
    assert gates["tests"]["metrics"]["coverage"] >= 95
    assert gates["contract"]["counts"]["operations"] == 10
    assert gates["contract"]["counts"]["cases"] == 10
    assert [item["operation_id"] for item in predicate["notImplemented"]] == [
        "search",
        "reviewBook",
    ]
    assert "bookstore/schema.graphql" in files
    assert (
        files["bookstore/schema.graphql"].decode()
        == yaml.safe_load(EXAMPLE.read_text())["spec"]["specification"]["graphql"]["schema"]
    )


def test_two_runs_are_byte_identical(outputs: list[Path]) -> None:
    first, second = outputs
    assert tree(first) == tree(second)


def test_crud_fields_are_implemented(outputs: list[Path]) -> None:
    schema = (outputs[0] / "bookstore" / "schema.py").read_text()
    assert schema.count("# kodegen:implement") == 2
    assert "# kodegen:implement Query.search" in schema
    assert "# kodegen:implement Mutation.reviewBook" in schema
    for resolver in ("BOOK_STORE.find(id)", "BOOK_STORE.remove(id)", "AUTHOR_STORE.add("):
        assert resolver in schema


def test_every_feature_passes_every_gate() -> None:
    result = generate.Generator().run(manifest(FEATURES, "features"))
    assert failed(result) == {}
    assert [op.operation_id for op in result.not_implemented] == [
        "Widget.related",
        "things",
        "node",
        "count",
        "shade",
        "weird",
        "legacy",
        "ping",
    ]
    assert result.counts.coverage is not None and result.counts.coverage >= 95
    schema = result.files["features/schema.py"].decode()
    assert "def part_from_part_input(data: types.PartInput) -> types.Part:" in schema
    assert "ROOT_QUERY_THINGS_IN_DEFAULT = types.Range(low=1, high=5)" in schema
    lookup = "(PERSON_STORE.get(input.owner_id) if store.present(input.owner_id) else None)"
    assert f"owner={lookup}" in schema


def test_the_template_fixtures_pass_every_gate() -> None:
    template = registry.load(TEMPLATE.parent)
    assert template.spec.tests
    for fixture in template.spec.tests:
        specification = fixture.specification.model_dump(by_alias=True, exclude_none=True)
        cg = codegeneration.CodeGeneration.model_validate(
            {
                "apiVersion": "kodegen.dev/v1alpha1",
                "kind": "CodeGeneration",
                "metadata": {"name": fixture.name},
                "spec": {
                    "specification": specification,
                    "template": {"family": "python-graphql-service", "version": "1.0.0"},
                    "variables": fixture.variables,
                },
            }
        )
        result = generate.Generator().run(cg)
        assert failed(result) == {}, fixture.name


def test_the_contract_gate_sees_a_schema_that_drifted(outputs: list[Path], tmp_path: Path) -> None:
    project = copy_of(outputs[0], tmp_path / "project")
    types_py = project / "bookstore" / "types.py"
    types_py.write_text(
        types_py.read_text().replace("    title: str\n", "    title: str | None\n", 1)
    )
    report = contract_gate(project)
    assert not report.passed
    assert report.reason == "the served schema differs from the specification"
    assert report.findings[0].code == "schema_mismatch"
    assert "title: String!" in report.findings[0].message


def copy_of(out: Path, project: Path) -> Path:
    for path, content in tree(out).items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_bytes(content)
    return project


def contract_gate(project: Path, app: str = "bookstore.main:app") -> Any:
    sdl = (project / "bookstore" / "schema.graphql").read_text()
    config = gate_config.GateConfig(package="bookstore", app=app, openapi=None, graphql=sdl)
    (report,) = asyncio.run(
        runner.run_gates(project, config, gates=[(contract.NAME, contract.run)])
    )
    return report


def test_the_contract_gate_sees_a_resolver_that_fails(outputs: list[Path], tmp_path: Path) -> None:
    project = copy_of(outputs[0], tmp_path / "project")
    schema_py = project / "bookstore" / "schema.py"
    broken = schema_py.read_text().replace(
        "return BOOK_STORE.remove(id)", 'raise RuntimeError("boom")', 1
    )
    schema_py.write_text(broken)
    report = contract_gate(project)
    assert not report.passed
    assert report.reason == "1 operation(s) answered with errors"
    assert [f.message for f in report.findings] == ["mutation deleteBook: boom"]


def test_the_contract_gate_cannot_load_a_missing_app(outputs: list[Path], tmp_path: Path) -> None:
    project = copy_of(outputs[0], tmp_path / "project")
    report = contract_gate(project, app="bookstore.nowhere:app")
    assert not report.passed
    assert report.reason.startswith("could not load the app or its schema: ModuleNotFoundError")
