"""End to end: `kodegen generate examples/petstore.yaml --out DIR` in a subprocess, all gates.

Two runs must give byte-identical trees (no timestamps anywhere, provenance included), and the
provenance must describe exactly the files written.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "petstore.yaml"

pytestmark = pytest.mark.slow


def kodegen(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # `python -m kodegen.cli` works with or without the console script installed; the
    # source root comes first on the path so the tree under test is what runs.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "operator"), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "kodegen.cli", *map(str, argv)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[subprocess.CompletedProcess[str], Path]]:
    base = tmp_path_factory.mktemp("generate")
    results = []
    for name in ("first", "second"):
        out = base / name
        results.append((kodegen("generate", EXAMPLE, "--out", out, cwd=base), out))
    return results


def test_generate_petstore_exits_0(
    runs: list[tuple[subprocess.CompletedProcess[str], Path]],
) -> None:
    for process, out in runs:
        assert process.returncode == 0, process.stdout + process.stderr
        assert "Traceback" not in process.stderr
        assert (out / ".kodegen" / "provenance.json").is_file()
        assert (out / "pyproject.toml").is_file()
        assert "every gate passed" in process.stdout


def test_two_runs_are_byte_identical(
    runs: list[tuple[subprocess.CompletedProcess[str], Path]],
) -> None:
    (_, first), (_, second) = runs
    assert tree(first) == tree(second)


def test_provenance_describes_every_file(
    runs: list[tuple[subprocess.CompletedProcess[str], Path]],
) -> None:
    _, out = runs[0]
    files = tree(out)
    statement = json.loads(files.pop(".kodegen/provenance.json"))
    files.pop(".kodegen/output.json")  # kodegen's ownership record, written when publishing
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert {s["name"]: s["digest"]["sha256"] for s in statement["subject"]} == {
        path: hashlib.sha256(content).hexdigest() for path, content in files.items()
    }
    predicate = statement["predicate"]
    assert predicate["passed"] is True
    assert {gate["name"] for gate in predicate["gates"]} >= {"syntax", "style", "tests"}
    assert all(gate["passed"] for gate in predicate["gates"])


def test_nothing_but_the_output_next_to_it(
    runs: list[tuple[subprocess.CompletedProcess[str], Path]],
) -> None:
    _, out = runs[0]
    assert sorted(p.name for p in out.parent.iterdir()) == ["first", "second"]


def test_validate_the_example(tmp_path: Path) -> None:
    process = kodegen("validate", EXAMPLE, cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert "valid: petstore-api" in process.stdout
