"""kodegen's command line: flags to calls, errors to one line and an exit code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kodegen
from kodegen import cli, provenance
from kodegen.gates import report
from kodegen.pipeline import generate

Manifest = Callable[..., Path]


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


def spec(data: dict[str, Any]) -> dict[str, Any]:
    inline: dict[str, Any] = data["spec"]["specification"]["openapi"]["inline"]
    return inline


BAD_INPUT: dict[str, tuple[Callable[[dict[str, Any]], object] | str, str]] = {
    "malformed YAML": ("kind: [CodeGeneration\n", r"manifest\.yaml:2:1: malformed YAML"),
    "not a mapping": ("- one\n- two\n", "must be a mapping"),
    "wrong apiVersion": (
        lambda m: m.update(apiVersion="kodegen.dev/v1"),
        "apiVersion: must be kodegen.dev/v1alpha1, got 'kodegen.dev/v1'",
    ),
    "wrong kind": (lambda m: m.update(kind="CodeTemplate"), "kind: must be CodeGeneration"),
    "unknown field": (
        lambda m: m["spec"].update(colour="blue"),
        "spec.colour: unknown field; expected one of",
    ),
    "misspelled field": (
        lambda m: m["spec"]["template"].update(famly=m["spec"]["template"].pop("family")),
        "spec.template.famly: unknown field; did you mean 'family'?",
    ),
    "missing field": (
        lambda m: m["spec"]["template"].pop("family"),
        "spec.template.family: required field is missing",
    ),
    "invalid OpenAPI": (
        lambda m: spec(m)["paths"]["/pets"]["get"].update(responses="none"),
        r"specification at #?/paths/~1pets/get/responses: .*not of type",
    ),
    "OpenAPI without paths": (lambda m: spec(m).pop("paths"), r"specification at"),
    "adr without AI": (
        lambda m: m["spec"].update(
            specification={"type": "adr", "adr": {"id": "ADR-012", "text": "Use queues."}}
        ),
        r"specification type 'adr' needs (an )?AI.*: set (spec\.)?ai\.mode to .*full",
    ),
    "userStory without AI": (
        lambda m: m["spec"].update(
            specification={"type": "userStory", "userStory": {"story": "As a user..."}}
        ),
        r"specification type 'userStory' needs (an )?AI",
    ),
    "adr with a template for openapi": (
        lambda m: m["spec"].update(
            specification={"type": "adr", "adr": {"id": "ADR-012", "text": "Use queues."}},
            ai={"mode": "full", "providers": [{"provider": "ollama", "model": "m"}]},
        ),
        "generates from openapi specifications, not 'adr'; choose a template family",
    ),
    "graphql": (
        lambda m: m["spec"].update(
            specification={"type": "graphql", "graphql": {"schema": "type Query { a: Int"}}
        ),
        "specification at schema:1:20: Syntax Error: Expected Name, found <EOF>.",
    ),
    "spec from a ConfigMap": (
        lambda m: m["spec"]["specification"].update(openapi={"configMapRef": {"name": "spec"}}),
        "spec.specification.openapi.configMapRef: needs the operator",
    ),
    "unknown template family": (
        lambda m: m["spec"]["template"].update(family="python-flask-service"),
        "template python-flask-service",
    ),
    "no version matching the range": (
        lambda m: m["spec"]["template"].update(version="^9.0"),
        r"no version matches '\^9\.0'",
    ),
    "missing variable": (lambda m: m["spec"].update(variables={}), "variable 'packageName'"),
    "invalid variable": (
        lambda m: m["spec"].update(variables={"packageName": "Pet-Store"}),
        "variable 'packageName'",
    ),
    "unknown variable": (
        lambda m: m["spec"]["variables"].update(colour="blue"),
        "variable 'colour'",
    ),
    "unknown operation": (
        lambda m: m["spec"]["specification"].update(operations=["listPets", "feedPets"]),
        "unknown operation 'feedPets'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
@pytest.mark.parametrize("command", ["generate", "validate"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    case: str, command: str, manifest: Manifest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, expected = BAD_INPUT[case]
    path = manifest(text=edit) if isinstance(edit, str) else manifest(edit)
    out = tmp_path / "out"
    argv: list[str | Path] = [command, path]
    if command == "generate":
        argv += ["--out", out]
    code, _, err = run(capsys, *argv)
    line = one_error_line(err)
    assert code == 2
    assert re.search(expected, line), line
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.yaml"]


def test_missing_manifest_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", tmp_path / "nope.yaml")
    assert code == 2
    assert "nope.yaml: cannot read it" in one_error_line(err)


def test_generate_refuses_a_users_folder_before_any_work(
    manifest: Manifest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = run(capsys, "generate", manifest(), "--out", out)
    assert code == 2
    assert "refusing to replace" in one_error_line(err)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["generate", "m.yaml", "--out", "o", "--gates-timeout", "0"],
        ["generate", "m.yaml", "--out", "o", "--gates-timeout", "soon"],
        ["generate", "m.yaml", "--out", "o", "-o", "yaml"],
        ["validate", "--type", "swagger"],
        ["init"],
    ],
)
def test_usage_errors_exit_2(
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err
    assert "usage: kodegen" in err
    assert list(tmp_path.iterdir()) == []


def test_generate_without_a_manifest_names_both_ways_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "generate")
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "MANIFEST" in line and "--spec FILE" in line


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("generate", "validate", "init", "crds", "version"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "version") == (0, f"kodegen {kodegen.__version__}\n", "")


def test_crds_prints_the_generated_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    from kodegen.api import crd

    code, out, _ = run(capsys, "crds")
    assert code == 0
    assert out == crd.render_yaml()
    assert "kind: CustomResourceDefinition" in out


def test_crds_writes_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kodegen.api import crd

    code, _, _ = run(capsys, "crds", "--out", tmp_path / "crds")
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "crds").iterdir())
    assert written == sorted(crd.filename(document) for document in crd.crds())


def test_crds_into_a_file_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "crds", "--out", tmp_path / "file")
    assert code == 73  # the output destination cannot be written
    assert "cannot write the CRDs to" in one_error_line(err)


def test_validate_reports_the_plan(manifest: Manifest, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", manifest())
    assert code == 0
    assert "valid: petstore-api -> python-fastapi-service@1.0." in out
    for stage in ("parse", "resolve", "variables", "plan"):
        assert re.search(rf"^{stage} ", err, re.MULTILINE)  # progress, one plain line a stage
        assert not re.search(rf"^{stage} ", out, re.MULTILINE)
    assert "render" not in err


def test_provenance_marker_is_what_directory_checks() -> None:
    from kodegen.outputs import directory

    assert str(directory.MARKER) == provenance.PATH


# -- generate, with the gates played by a fake (the real ones run in tests/integration) ---------


def fake_gates(*reports: report.GateReport) -> Callable[..., tuple[report.GateReport, ...]]:
    def gates(self: generate.Generator, prepared: Any, rendered: Any) -> Any:
        for gate in reports:
            self.progress.gate_finished(gate)
        return reports

    return gates


PASSING = (
    report.GateReport(name="syntax", passed=True, duration_seconds=0.1),
    report.GateReport(name="tests", passed=True, metrics={"coverage": 98.25}),
)
FAILING = (
    report.GateReport(name="syntax", passed=True),
    report.GateReport.failure(
        "style",
        reason="1 lint finding(s)",
        findings=(report.Finding("petstore/main.py", 3, "I001", "Import block", "low"),),
    ),
)


def test_generate_writes_the_output_and_a_summary(
    manifest: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generate.Generator, "gates", fake_gates(*PASSING))
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "generate", manifest(), "--out", out)
    assert code == 0
    assert "error" not in err
    statement = json.loads((out / provenance.PATH).read_text())
    assert statement["predicate"]["passed"] is True
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert [subject["name"] for subject in statement["subject"]] == [
        name for name in written if name not in (provenance.PATH, ".kodegen/output.json")
    ]
    for stage in generate.STAGES:
        assert re.search(rf"^{stage} +\d+\.\d\d s$", err, re.MULTILINE), err  # progress
    assert "gate syntax" in err and "gate syntax" not in stdout
    for expected in ("Summary", "98.2 %", "Quality gates", "Time per stage"):
        assert expected in stdout  # results
    assert f"wrote {out}" in stdout and "every gate passed" in stdout


def test_failed_gates_exit_1_and_still_write_the_output_marked_failed(
    manifest: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generate.Generator, "gates", fake_gates(*FAILING))
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "generate", manifest(), "--out", out)
    assert code == 1
    assert json.loads((out / provenance.PATH).read_text())["predicate"]["passed"] is False
    assert "quality gates FAILED" in stdout
    assert "petstore/main.py:3: I001 Import block [low]" in stdout


def test_a_second_run_replaces_the_previous_output(
    manifest: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generate.Generator, "gates", fake_gates(*PASSING))
    out = tmp_path / "out"
    assert run(capsys, "generate", manifest(), "--out", out)[0] == 0
    assert run(capsys, "generate", manifest(), "--out", out)[0] == 0  # untouched: replaced
    (out / "stale.txt").write_text("added by hand")
    code, _, err = run(capsys, "generate", manifest(), "--out", out)
    assert code == 2
    assert "differs from what kodegen wrote there (added: stale.txt)" in one_error_line(err)
    assert (out / "stale.txt").exists()
    assert run(capsys, "generate", manifest(), "--out", out, "--force")[0] == 0
    assert not (out / "stale.txt").exists()


def test_interrupted_run_exits_130_and_writes_nothing(
    manifest: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(*_: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(generate.Generator, "gates", interrupted)
    path = manifest()
    out = tmp_path / "out"
    code, _, err = run(capsys, "generate", path, "--out", out)
    assert code == 130
    *progress, last = err.splitlines()
    assert last == "error: interrupted; nothing was written"
    assert [line.split()[0] for line in progress] == list(generate.STAGES[:6])  # to format
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.yaml"]


def test_not_implemented_operations_are_listed(
    manifest: Manifest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = {
        "post": {
            "operationId": "feedPet",
            "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {}}],
            "responses": {"204": {"description": "fed"}},
        }
    }
    monkeypatch.setattr(generate.Generator, "gates", fake_gates(*PASSING))
    path = manifest(lambda m: spec(m)["paths"].update({"/pets/{petId}/feed": feed}))
    code, stdout, _ = run(capsys, "generate", path, "--out", tmp_path / "out")
    assert code == 0
    assert "Not implemented (1)" in stdout
    assert "feedPet (POST /pets/{petId}/feed)" in stdout
    statement = json.loads((tmp_path / "out" / provenance.PATH).read_text())
    assert [op["operation_id"] for op in statement["predicate"]["notImplemented"]] == ["feedPet"]


def test_templates_flag_selects_another_template_folder(
    manifest: Manifest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "validate", manifest(), "--templates", tmp_path / "none")
    assert code == 2
    assert "none: the template folder does not exist" in one_error_line(err)


@pytest.mark.parametrize("path", ["/petId}", "/pets/{petId"])
def test_unbalanced_brace_in_a_path_is_a_spec_error(
    path: str, manifest: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(m: dict[str, Any]) -> None:
        spec(m)["paths"][path] = spec(m)["paths"].pop("/pets/{petId}")

    code, _, err = run(capsys, "validate", manifest(edit))
    assert code == 2
    assert "specification at" in one_error_line(err)


def test_generate_without_out_needs_a_git_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without --out the code goes to spec.output.git; a manifest without one is refused in
    one line before any work, naming both ways out."""
    manifest = Path(__file__).resolve().parents[3] / "examples" / "petstore.yaml"
    code, out, err = run(capsys, "generate", manifest)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "spec.output.git" in err and "--out DIR" in err
