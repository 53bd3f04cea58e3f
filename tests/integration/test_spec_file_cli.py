"""`kodegen generate --spec FILE ... -o json` as a user runs it: a subprocess, every real gate,
the summary on stdout, progress on stderr; and `kodegen init` + `kodegen generate MANIFEST`
give the same output as the flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "petstore.yaml"

pytestmark = pytest.mark.slow


def kodegen(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
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


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_users_spec_file_passes_every_gate_and_matches_its_manifest(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())["spec"]["specification"]["openapi"]["inline"]
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    flags = ["--spec", "openapi.yaml", "--template", "python-fastapi-service@^1.0"]
    flags += ["--set", "packageName=pets"]

    done = kodegen("generate", *flags, "--out", "by-flags", "-o", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["result"] == "passed"
    assert [(g["name"], g["passed"]) for g in summary["gates"]] == [
        (name, True) for name in ("syntax", "style", "security", "secrets", "tests", "contract")
    ]
    assert summary["operations"] == {"implemented": 3, "total": 3, "notImplemented": []}
    assert summary["coverage"] >= 95
    assert "gate contract  passed" in done.stderr and "Traceback" not in done.stderr

    assert kodegen("init", *flags, "-f", "cg.yaml", cwd=tmp_path).returncode == 0
    again = kodegen("generate", "cg.yaml", "--out", "by-manifest", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "every gate passed" in again.stdout
    assert files(tmp_path / "by-flags") == files(tmp_path / "by-manifest")
