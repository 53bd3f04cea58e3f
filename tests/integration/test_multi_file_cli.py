"""End to end: a multi-file spec (`file:` in the manifest, `$ref`s to sibling files) through
`kodegen generate` in a subprocess, every gate; and an escaping `$ref` refused in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.integration.test_generate_cli import ROOT, kodegen

EXAMPLE = ROOT / "examples" / "multi-file"

pytestmark = pytest.mark.slow


def test_a_multi_file_spec_generates_and_passes_every_gate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = kodegen("generate", EXAMPLE / "petstore.yaml", "--out", out, cwd=tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "every gate passed" in process.stdout
    served = (out / "pyproject.toml").read_text()
    assert "petstore" in served
    # the three operations spread over two path files are all there
    routes = "\n".join(p.read_text() for p in out.rglob("*.py"))
    for operation in ("list_pets", "create_pets", "show_pet_by_id"):
        assert operation in routes


def test_a_ref_out_of_the_manifests_folder_is_one_error_line(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(EXAMPLE, folder)
    (tmp_path / "secret.yaml").write_text("password: hunter2\n")
    entry = folder / "spec" / "openapi.yaml"
    entry.write_text(entry.read_text().replace("$ref: paths/pets.yaml", "$ref: ../../secret.yaml"))
    process = kodegen("generate", folder / "petstore.yaml", "--out", tmp_path / "out", cwd=tmp_path)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), process.stderr
    assert "leaves the spec's folder" in lines[0] and "hunter2" not in lines[0]
    assert not (tmp_path / "out").exists()
