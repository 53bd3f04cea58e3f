"""The main scenario on kind: the operator image built from this repository and loaded into the
cluster, `crds/` and `deploy/` applied as shipped, and examples/petstore.yaml in a namespace
enforcing Pod Security `restricted` goes CR -> Job -> Pod (a real kubelet, the real image) ->
published output -> `Ready=True`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from docker_check import REPO, docker_engine

import kodegen

NO_ENGINE = docker_engine()
pytestmark = pytest.mark.skipif(NO_ENGINE is not None, reason=NO_ENGINE or "")

IMAGE = f"ghcr.io/kodegen/kodegen:{kodegen.__version__}"
"""The tag deploy/operator.yaml and the Job settings name (imagePullPolicy IfNotPresent)."""
NAMESPACE = "kodegen-e2e"


@pytest.fixture(scope="module")
def installed(kind_cluster: Any) -> Any:
    import subprocess

    subprocess.run(["docker", "build", "-t", IMAGE, str(REPO)], check=True)
    kind_cluster.load_docker_image(IMAGE)
    kind_cluster.kubectl("apply", "-f", str(REPO / "crds"))
    for name in ("peering.yaml", "rbac.yaml", "operator.yaml"):
        kind_cluster.kubectl("apply", "-f", str(REPO / "deploy" / name))
    kind_cluster.kubectl(
        "-n", "kodegen-system", "rollout", "status", "deployment/kodegen-operator", "--timeout=300s"
    )
    kind_cluster.kubectl("create", "namespace", NAMESPACE)
    kind_cluster.kubectl(
        "label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted"
    )
    return kind_cluster


def test_a_code_generation_goes_through_a_job_to_ready(installed: Any) -> None:
    kubectl = installed.kubectl
    kubectl("-n", NAMESPACE, "apply", "-f", str(REPO / "examples" / "petstore.yaml"))
    kubectl(
        "-n",
        NAMESPACE,
        "wait",
        "--for=condition=Ready",
        "codegeneration/petstore-api",
        "--timeout=600s",
    )
    body = json.loads(kubectl("-n", NAMESPACE, "get", "codegeneration/petstore-api", "-o", "json"))
    status = body["status"]
    assert status["phase"] == "Succeeded", status
    jobs = json.loads(kubectl("-n", NAMESPACE, "get", "jobs", "-o", "json"))["items"]
    assert len(jobs) == 1, [job["metadata"]["name"] for job in jobs]
    assert jobs[0]["spec"]["template"]["spec"]["serviceAccountName"] == "kodegen-job"
    for name in status["output"]["configMaps"]:
        found = json.loads(kubectl("-n", NAMESPACE, "get", "configmap", name, "-o", "json"))
        assert found["metadata"]["ownerReferences"][0]["kind"] == "CodeGeneration"
