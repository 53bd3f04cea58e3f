"""Fixtures of the real-control-plane tier (see controlplane.py and node_agent.py).

One control plane per test session (etcd, kube-apiserver, kube-controller-manager built by
`make cluster-tools`; every test here is skipped, with that one reason, until they are built),
the test node agent running Pods as local processes, an admin `ApiClient`, and a fresh
namespace per test that enforces the `restricted` Pod Security level.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import controlplane
import node_agent
import pytest
import yaml
from kubernetes import client


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[controlplane.ControlPlane]:
    folder, reason = controlplane.binaries()
    if folder is None:
        pytest.skip(reason)
    plane = controlplane.ControlPlane.start(tmp_path_factory.mktemp("control-plane"), folder)
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def admin(control_plane: controlplane.ControlPlane) -> Iterator[client.ApiClient]:
    api = controlplane.api_client(control_plane, control_plane.admin_token)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture(scope="session")
def agent(
    control_plane: controlplane.ControlPlane, admin: client.ApiClient
) -> Iterator[node_agent.NodeAgent]:
    running = node_agent.NodeAgent(
        admin,
        control_plane.folder / "node",
        path=str(Path(sys.executable).parent),  # `kodegen` and `python` of this virtualenv
        server=control_plane.url,
        ca=control_plane.pki.ca_cert,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture()
def namespace(admin: client.ApiClient) -> Iterator[str]:
    """A fresh namespace enforcing Pod Security `restricted` (controlplane.namespace)."""
    with controlplane.namespace(admin) as name:
        yield name


@pytest.fixture(scope="session")
def crds(admin: client.ApiClient) -> list[dict[str, Any]]:
    """The CRDs of `crds/`, created and Established; the stored objects."""
    extensions = client.ApiextensionsV1Api(admin)
    created = []
    for path in sorted((controlplane.REPO / "crds").glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        extensions.create_custom_resource_definition(body)
        created.append(body["metadata"]["name"])

    def established() -> list[dict[str, Any]]:
        found = [
            admin.sanitize_for_serialization(extensions.read_custom_resource_definition(name))
            for name in created
        ]
        ready = all(
            any(
                c["type"] == "Established" and c["status"] == "True"
                for c in crd.get("status", {}).get("conditions", [])
            )
            for crd in found
        )
        return found if ready else []

    stored: list[dict[str, Any]] = controlplane.wait_for(
        established, timeout=30, message=lambda: f"CRDs {created} not Established"
    )
    return stored


@pytest.fixture(scope="session")
def deployed(
    control_plane: controlplane.ControlPlane, admin: client.ApiClient, crds: list[Any]
) -> Path:
    """deploy/peering.yaml and deploy/rbac.yaml applied; a kubeconfig of the operator's SA."""
    for manifest in ("peering.yaml", "rbac.yaml"):
        controlplane.apply(admin, controlplane.REPO / "deploy" / manifest)
    token = controlplane.token(admin, "kodegen-system", "kodegen-operator")
    return controlplane.kubeconfig(
        control_plane.folder / "operator.kubeconfig",
        server=control_plane.url,
        ca=control_plane.pki.ca_cert,
        token=token,
    )
