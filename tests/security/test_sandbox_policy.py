"""`qualityGates.isolation` end to end: `kodegen generate` as a user runs it, in a real process.

Without namespaces (`KODEGEN_SANDBOX_NAMESPACES=off`, as in a pod that refuses user
namespaces) the CLI's default, `best-effort`, runs the gates and says so loudly on stderr, in
the summary and in the provenance; `required` (the operator image's default, through
`KODEGEN_ISOLATION`) refuses to run generated code and fails the gates that would. With the
sandbox this machine allows, the provenance records what was used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kodegen.gates import isolation

pytestmark = pytest.mark.slow  # runs kodegen generate with every gate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "models-openapi.yaml"
KODEGEN = Path(sys.executable).parent / "kodegen"


def generate(out: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    settings = {
        key: value
        for key, value in os.environ.items()
        if key not in (isolation.ENV_POLICY, isolation.ENV_NAMESPACES, isolation.ENV_CGROUPS)
    }
    done = subprocess.run(
        [str(KODEGEN), "generate", str(EXAMPLE), "--out", str(out)],
        env={**settings, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    provenance = json.loads((out / ".kodegen" / "provenance.json").read_text())
    return done, provenance["predicate"]


def test_best_effort_without_namespaces_warns_everywhere(tmp_path: Path) -> None:
    done, predicate = generate(tmp_path / "out", **{isolation.ENV_NAMESPACES: "off"})
    assert done.returncode == 0, done.stderr
    assert "WARNING: generated code ran UNCONTAINED (qualityGates.isolation: best-effort)" in (
        done.stderr
    )
    assert "namespaces" in done.stderr
    assert "UNCONTAINED (best-effort)" in done.stdout
    record = predicate["isolation"]
    assert record["policy"] == "best-effort" and record["contained"] is False
    assert record["namespaces"] == "none" and record["missing"]
    assert {gate["metrics"]["contained"] for gate in predicate["gates"]} == {0.0}


def test_required_without_namespaces_refuses_to_run_generated_code(tmp_path: Path) -> None:
    done, predicate = generate(
        tmp_path / "out",
        **{isolation.ENV_NAMESPACES: "off", isolation.ENV_POLICY: "required"},
    )
    assert done.returncode == 1
    assert predicate["passed"] is False
    assert predicate["isolation"]["policy"] == "required"
    gates = {gate["name"]: gate for gate in predicate["gates"]}
    assert not gates["tests"]["passed"]
    assert gates["tests"]["reason"].startswith("refused to run generated code")
    assert gates["syntax"]["passed"] and gates["style"]["passed"], "static gates still judge"


def test_the_provenance_records_the_sandbox_used(tmp_path: Path) -> None:
    done, predicate = generate(tmp_path / "out")
    found = isolation.probe()
    record = predicate["isolation"]
    assert record == {"policy": "best-effort", **found.to_dict()}
    assert done.returncode == 0, done.stderr
    assert ("UNCONTAINED" in done.stderr) == (not found.contained)
