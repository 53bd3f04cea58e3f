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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import controlplane
import kodegen_operator
import node_agent
import pytest
import yaml
from kubernetes import client

GROUP, VERSION = "kodegen.dev", "v1alpha1"


@pytest.fixture(scope="module")
def operator(
    deployed: Path, control_plane: controlplane.ControlPlane, agent: node_agent.NodeAgent
) -> Iterator[kodegen_operator.Operator]:
    running = kodegen_operator.Operator(deployed, control_plane.folder / "operator.log")
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
    operator: kodegen_operator.Operator,
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
