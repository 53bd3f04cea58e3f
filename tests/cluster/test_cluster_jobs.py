"""The harness itself: the real Job controller runs Jobs through the test node agent.

A Job in a namespace enforcing Pod Security `restricted` gets its pod bound and run as a local
process with the Pod's env (value, secretKeyRef, configMapKeyRef, fieldRef); the exit codes the
agent reports drive the Job controller to Complete, to Failed after `backoffLimit` retries, or
to Failed at once by a `podFailurePolicy` rule.
"""

from __future__ import annotations

from typing import Any

import controlplane
import node_agent
import pytest
from kubernetes import client

CHECK_ENV = (
    "import os, sys\n"
    "want = {'GREETING': 'hello', 'API_KEY': 's3cret', 'COLOUR': 'blue'}\n"
    "want['SELF'] = os.environ.get('POD')\n"
    "got = {k: os.environ.get(k) for k in want}\n"
    "print(got)\n"
    "sys.exit(0 if got == want and os.environ['POD'].startswith('env-') else 5)\n"
)


def _job(name: str, command: list[str], **spec: Any) -> dict[str, Any]:
    pod = controlplane.restricted_pod(
        command,
        env=[
            {"name": "GREETING", "value": "hello"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "SELF", "value": "$(POD)"},
            {
                "name": "API_KEY",
                "valueFrom": {"secretKeyRef": {"name": "keys", "key": "api"}},
            },
            {
                "name": "COLOUR",
                "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "colour"}},
            },
        ],
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": pod}, **spec},
    }


def _finished(batch: Any, namespace: str, name: str) -> dict[str, str] | None:
    job = batch.read_namespaced_job(name, namespace)
    for condition in job.status.conditions or []:
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            return {"type": condition.type, "reason": condition.reason or ""}
    return None


def _run(
    admin: client.ApiClient, agent: node_agent.NodeAgent, namespace: str, body: dict[str, Any]
) -> tuple[dict[str, str], list[Any]]:
    core, batch = client.CoreV1Api(admin), client.BatchV1Api(admin)
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "keys"}, "stringData": {"api": "s3cret"}}
    )
    core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "settings"}, "data": {"colour": "blue"}}
    )
    name = body["metadata"]["name"]
    batch.create_namespaced_job(namespace, body)
    result = controlplane.wait_for(
        lambda: _finished(batch, namespace, name),
        timeout=90,
        message=lambda: f"Job {name} not finished; pods: {agent.logs(namespace, name)}",
    )
    pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
    return result, pods


def test_a_job_completes_with_the_pods_env(
    admin: client.ApiClient, agent: node_agent.NodeAgent, namespace: str
) -> None:
    result, pods = _run(admin, agent, namespace, _job("env", ["python", "-c", CHECK_ENV]))
    assert result["type"] == "Complete", agent.logs(namespace, "env")
    assert [p.status.phase for p in pods] == ["Succeeded"]
    assert pods[0].spec.node_name == agent.name


def test_backoff_limit_retries_a_failing_pod(
    admin: client.ApiClient, agent: node_agent.NodeAgent, namespace: str
) -> None:
    body = _job("crash", ["python", "-c", "raise SystemExit(3)"], backoffLimit=1)
    result, pods = _run(admin, agent, namespace, body)
    assert result == {"type": "Failed", "reason": "BackoffLimitExceeded"}
    assert len(pods) == 2
    codes = [p.status.container_statuses[0].state.terminated.exit_code for p in pods]
    assert codes == [3, 3]


def test_pod_failure_policy_fails_the_job_on_an_exit_code(
    admin: client.ApiClient, agent: node_agent.NodeAgent, namespace: str
) -> None:
    policy = {
        "rules": [
            {
                "action": "FailJob",
                "onExitCodes": {"containerName": "main", "operator": "In", "values": [2]},
            }
        ]
    }
    body = _job(
        "bad-input",
        ["python", "-c", "raise SystemExit(2)"],
        backoffLimit=3,
        podFailurePolicy=policy,
    )
    result, pods = _run(admin, agent, namespace, body)
    assert result == {"type": "Failed", "reason": "PodFailurePolicy"}
    assert len(pods) == 1


def test_restricted_namespace_refuses_a_pod_that_may_escalate(
    admin: client.ApiClient, namespace: str
) -> None:
    pod = controlplane.restricted_pod(["true"])
    pod["containers"][0]["securityContext"] = {"allowPrivilegeEscalation": True}
    with pytest.raises(client.ApiException) as refused:
        client.CoreV1Api(admin).create_namespaced_pod(
            namespace, {"metadata": {"name": "escalate"}, "spec": pod}
        )
    assert refused.value.status == 403
    assert "violates PodSecurity" in str(refused.value.body)
