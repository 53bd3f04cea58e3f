"""The operator against the real control plane, as it is deployed.

`deploy/peering.yaml` and `deploy/rbac.yaml` are applied as shipped; `kodegen operator
--executor job` runs as a subprocess with a kubeconfig holding a token of its ServiceAccount
`kodegen-operator` from the TokenRequest API (so every verb it lacks in the ClusterRole is a
403 here). A CodeGeneration in a namespace enforcing Pod Security `restricted` then goes
CR -> Job (the real Job controller) -> Pod (the node agent runs `kodegen run-job` as the Job's
ServiceAccount `kodegen-job`) -> published output -> `Ready=True`.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import controlplane
import node_agent
import pytest
import yaml
from kubernetes import client

GROUP, VERSION = "kodegen.dev", "v1alpha1"
OPERATOR_NAMESPACE = "kodegen-system"


class Operator:
    """`kodegen operator` as a subprocess; its log for failure messages."""

    def __init__(self, kubeconfig: Path, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
        env.update(
            KUBECONFIG=str(kubeconfig),
            KODEGEN_NAMESPACE=OPERATOR_NAMESPACE,
            KODEGEN_METRICS_PORT="0",
            KODEGEN_JOB_BACKOFF_LIMIT="1",
            POD_NAME="kodegen-operator-test-0",
            POD_ID="kodegen-operator-test-0",
            PYTHONUNBUFFERED="1",
        )
        self.log = log
        self.out = log.open("wb")
        kodegen = Path(sys.executable).parent / "kodegen"
        self.process = subprocess.Popen(
            [str(kodegen), "operator", "--executor", "job"],
            env=env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.out.close()


@pytest.fixture(scope="module")
def deployed(
    control_plane: controlplane.ControlPlane, admin: client.ApiClient, crds: list[Any]
) -> Path:
    """deploy/peering.yaml and deploy/rbac.yaml applied; a kubeconfig of the operator's SA."""
    for manifest in ("peering.yaml", "rbac.yaml"):
        controlplane.apply(admin, controlplane.REPO / "deploy" / manifest)
    token = controlplane.token(admin, OPERATOR_NAMESPACE, "kodegen-operator")
    return controlplane.kubeconfig(
        control_plane.folder / "operator.kubeconfig",
        server=control_plane.url,
        ca=control_plane.pki.ca_cert,
        token=token,
    )


@pytest.fixture(scope="module")
def operator(
    deployed: Path, control_plane: controlplane.ControlPlane, agent: node_agent.NodeAgent
) -> Iterator[Operator]:
    running = Operator(deployed, control_plane.folder / "operator.log")
    try:
        yield running
    finally:
        running.stop()


def _generation(name: str) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(
        (controlplane.REPO / "examples" / "petstore.yaml").read_text()
    )
    body = copy.deepcopy(body)
    body["metadata"] = {"name": name}
    return body


def _condition(body: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (body.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            found: dict[str, Any] = condition
            return found
    return None


def test_a_code_generation_goes_through_a_job_to_ready(
    admin: client.ApiClient,
    agent: node_agent.NodeAgent,
    operator: Operator,
    namespace: str,
) -> None:
    custom, core, batch = (
        client.CustomObjectsApi(admin),
        client.CoreV1Api(admin),
        client.BatchV1Api(admin),
    )
    custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, "codegenerations", _generation("petstore-api")
    )

    def read() -> dict[str, Any]:
        found: dict[str, Any] = custom.get_namespaced_custom_object(
            GROUP, VERSION, namespace, "codegenerations", "petstore-api"
        )
        return found

    def ready() -> dict[str, Any] | None:
        body = read()
        condition = _condition(body, "Ready")
        if condition and condition.get("status") == "True":
            return body
        return None

    def explain() -> str:
        jobs = batch.list_namespaced_job(namespace).items
        pods = [
            (p.metadata.name, p.status.phase) for p in core.list_namespaced_pod(namespace).items
        ]
        logs = "\n".join(agent.logs(namespace, name) for name, _ in pods)
        return (
            f"status: {read().get('status')}\njobs: {[j.metadata.name for j in jobs]}\n"
            f"pods: {pods}\n{logs[-4000:]}\noperator log:\n{operator.text()}"
        )

    body = controlplane.wait_for(ready, timeout=420, message=explain)
    status = body["status"]
    jobs = batch.list_namespaced_job(namespace).items
    assert len(jobs) == 1, explain()
    assert jobs[0].spec.template.spec.service_account_name == "kodegen-job"
    assert any(c.type == "Complete" and c.status == "True" for c in jobs[0].status.conditions)
    pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={jobs[0].metadata.name}")
    assert [p.spec.node_name for p in pods.items] == [agent.name]
    outputs = (status.get("output") or {}).get("configMaps") or []
    assert outputs, status
    for name in outputs:
        found = core.read_namespaced_config_map(name, namespace)
        assert found.metadata.owner_references[0].kind == "CodeGeneration"
        assert found.data or found.binary_data
