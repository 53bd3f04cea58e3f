"""Every pass/fail rule of the contract gate, each shown passing a good project and failing
a bad one.

Rules of `kodegen.gates.contract.run` (real schemathesis, or the GraphQL probe, in the sandbox):

1. the gate does not run, and passes saying why, when it is disabled
   (`GateConfig.contract` false) or does not apply (no app, or no OpenAPI document);
2. an OpenAPI document that is not in the project fails, naming the setting to check;
3. an app or document the probe cannot load fails: `could not load the app or <spec>: ...`;
4. an app that honours its document passes, counting operations and cases; a large API gets
   fewer cases per operation (`GateConfig.max_cases` in all, `contract_min_examples` at least);
5. a response breaking the document fails: `N contract failure(s)`, one finding per failure
   kind, named by the check;
6. an operation that could not be tested (a reference that does not resolve, a schema no value
   satisfies) fails: `N operation(s) could not be tested`; with contract failures as well, both
   reasons are given;
7. a probe that ends without writing its result (the app exits while being imported) fails:
   the gate cannot judge, so it says no;

and for a GraphQL service (`GateConfig.graphql` set), `graphql_contract.check`:

8. an app that serves the source schema and answers every field passes;
9. a served schema that differs from the source fails, with the differing lines;
10. a field answered with an error fails: `N operation(s) answered with errors`;
11. an app that cannot be loaded fails: `could not load the app or its schema: ...`;
12. a probe that ends without writing its result fails.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from kodegen.gates import _contract_probe, config, contract

SPEC = "pkg/openapi.json"
CONFIG = config.GateConfig(package="pkg", app="pkg.main:app", openapi=SPEC, max_examples=5)
APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"ping": "pong"}


@app.get("/teapot", status_code=418)
def teapot() -> dict[str, str]:
    return {"tea": "pot"}
"""
_OBJECT = {"type": "object", "required": ["ping"], "properties": {"ping": {"type": "string"}}}


def _operation(name: str, **extra: Any) -> dict[str, Any]:
    content = {"application/json": {"schema": _OBJECT}}
    return {
        "operationId": name,
        "responses": {"200": {"description": "ok", "content": content}},
        **extra,
    }


def _spec(**paths: dict[str, Any]) -> str:
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}
    return json.dumps(document)


