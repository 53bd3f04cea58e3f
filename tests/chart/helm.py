"""Helm's own engine for the chart tests: Helm v4.2.3's Go SDK, prebuilt as libhelm_c.so in the
helm-python-sdk wheel (`helm_python`, ctypes), so there is no helm binary and no Go build.

`template_text` is `helm template kodegen charts/kodegen --namespace kodegen-system
[--include-crds]`: the CLI's command is the install action's client-only dry run, whose
manifest (sorted and joined by Helm's own code) this prints the way the CLI prints it. `lint` is
`helm lint --strict`, its findings as data."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import helm_python
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kodegen"
RELEASE = "kodegen"
NAMESPACE = "kodegen-system"
KUBERNETES = "1.37.0"
"""The Kubernetes version `lint` checks for (the control plane tier's). The dry run renders for
the SDK's default version instead, which `check_chart` shows cannot change the output."""

Node = dict[str, Any]


@functools.cache
def check_chart() -> None:
    """What `template_text` relies on: no template reads `.Capabilities` (the SDK's dry run
    renders for its own default Kubernetes version, not `--kube-version`) and none is a hook
    (the dry run's summary carries no hooks, which `helm template` prints after the manifest)."""
    with helm_python.Chart.load(CHART) as chart:
        for template in chart.templates:
            for pattern, why in (
                (r"\.Capabilities\b", "reads .Capabilities"),
                (r"helm\.sh/hook\b", "is a hook"),
            ):
                assert not re.search(pattern, template["data"]), (
                    f"{template['name']} {why}: tests/chart/helm.py cannot render it as "
                    "`helm template` does (see check_chart)"
                )


def install_dry_run(values: Mapping[str, Any]) -> dict[str, Any]:
    """`helm install --dry-run=client` of the chart with `values`: the release summary
    (`manifest`, `notes`, ...). Offline: the client-only dry run uses a fake cluster and
    in-memory release storage. Raises helm_python.HelmError when Helm refuses."""
    with helm_python.Config(namespace=NAMESPACE, storage_driver="memory") as config:
        return config.install(CHART, RELEASE, dict(values), namespace=NAMESPACE, dry_run="client")


def template_text(values: Mapping[str, Any], *, crds: bool = True) -> str:
    """The chart's manifests as `helm template` prints them (crds/ first unless `crds` is
    False); AssertionError with Helm's message when it refuses the values."""
    check_chart()
    try:
        manifest: str = install_dry_run(values)["manifest"]
    except helm_python.HelmError as exc:
        raise AssertionError(f"helm refused the values: {exc}") from exc
    head = ""
    if crds:
        # the action's renderResources writes crds/ ahead of the templates, file by file
        with helm_python.Chart.load(CHART) as chart:
            head = "".join(
                f"---\n# Source: {crd['filename']}\n{crd['data']}\n" for crd in chart.crds
            )
    # pkg/cmd/template.go: fmt.Fprintln(&manifests, strings.TrimSpace(rel.Manifest))
    return (head + manifest).strip() + "\n"


def template(values: Mapping[str, Any]) -> list[Node]:
    """The rendered objects (empty documents dropped)."""
    return [doc for doc in yaml.safe_load_all(template_text(values)) if doc]


def lint(values: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """`helm lint [--strict] --namespace kodegen-system --kube-version KUBERNETES` with
    `values`: {"total_charts_linted", "messages": [{"severity", "path", "error"}], "errors"}.
    A chart fails when `errors` is not empty (with `strict`, warnings are errors too)."""
    return helm_python.lint(
        CHART, dict(values), strict=strict, namespace=NAMESPACE, kube_version=f"v{KUBERNETES}"
    )


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
