"""Helm's own engine for the chart tests: the `helm` binary that tools/helm/build.sh builds from
the Go module proxy (cached; the first call builds it), and the chart rendered with it."""

from __future__ import annotations

import functools
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kodegen"
RELEASE = "kodegen"
NAMESPACE = "kodegen-system"
KUBERNETES = "1.37.0"
"""Capabilities `helm template` and `helm lint` render for (the control plane tier's version)."""

Node = dict[str, Any]


@functools.cache
def binary() -> Path:
    """The helm binary, built on first use (tools/helm/build.sh prints its path)."""
    built = subprocess.run(
        ["bash", str(ROOT / "tools" / "helm" / "build.sh")],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(built.stdout.strip().splitlines()[-1])


def run(
    *args: str, values: Mapping[str, Any] | None = None, tmp: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`helm ARGS` (with `-f values.yaml` written into `tmp` when `values` are given)."""
    command = [str(binary()), *args]
    if values is not None:
        assert tmp is not None, "values need a folder to be written to"
        path = tmp / f"values-{time.monotonic_ns()}.yaml"
        path.write_text(yaml.safe_dump(dict(values)))
        command += ["-f", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def template_text(values: Mapping[str, Any], tmp: Path, *, crds: bool = True) -> str:
    """The chart's manifests as `helm template` prints them (with crds/ unless `crds` is
    False); AssertionError with helm's message when it refuses."""
    done = run(
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        KUBERNETES,
        *(("--include-crds",) if crds else ()),
        values=values,
        tmp=tmp,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def template(values: Mapping[str, Any], tmp: Path) -> list[Node]:
    """The rendered objects (empty documents dropped)."""
    return [doc for doc in yaml.safe_load_all(template_text(values, tmp)) if doc]


def find(objects: list[Node], kind: str, name: str, namespace: str | None = None) -> Node:
    matches = [
        o
        for o in objects
        if o["kind"] == kind
        and o["metadata"]["name"] == name
        and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} rendered"
    return matches[0]