PING = {"get": _operation("ping")}
TEAPOT = {"get": _operation("teapot")}


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _project(root: Path, spec: str, app: str = APP) -> Path:
    return _tree(root, {"pkg/__init__.py": "", "pkg/main.py": app, SPEC: spec})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"contract": False}, "disabled: spec.qualityGates.contract is false"),
        (
            {"contract": False, "graphql": "type Query { a: Int }"},
            "disabled: spec.qualityGates.contract is false",
        ),
        ({"app": None}, "not applicable: the template declares no app (entrypoints.app), "),
        ({"openapi": None}, "not applicable: the template declares no OpenAPI document "),
    ],
)
async def test_rule_1_a_gate_that_does_not_apply_passes_saying_why(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    # the project would fail the contract: the gate must not have looked at it
    project = _project(tmp_path, _spec(**{"/ping": PING, "/teapot": TEAPOT}))
    result = await contract.run(project, dataclasses.replace(CONFIG, **changes))
    assert result.passed
    assert (result.reason or "").startswith(reason)
    assert result.counts == {}


async def test_rule_2_a_missing_document_fails_with_the_fix(tmp_path: Path) -> None:
    project = _project(tmp_path, _spec(**{"/ping": PING}))
    result = await contract.run(project, dataclasses.replace(CONFIG, openapi="pkg/absent.json"))
    assert not result.passed
    assert result.reason == (
        "the OpenAPI document 'pkg/absent.json' is not in the project; check GateConfig.openapi"
    )


async def test_rule_3_an_app_that_cannot_be_loaded_fails(tmp_path: Path) -> None:
    project = _project(tmp_path, _spec(**{"/ping": PING}))
    result = await contract.run(project, dataclasses.replace(CONFIG, app="pkg.nowhere:app"))
    assert not result.passed
    assert result.reason == (
        f"could not load the app or {SPEC}: ModuleNotFoundError: No module named 'pkg.nowhere'"
    )


async def test_rule_4_an_app_that_honours_its_document_passes(tmp_path: Path) -> None:
    result = await contract.run(_project(tmp_path, _spec(**{"/ping": PING})), CONFIG)
    assert result.passed, result.findings
    assert result.reason is None
    assert result.counts["operations"] == 1
    assert result.counts["cases"] >= 1
    assert (result.counts["failures"], result.counts["errors"]) == (0, 0)


QUERIED_APP = """\
from fastapi import FastAPI

app = FastAPI()
""" + "".join(
    f"""

@app.get("/items{i}")
def items{i}(q: str) -> dict[str, str]:
    return {{"ping": q}}
"""
    for i in range(4)
)
QUERIED = {
    "get": _operation(
        "items",
        parameters=[{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
    )
}


@pytest.mark.parametrize(
    ("max_cases", "min_examples", "cases"),
    [
        (1000, 1, 4 * 6),  # within the budget: max_examples each
        (12, 1, 4 * 3),  # 12 cases shared by 4 operations
        (4, 2, 4 * 2),  # never fewer than the minimum
    ],
)
async def test_rule_4_a_large_api_shares_the_cases(
    tmp_path: Path, max_cases: int, min_examples: int, cases: int
) -> None:
    paths = {f"/items{i}": QUERIED for i in range(4)}
    settings = dataclasses.replace(
        CONFIG, max_examples=6, max_cases=max_cases, contract_min_examples=min_examples
    )
    result = await contract.run(_project(tmp_path, _spec(**paths), QUERIED_APP), settings)
    assert result.passed, result.findings
    assert (result.counts["operations"], result.counts["cases"]) == (4, cases)


@pytest.mark.parametrize(
    ("operations", "expected"),
    [(0, 25), (1, 25), (16, 25), (17, 23), (42, 9), (80, 5), (1000, 5)],
)
def test_rule_4_cases_per_operation(operations: int, expected: int) -> None:
    assert _contract_probe.per_operation(operations, 25, 400, 5) == expected


BAG_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.post("/bag")
def bag(items: list[int]) -> list[int]:
    if len(items) > 3:
        raise RuntimeError("more items than the probe draws")
    return [0] * 5
"""
_INTEGERS = {"type": "array", "items": {"type": "integer"}}
BAG = {
    "post": {
        "operationId": "bag",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _INTEGERS}}},
        "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": _INTEGERS}}}
        },
    }
}


async def test_rule_4_requests_hold_at_most_three_items_an_answer_any_number(
    tmp_path: Path,
) -> None:
    """Drawn from the capped copy (the app fails on a fourth item), judged by the document as
    written (the answer's five items break no `maxItems` the copy has)."""
    settings = dataclasses.replace(CONFIG, max_examples=25)
    result = await contract.run(_project(tmp_path, _spec(**{"/bag": BAG}), BAG_APP), settings)
    assert result.passed, result.findings
    assert result.counts["cases"] == 25


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "array"}, {"type": "array", "maxItems": 3}),
        ({"type": ["array", "null"]}, {"type": ["array", "null"], "maxItems": 3}),
        ({"type": "array", "maxItems": 2}, {"type": "array", "maxItems": 2}),
        ({"type": "array", "maxItems": 9}, {"type": "array", "maxItems": 3}),
        ({"type": "array", "minItems": 5}, {"type": "array", "minItems": 5, "maxItems": 5}),
        ({"type": "array", "minItems": 1}, {"type": "array", "minItems": 1, "maxItems": 3}),
        (
            {"type": "object", "properties": {"items": {"type": "array"}, "type": {}}},
            {
                "type": "object",
                "properties": {"items": {"type": "array", "maxItems": 3}, "type": {}},
            },
        ),
        (
            {"allOf": [{"type": "array", "items": {"type": "array"}}]},
            {
                "allOf": [
                    {"type": "array", "maxItems": 3, "items": {"type": "array", "maxItems": 3}}
                ]
            },
        ),
        (
            {"type": "string", "example": {"type": "array"}, "x-shape": {"type": "array"}},
            {"type": "string", "example": {"type": "array"}, "x-shape": {"type": "array"}},
        ),
        (
            {"enum": [{"type": "array"}], "default": {"type": "array"}, "const": {"type": "array"}},
            {"enum": [{"type": "array"}], "default": {"type": "array"}, "const": {"type": "array"}},
        ),
        ({"type": "integer"}, {"type": "integer"}),
    ],
)
def test_rule_4_generation_caps_arrays_and_leaves_data_alone(
    schema: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = json.dumps(schema)
    assert _contract_probe.capped(schema) == expected
    assert json.dumps(schema) == before  # a copy: the document that judges is untouched


async def test_rule_5_an_undocumented_answer_fails(tmp_path: Path) -> None:
    project = _project(tmp_path, _spec(**{"/ping": PING, "/teapot": TEAPOT}))
    result = await contract.run(project, CONFIG)
    assert not result.passed
    assert result.reason == "1 contract failure(s)"
    assert (result.counts["operations"], result.counts["failures"]) == (2, 1)
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code, finding.severity) == (
        SPEC,
        0,
        "status_code_conformance",
        "medium",
    )
    assert finding.message.startswith("GET /teapot: Undocumented status code: ")
    assert "418" in finding.message


