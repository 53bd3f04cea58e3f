"""`kodegen operator` logs in to the real API server with a client certificate: a user the
server knows only from the certificate (signed by its client CA), bound to the operator's
ClusterRole from `deploy/rbac.yaml`. An operator that connected anonymously would be refused
every watch and patch, and the suspended CodeGeneration would never get its condition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import controlplane
import kodegen_operator
import yaml
from kubernetes import client

USER = "kodegen-cert-operator"


def test_operator_logs_in_with_a_client_certificate(
    control_plane: controlplane.ControlPlane,
    admin: client.ApiClient,
    deployed: Path,
    namespace: str,
) -> None:
    cert = control_plane.pki.client_cert(control_plane.folder, user=USER)
    client.RbacAuthorizationV1Api(admin).create_cluster_role_binding(
        {
            "metadata": {"name": USER},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "kodegen-operator",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": USER}],
        }
    )
    kubeconfig = controlplane.kubeconfig(
        control_plane.folder / "cert.kubeconfig",
        server=control_plane.url,
        ca=control_plane.pki.ca_cert,
        cert=cert,
    )
    body = yaml.safe_load((controlplane.REPO / "examples" / "petstore.yaml").read_text())
    body["metadata"] = {"name": "suspended"}
    body["spec"]["suspend"] = True
    custom = client.CustomObjectsApi(admin)
    custom.create_namespaced_custom_object(
        "kodegen.dev", "v1alpha1", namespace, "codegenerations", body
    )
    operator = kodegen_operator.Operator(
        kubeconfig, control_plane.folder / "cert-operator.log", pod="kodegen-operator-cert"
    )

    def suspended() -> bool:
        found: dict[str, Any] = custom.get_namespaced_custom_object(
            "kodegen.dev", "v1alpha1", namespace, "codegenerations", "suspended"
        )
        conditions = (found.get("status") or {}).get("conditions") or []
        return any(c.get("reason") == "Suspended" for c in conditions)

    try:
        controlplane.wait_for(suspended, timeout=90, message=operator.text)
    finally:
        operator.stop()
    assert "401" not in operator.text() and "Unauthorized" not in operator.text()
