"""The kind tier: the operator's main scenario on a kind cluster (pytest-kind), where a Docker
engine runs. Everything here is skipped, with one reason, where none does (as on the project's
own machines and CI, which prove the same claims against the real control plane of
tests/cluster/).

pytest-kind's `kind_cluster` fixture downloads kind and kubectl (its `KIND_VERSION`,
`KUBECTL_VERSION`) unless `--kind-bin` / `--kind-kubectl-bin` name them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def docker_engine() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    docker = shutil.which("docker")
    if docker is None:
        return "no Docker engine: `docker` is not on PATH (kind runs its nodes in Docker)"
    try:
        answer = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "no Docker engine: `docker info` did not answer in 30 s"
    if answer.returncode != 0:
        return f"no Docker engine: `docker info` failed: {answer.stderr.strip()[:200]}"
    return None