@pytest.mark.parametrize(
    ("teapot", "words"),
    [
        (
            {"get": _operation("teapot", parameters=[{"$ref": "#/components/parameters/No"}])},
            "GET /teapot: Unresolvable reference",
        ),
        (
            {
                "get": _operation(
                    "teapot",
                    parameters=[
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 5, "maximum": 1},
                        }
                    ],
                )
            },
            "GET /teapot: UnsatisfiableSchema: ",
        ),
    ],
)
async def test_rule_6_an_operation_that_cannot_be_tested_fails(
    tmp_path: Path, teapot: dict[str, Any], words: str
) -> None:
    project = _project(tmp_path, _spec(**{"/ping": PING, "/teapot": teapot}))
    result = await contract.run(project, CONFIG)
    assert not result.passed
    assert result.reason == "1 operation(s) could not be tested"
    assert result.counts["errors"] == 1
    [finding] = result.findings
    assert (finding.file, finding.code, finding.severity) == (SPEC, "untestable", "high")
    assert finding.message.startswith(words)


async def test_rule_6_failures_and_untestable_operations_are_both_named(tmp_path: Path) -> None:
    untestable = {"get": _operation("other", parameters=[{"$ref": "#/components/parameters/No"}])}
    project = _project(tmp_path, _spec(**{"/ping": PING, "/teapot": TEAPOT, "/other": untestable}))
    result = await contract.run(project, CONFIG)
    assert result.reason == "1 contract failure(s); 1 operation(s) could not be tested"
    assert sorted(f.code for f in result.findings) == ["status_code_conformance", "untestable"]


async def test_rule_7_a_probe_that_writes_no_result_fails(tmp_path: Path) -> None:
    vanishing = "import os\n\nos._exit(0)\n"
    result = await contract.run(_project(tmp_path, _spec(**{"/ping": PING}), vanishing), CONFIG)
    assert not result.passed
    assert (result.reason or "").startswith(
        "could not parse the contract probe's result: no result file (exit status 0"
    )


GRAPHQL_APP = """\
import strawberry
from strawberry.asgi import GraphQL


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str) -> str:
        return f"hello {name}"

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("no answer")


app = GraphQL(strawberry.Schema(query=Query))
"""
SDL = "type Query {\n  hello(name: String!): String!\n  broken: Int!\n}\n"


def _graphql(root: Path, app: str = GRAPHQL_APP) -> Path:
    return _tree(root, {"pkg/__init__.py": "", "pkg/main.py": app})


def _serving(sdl: str) -> config.GateConfig:
    return dataclasses.replace(CONFIG, openapi=None, graphql=sdl)


