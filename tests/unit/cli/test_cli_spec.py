"""`kodegen generate/validate/init --spec FILE`: a user's own spec file, its type read from the
content, the template and variables from flags; every refused flag is one line naming it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.cli.conftest import example

from kodegen import cli, provenance
from kodegen.gates import report
from kodegen.pipeline import generate

EXAMPLES = Path(__file__).parents[3] / "examples"

PASSING = (
    report.GateReport(name="syntax", passed=True, duration_seconds=0.25),
    report.GateReport(name="tests", passed=True, metrics={"coverage": 97.5}),
)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def gates(*reports: report.GateReport) -> Callable[..., tuple[report.GateReport, ...]]:
    def run_gates(self: generate.Generator, prepared: Any, rendered: Any) -> Any:
        for gate in reports:
            self.progress.gate_finished(gate)
        return reports

    return run_gates


def openapi_document() -> dict[str, Any]:
    inline: dict[str, Any] = example()["spec"]["specification"]["openapi"]["inline"]
    return inline


def graphql_schema() -> str:
    data = yaml.safe_load((EXAMPLES / "bookstore-graphql.yaml").read_text())
    schema: str = data["spec"]["specification"]["graphql"]["schema"]
    return schema


def json_schema() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "models-jsonschema.yaml").read_text())
    inline: dict[str, Any] = data["spec"]["specification"]["jsonSchema"]["inline"]
    return inline


@pytest.fixture
def openapi_file(tmp_path: Path) -> Path:
    path = tmp_path / "my-api.yaml"
    path.write_text(yaml.safe_dump(openapi_document(), sort_keys=False))
    return path


# -- type detection ----------------------------------------------------------------------------


def swagger2() -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "Notes", "version": "1.0.0"},
        "paths": {
            "/notes": {
                "get": {
                    "operationId": "listNotes",
                    "produces": ["application/json"],
                    "responses": {"200": {"description": "ok", "schema": {"type": "array"}}},
                }
            }
        },
    }


DETECTED: dict[str, tuple[str, Callable[[], str], str, str]] = {
    "OpenAPI YAML": (
        "api.yaml",
        lambda: yaml.safe_dump(openapi_document()),
        "openapi",
        "python-fastapi-service",
    ),
    "Swagger 2.0 JSON": (
        "notes.json",
        lambda: json.dumps(swagger2()),
        "openapi",
        "python-fastapi-service",
    ),
    "GraphQL by suffix": ("shop.graphql", graphql_schema, "graphql", "python-graphql-service"),
    "GraphQL by content": ("shop.txt", graphql_schema, "graphql", "python-graphql-service"),
    "JSON Schema with $schema": (
        "catalog.json",
        lambda: json.dumps(json_schema()),
        "jsonSchema",
        "python-pydantic-models",
    ),
    "JSON Schema without $schema": (
        "thing.yaml",
        lambda: yaml.safe_dump(
            {"title": "Thing", "type": "object", "properties": {"a": {"type": "integer"}}}
        ),
        "jsonSchema",
        "python-pydantic-models",
    ),
}


@pytest.mark.parametrize("case", list(DETECTED))
def test_init_reads_the_type_from_the_content(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, content, kind, family = DETECTED[case]
    path = tmp_path / name
    path.write_text(content())
    code, out, err = run(capsys, "init", "--spec", path)
    assert (code, err) == (0, "")
    written = yaml.safe_load(out)
    assert written["spec"]["specification"]["type"] == kind
    assert written["spec"]["template"] == {"family": family, "version": "^1.0"}
    stem = name.split(".")[0]
    assert written["spec"]["variables"] == {"packageName": stem}
    assert written["metadata"]["name"] == stem
    assert out.startswith("# A CodeGeneration written by `kodegen init --spec")


def test_the_type_flag_forces_a_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "weird.txt"
    path.write_text(yaml.safe_dump({"components": {}, "x-note": 1}))
    code, _, err = run(capsys, "init", "--spec", path)
    assert code == 2
    assert one_error_line(err) == (
        f"error: --spec {path}: cannot tell its type (no openapi, swagger or $schema key, no "
        "JSON Schema keyword, not GraphQL SDL); pass --type openapi, graphql, jsonSchema"
    )
    code, out, err = run(capsys, "init", "--spec", path, "--type", "jsonSchema")
    assert (code, err) == (0, "")
    assert yaml.safe_load(out)["spec"]["specification"]["jsonSchema"]["inline"] == {
        "components": {},
        "x-note": 1,
    }


def test_a_graphql_schema_is_written_as_a_literal_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "shop.graphql"
    path.write_text(graphql_schema())
    code, out, _ = run(capsys, "init", "--spec", path)
    assert code == 0
    assert "    graphql:\n      schema: |" in out
    assert yaml.safe_load(out)["spec"]["specification"]["graphql"]["schema"] == graphql_schema()


# -- flags -------------------------------------------------------------------------------------


FLAG_ERRORS: dict[str, tuple[list[str], str]] = {
    "variable against its pattern": (
        ["--set", "packageName=1x"],
        r"^error: --set packageName=1x: .*\^\[a-z_\]\[a-z0-9_\]\*\$",
    ),
    "variable of the wrong type": (
        ["--set", "port=eighty"],
        r"^error: --set port=eighty: .*integer",
    ),
    "unknown variable": (["--set", "colour=blue"], r"^error: --set colour=blue: .*unknown"),
    "no equals sign": (
        ["--set", "packageName"],
        r"^error: --set packageName: expected NAME=VALUE$",
    ),
    "variable given twice": (
        ["--set", "packageName=a", "--set", "packageName=b"],
        r"^error: --set packageName=b: packageName is given twice$",
    ),
    "unknown template": (
        ["--template", "python-flask-service@^1.0"],
        r"^error: --template python-flask-service@\^1\.0: unknown template family; "
        r"did you mean 'python-fastapi-service'\?",
    ),
    "bad range": (
        ["--template", "python-fastapi-service@^one"],
        r"^error: --template python-fastapi-service@\^one: .*",
    ),
    "no version in range": (
        ["--template", "python-fastapi-service@^9.0"],
        r"^error: --template python-fastapi-service@\^9\.0: no version matches '\^9\.0'",
    ),
    "template for another type": (
        ["--template", "python-graphql-service"],
        r"^error: --template python-graphql-service: python-graphql-service@1\.0\.0 generates "
        r"from graphql, not openapi; for openapi use python-fastapi-service@\^1\.0",
    ),
    "invalid name": (["--name", "Not_A_Name"], r"^error: manifest: metadata\.name: .*"),
}


@pytest.mark.parametrize("case", list(FLAG_ERRORS))
@pytest.mark.parametrize("command", ["init", "validate", "generate"])
def test_a_refused_flag_is_one_line_naming_it(
    case: str,
    command: str,
    openapi_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags, expected = FLAG_ERRORS[case]
    out = tmp_path / "out"
    extra = ["--out", str(out)] if command == "generate" else []
    code, stdout, err = run(capsys, command, "--spec", openapi_file, *flags, *extra)
    assert code == 2
    assert re.search(expected, one_error_line(err)), err
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [openapi_file.name]


def test_a_missing_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "init", "--spec", tmp_path / "nope.yaml")
    assert code == 2
    assert one_error_line(err).startswith(f"error: --spec {tmp_path / 'nope.yaml'}: cannot read it")


def test_a_malformed_spec_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "api.yaml"
    path.write_text("openapi: 3.0.3\ninfo: [\n")
    code, _, err = run(capsys, "init", "--spec", path)
    assert code == 2
    assert one_error_line(err).startswith(f"error: {path}:3:1: ")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--type", "openapi"],
            "error: --type openapi: only with --spec; a manifest sets it itself",
        ),
        (
            ["--set", "port=1"],
            "error: --set port=1: only with --spec; a manifest sets spec.variables",
        ),
        (["--spec", "x.yaml"], "error: --spec x.yaml: give either a MANIFEST"),
        ([], "error: MANIFEST: give a CodeGeneration manifest, or --spec FILE"),
    ],
)
def test_a_manifest_and_spec_flags_do_not_mix(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump(example()))
    positional = [manifest] if argv else []
    code, _, err = run(capsys, "validate", *positional, *argv)
    assert code == 2
    assert one_error_line(err).startswith(expected)


# -- init writes files -------------------------------------------------------------------------


def test_init_writes_a_file_and_never_overwrites_it_without_force(
    openapi_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "codegeneration.yaml"
    argv = ["init", "--spec", openapi_file, "--set", "packageName=pets", "--set", "port=9000"]
    code, out, err = run(capsys, *argv, "-f", target)
    assert (code, out) == (0, "")
    assert err == f"wrote {target}; next: kodegen generate {target} --out DIR\n"
    written = yaml.safe_load(target.read_text())
    assert written["spec"]["variables"] == {"packageName": "pets", "port": 9000}
    assert written["spec"]["specification"]["openapi"]["inline"] == openapi_document()

    target.write_text("mine\n")
    code, _, err = run(capsys, *argv, "-f", target)
    assert code == 2
    assert one_error_line(err) == f"error: -f {target}: exists; pass --force to overwrite it"
    assert target.read_text() == "mine\n"
    assert run(capsys, *argv, "-f", target, "--force")[0] == 0
    assert yaml.safe_load(target.read_text()) == written


def test_what_init_writes_validates_like_the_flags(
    openapi_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cg.yaml"
    assert run(capsys, "init", "--spec", openapi_file, "-f", target)[0] == 0
    from_file = json.loads(run(capsys, "validate", target, "-o", "json")[1])
    from_flags = json.loads(run(capsys, "validate", "--spec", openapi_file, "-o", "json")[1])
    for summary in (from_file, from_flags):
        summary.pop("timings")
    assert from_file == from_flags
    assert from_file["result"] == "valid"
    assert from_file["name"] == "my-api"
    assert from_file["operations"]["total"] == 3


# -- generate from a spec file -----------------------------------------------------------------


def test_generate_from_a_spec_file_progress_on_stderr_results_on_stdout(
    openapi_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generate.Generator, "gates", gates(*PASSING))
    out = tmp_path / "out"
    argv = ["generate", "--spec", openapi_file, "--template", "python-fastapi-service@^1.0"]
    code, stdout, err = run(capsys, *argv, "--set", "packageName=pets", "--out", out)
    assert code == 0
    for stage in generate.STAGES:
        assert re.search(rf"^{stage} +\d+\.\d\d s$", err, re.MULTILINE), err
        assert not re.search(rf"^{stage} ", stdout, re.MULTILINE)
    assert "gate syntax" in err
    assert "Summary" in stdout and f"wrote {out}" in stdout
    assert (out / "pets" / "main.py").is_file()
    statement = json.loads((out / provenance.PATH).read_text())
    assert statement["predicate"]["buildDefinition"]["externalParameters"]["name"] == "my-api"


def test_json_output_is_one_object_with_stable_keys(
    openapi_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generate.Generator, "gates", gates(*PASSING))
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "generate", "--spec", openapi_file, "--out", out, "-o", "json")
    assert code == 0
    assert "parse" in err
    summary = json.loads(stdout)
    assert list(summary) == [
        "result",
        "exitCode",
        "name",
        "template",
        "gates",
        "files",
        "lines",
        "coverage",
        "operations",
        "outputs",
        "provenance",
        "timings",
        "seconds",
        "isolation",
    ]
    assert (summary["result"], summary["exitCode"]) == ("passed", 0)
    assert summary["gates"] == [
        {"name": "syntax", "passed": True, "seconds": 0.25, "reason": None, "findings": 0},
        {"name": "tests", "passed": True, "seconds": 0.0, "reason": None, "findings": 0},
    ]
    assert summary["coverage"] == 97.5
    assert summary["operations"] == {"implemented": 3, "total": 3, "notImplemented": []}
    assert summary["outputs"] == {"directory": str(out)}
    written = (out / provenance.PATH).read_bytes()
    import hashlib

    assert summary["provenance"]["digest"] == "sha256:" + hashlib.sha256(written).hexdigest()
    assert summary["files"] == sum(
        1 for p in out.rglob("*") if p.is_file() and p.name != "output.json"
    )
    assert list(summary["timings"]) == list(generate.STAGES)
    assert summary["template"]["family"] == "python-fastapi-service"


def test_json_output_of_failed_gates_and_not_implemented_operations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = openapi_document()
    document["paths"]["/pets/{petId}/feed"] = {
        "post": {
            "operationId": "feedPet",
            "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {}}],
            "responses": {"204": {"description": "fed"}},
        }
    }
    path = tmp_path / "pets.json"
    path.write_text(json.dumps(document))
    failing = report.GateReport.failure(
        "style",
        reason="1 lint finding(s)",
        findings=(report.Finding("pets/main.py", 3, "I001", "Import block", "low"),),
    )
    monkeypatch.setattr(generate.Generator, "gates", gates(PASSING[0], failing))
    code, stdout, _ = run(capsys, "generate", "--spec", path, "--out", tmp_path / "o", "-o", "json")
    assert code == 1
    summary = json.loads(stdout)
    assert (summary["result"], summary["exitCode"]) == ("gates failed", 1)
    assert summary["gates"][1] == {
        "name": "style",
        "passed": False,
        "seconds": 0.0,
        "reason": "1 lint finding(s)",
        "findings": 1,
    }
    assert summary["operations"]["implemented"] == 3
    assert summary["operations"]["total"] == 4
    assert summary["operations"]["notImplemented"][0]["operationId"] == "feedPet"
    assert summary["operations"]["notImplemented"][0]["reason"]


def test_json_output_of_a_refusal_is_an_error_object(
    openapi_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", "--spec", openapi_file, "--set", "packageName=1x", "--out", tmp_path / "o"]
    code, stdout, err = run(capsys, *argv, "-o", "json")
    assert code == 2
    line = one_error_line(err)
    assert json.loads(stdout) == {
        "result": "error",
        "exitCode": 2,
        "error": line.removeprefix("error: "),
    }


def test_validate_text_output_counts_operations(
    openapi_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = run(capsys, "validate", "--spec", openapi_file)
    assert code == 0
    assert stdout.startswith(
        f"--spec {openapi_file}: valid: my-api -> python-fastapi-service@1.0.0, 3 operations, "
        "0 not implemented"
    )
    assert "plan" in err and "plan" not in stdout


def test_the_name_flag_sets_metadata_name(
    openapi_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", "--spec", openapi_file, "--name", "pets-api")
    assert code == 0
    assert yaml.safe_load(out)["metadata"]["name"] == "pets-api"


def test_the_templates_flag_picks_the_folder_templates_come_from(
    openapi_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none"
    code, _, err = run(capsys, "init", "--spec", openapi_file, "--templates", missing)
    assert code == 2
    assert one_error_line(err) == (
        f"error: --templates {missing}: not a folder of <family>/<version>/"
    )
    empty = tmp_path / "templates"
    empty.mkdir()
    code, _, err = run(capsys, "init", "--spec", openapi_file, "--templates", empty)
    assert code == 2
    assert one_error_line(err) == (
        "error: --template python-fastapi-service@^1.0: unknown template family; there are no "
        f"templates under {empty}"
    )