async def test_rule_8_a_graphql_app_serving_its_schema_passes(tmp_path: Path) -> None:
    working = GRAPHQL_APP.replace('raise ValueError("no answer")', "return 42")
    result = await contract.run(_graphql(tmp_path, working), _serving(SDL))
    assert result.passed, result.findings
    assert result.reason is None
    assert result.counts == {"cases": 2, "errors": 0, "failures": 0, "operations": 2}


async def test_rule_9_a_served_schema_that_differs_fails(tmp_path: Path) -> None:
    working = GRAPHQL_APP.replace('raise ValueError("no answer")', "return 42")
    sdl = SDL.replace("broken: Int!", "broken: Int")
    result = await contract.run(_graphql(tmp_path, working), _serving(sdl))
    assert not result.passed
    assert result.reason == "the served schema differs from the specification"
    [finding] = result.findings
    assert (finding.file, finding.code, finding.severity) == (
        "schema.graphql",
        "schema_mismatch",
        "high",
    )
    assert finding.message == (
        "the served schema differs from the specification: -  broken: Int | +  broken: Int!"
    )
    assert result.counts["failures"] == 1


async def test_rule_10_a_field_answered_with_an_error_fails(tmp_path: Path) -> None:
    result = await contract.run(_graphql(tmp_path), _serving(SDL))
    assert not result.passed
    assert result.reason == "1 operation(s) answered with errors"
    [finding] = result.findings
    assert (finding.code, finding.message) == ("graphql_error", "query broken: no answer")
    assert result.counts == {"cases": 2, "errors": 0, "failures": 1, "operations": 2}


async def test_rule_9_and_10_both_reasons_are_given(tmp_path: Path) -> None:
    sdl = SDL.replace("broken: Int!", "broken: Int")
    result = await contract.run(_graphql(tmp_path), _serving(sdl))
    assert result.reason == (
        "the served schema differs from the specification; 1 operation(s) answered with errors"
    )
    assert [f.code for f in result.findings] == ["graphql_error", "schema_mismatch"]
    assert result.counts["failures"] == 2


async def test_rule_11_a_graphql_app_that_cannot_be_loaded_fails(tmp_path: Path) -> None:
    config_ = dataclasses.replace(_serving(SDL), app="pkg.nowhere:app")
    result = await contract.run(_graphql(tmp_path), config_)
    assert not result.passed
    assert result.reason == (
        "could not load the app or its schema: ModuleNotFoundError: No module named 'pkg.nowhere'"
    )


async def test_rule_12_a_graphql_probe_that_writes_no_result_fails(tmp_path: Path) -> None:
    result = await contract.run(_graphql(tmp_path, "import os\n\nos._exit(3)\n"), _serving(SDL))
    assert not result.passed
    assert (result.reason or "").startswith(
        "could not parse the GraphQL probe's result: no result file (exit status 3"
    )


async def test_rule_4_a_credential_no_http_header_can_carry_is_not_sent(tmp_path: Path) -> None:
    """An apiKey scheme named `Authorization: Bearer` (crowdsec's): no client can send a header
    of that name, and the probe's own client raised InvalidHeader, reported as the app's
    server error. The probe sends no such credential; the app answers what it answers."""
    document = json.loads(_spec(**{"/ping": {"get": _operation("ping", security=[{"jwt": []}])}}))
    scheme = {"type": "apiKey", "in": "header", "name": "Authorization: Bearer"}
    document["components"] = {"securitySchemes": {"jwt": scheme}}
    result = await contract.run(_project(tmp_path, json.dumps(document)), CONFIG)
    assert result.passed, result.findings
    assert result.counts["cases"] >= 1


@pytest.mark.parametrize(
    ("name", "sendable"),
    [("X-Api-Key", True), ("api_key", True), ("Authorization: Bearer", False), ("a b", False)],
)
def test_rule_4_header_and_cookie_names_http_can_carry(name: str, sendable: bool) -> None:
    assert _contract_probe.sendable(name) is sendable
