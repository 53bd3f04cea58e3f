"""The operator against the real control plane, as it is deployed.

`deploy/peering.yaml` and `deploy/rbac.yaml` are applied as shipped; `kodegen operator
--executor job` runs as a subprocess with a kubeconfig holding a token of its ServiceAccount
`kodegen-operator` from the TokenRequest API (so every verb it lacks in the ClusterRole is a
403 here). A CodeGeneration in a namespace enforcing Pod Security `restricted` then goes
CR -> Job (the real Job controller) -> Pod (the node agent runs `kodegen run-job` as the Job's
ServiceAccount `kodegen-job`) -> published output -> `Ready=True`; the status it wrote passes the
CRD's schema unpruned; a crashed pod is retried by the Job controller; a spec change supersedes
a running Job; an operator restarted mid-run adopts its Job; deletion garbage-collects every
owned object; a run that ended while the operator was down and whose Job is gone is recorded from
its result ConfigMap (no second Job, each Event once); a 600 KiB spec goes to Ready; replicas
share ClusterKopfPeering `kodegen` and only the highest-priority one acts.
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

from kodegen.controller import handlers

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


def _generation(name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(
        (controlplane.REPO / "examples" / "petstore.yaml").read_text()
    )
    body["metadata"] = {"name": name}
    body["spec"].update(spec)
    return body


class Generations:
    """CodeGenerations of one namespace, read and awaited through the admin client."""

    def __init__(
        self,
        admin: client.ApiClient,
        agent: node_agent.NodeAgent,
        operator: kodegen_operator.Operator,
        namespace: str,
    ) -> None:
        self.custom = client.CustomObjectsApi(admin)
        self.core, self.batch = client.CoreV1Api(admin), client.BatchV1Api(admin)
        self.agent, self.operator, self.namespace = agent, operator, namespace

    def create(self, name: str, **spec: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "codegenerations", _generation(name, **spec)
        )
        return created

    def read(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "codegenerations", name
        )
        return found

    def jobs(self) -> list[Any]:
        return list(self.batch.list_namespaced_job(self.namespace).items)

    def pods(self, job: str | None = None) -> list[Any]:
        selector = f"job-name={job}" if job else None
        return list(self.core.list_namespaced_pod(self.namespace, label_selector=selector).items)

    def explain(self, name: str) -> str:
        pods = [(p.metadata.name, p.status.phase) for p in self.pods()]
        logs = "\n".join(self.agent.logs(self.namespace, pod) for pod, _ in pods)
        try:
            status = self.read(name).get("status")
        except client.ApiException as exc:
            status = f"unreadable: {exc.status}"
        return (
            f"status: {status}\njobs: {[j.metadata.name for j in self.jobs()]}\n"
            f"pods: {pods}\n{logs[-4000:]}\noperator log:\n{self.operator.text()}"
        )

    def ready(self, name: str, generation: int = 1, timeout: float = 300) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            body = self.read(name)
            condition = _condition(body, "Ready")
            observed = (body.get("status") or {}).get("observedGeneration")
            if condition and condition.get("status") == "True" and observed == generation:
                return body
            return None

        found: dict[str, Any] = controlplane.wait_for(
            done, timeout=timeout, message=lambda: self.explain(name)
        )
        return found

    def job_created(self, name: str) -> Any:
        return controlplane.wait_for(
            lambda: next(iter(self.jobs()), None), timeout=120, message=lambda: self.explain(name)
        )


def _condition(body: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (body.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            found: dict[str, Any] = condition
            return found
    return None


@pytest.fixture()
def generations(
    admin: client.ApiClient,
    agent: node_agent.NodeAgent,
    operator: kodegen_operator.Operator,
    namespace: str,
) -> Generations:
    return Generations(admin, agent, operator, namespace)


def test_a_code_generation_goes_through_a_job_to_ready(
    control_plane: controlplane.ControlPlane, generations: Generations
) -> None:
    generations.create("petstore-api")
    body = generations.ready("petstore-api")
    status = body["status"]
    jobs = generations.jobs()
    assert len(jobs) == 1, generations.explain("petstore-api")
    assert jobs[0].spec.template.spec.service_account_name == "kodegen-job"
    assert any(c.type == "Complete" and c.status == "True" for c in jobs[0].status.conditions)
    pods = generations.pods(jobs[0].metadata.name)
    assert [p.spec.node_name for p in pods] == [generations.agent.name]
    outputs = (status.get("output") or {}).get("configMaps") or []
    assert outputs, status
    for name in outputs:
        found = generations.core.read_namespaced_config_map(name, generations.namespace)
        assert found.metadata.owner_references[0].kind == "CodeGeneration"
        assert found.data or found.binary_data

    # Every write the operator made to the CodeGeneration (from the API server's audit log)
    # replayed with fieldValidation=Strict: a field the CRD's schema would prune is refused.
    writes = [
        event
        for event in control_plane.audit()
        if event["user"]["username"].endswith(":kodegen-operator")
        and event["objectRef"].get("namespace") == generations.namespace
        and event["verb"] == "patch"
        and isinstance(event.get("requestObject"), dict)
    ]
    assert any(e["objectRef"].get("subresource") == "status" for e in writes), writes
    generations.create("scratch", suspend=True)
    for event in writes:
        patch = copy.deepcopy(event["requestObject"])
        patch.get("metadata", {}).pop("resourceVersion", None)
        call = (
            generations.custom.patch_namespaced_custom_object_status
            if event["objectRef"].get("subresource") == "status"
            else generations.custom.patch_namespaced_custom_object
        )
        call(
            GROUP,
            VERSION,
            generations.namespace,
            "codegenerations",
            "scratch",
            patch,
            field_validation="Strict",
        )


def test_a_crashed_pod_is_retried_by_the_job_controller(generations: Generations) -> None:
    generations.agent.crash_next(generations.namespace)
    generations.create("crash")
    generations.ready("crash")
    jobs = generations.jobs()
    assert len(jobs) == 1
    pods = sorted(
        generations.pods(jobs[0].metadata.name), key=lambda p: p.metadata.creation_timestamp
    )
    codes = [p.status.container_statuses[0].state.terminated.exit_code for p in pods]
    assert codes == [137, 0], generations.explain("crash")


def test_a_spec_change_supersedes_the_running_job(generations: Generations) -> None:
    generations.agent.hold(generations.namespace)
    generations.create("change")
    first = generations.job_created("change")
    generations.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        generations.namespace,
        "codegenerations",
        "change",
        {"spec": {"variables": {"packageName": "petstore_two"}}},
    )
    controlplane.wait_for(
        lambda: [j for j in generations.jobs() if j.metadata.uid != first.metadata.uid],
        timeout=120,
        message=lambda: generations.explain("change"),
    )
    generations.agent.release(generations.namespace)
    generations.ready("change", generation=2)
    names = [j.metadata.name for j in generations.jobs()]
    assert first.metadata.name not in names, generations.explain("change")


def test_a_restarted_operator_adopts_its_running_job(generations: Generations) -> None:
    generations.agent.hold(generations.namespace)
    generations.create("restart")
    first = generations.job_created("restart")
    generations.operator.restart()
    generations.agent.release(generations.namespace)
    generations.ready("restart")
    assert [j.metadata.uid for j in generations.jobs()] == [first.metadata.uid]


def test_deletion_garbage_collects_every_owned_object(generations: Generations) -> None:
    body = generations.create("gone")
    generations.ready("gone")
    uid = body["metadata"]["uid"]

    def owned() -> list[str]:
        found = []
        for kind, items in (
            ("Job", generations.jobs()),
            ("Pod", generations.pods()),
            ("ConfigMap", generations.core.list_namespaced_config_map(generations.namespace).items),
        ):
            for item in items:
                owners = item.metadata.owner_references or []
                if any(o.uid == uid for o in owners) or kind == "Pod":
                    found.append(f"{kind}/{item.metadata.name}")
        return found

    assert any(o.startswith("Job/") for o in owned()) and any(
        o.startswith("ConfigMap/") for o in owned()
    )
    generations.custom.delete_namespaced_custom_object(
        GROUP, VERSION, generations.namespace, "codegenerations", "gone"
    )
    controlplane.wait_for(lambda: not owned(), timeout=120, message=lambda: f"left: {owned()}")


def _reasons(generations: Generations, name: str) -> list[str]:
    events = generations.core.list_namespaced_event(
        generations.namespace, field_selector=f"involvedObject.name={name}"
    ).items
    return sorted(event.reason for event in events)


def test_a_finished_run_whose_job_is_gone_is_recorded_not_run_again(
    generations: Generations,
) -> None:
    """The run ends while the operator is down and its Job is deleted (as its TTL would)
    before the operator is back: the result ConfigMap tells how it ended; no Job is created
    again, and each Event of the run is there once."""
    generations.agent.hold(generations.namespace)
    generations.create("ttl")
    job = generations.job_created("ttl").metadata.name
    controlplane.wait_for(lambda: "JobCreated" in _reasons(generations, "ttl"), timeout=60)
    generations.operator.stop()
    try:
        generations.agent.release(generations.namespace)
        read = generations.batch.read_namespaced_job
        controlplane.wait_for(
            lambda: read(job, generations.namespace).status.succeeded,
            timeout=300,
            message=lambda: generations.explain("ttl"),
        )
        generations.batch.delete_namespaced_job(
            job, generations.namespace, propagation_policy="Background"
        )
        controlplane.wait_for(lambda: not generations.jobs(), timeout=60)
    finally:
        generations.operator.restart()
    body = generations.ready("ttl")
    assert generations.jobs() == [], generations.explain("ttl")
    assert body["status"]["phase"] == "Succeeded"
    assert len(body["status"]["history"]) == 1
    assert _reasons(generations, "ttl") == ["Accepted", "Generated", "JobCreated", "Published"]


def test_a_600_kib_spec_goes_to_ready(generations: Generations) -> None:
    """kopf's own records live in status.kopf, not in annotations (256 KiB in all): a spec of
    600 KiB is handled like any other."""
    specification = _generation("large")["spec"]["specification"]
    specification["openapi"]["inline"]["x-padding"] = "x" * (600 * 1024)
    generations.create("large", specification=specification)
    body = generations.ready("large", timeout=420)
    annotations = body["metadata"].get("annotations") or {}
    assert not [key for key in annotations if "kopf" in key or "kodegen" in key], annotations
    assert "last-handled-configuration" in body["status"]["kopf"]
    assert len(generations.jobs()) == 1


def test_replicas_share_kodegens_own_peering_and_only_the_highest_acts(
    control_plane: controlplane.ControlPlane,
    deployed: Path,
    admin: client.ApiClient,
    generations: Generations,
) -> None:
    """Two more replicas join ClusterKopfPeering `kodegen` (never kopf's `default`): one of
    higher priority, which takes over (the running one pauses), and one of lower priority,
    which starts paused and stays so. A CodeGeneration is handled by the highest alone; when
    it stops, the first one resumes."""
    custom = client.CustomObjectsApi(admin)
    first = generations.operator
    higher, lower = (
        kodegen_operator.Operator(deployed, control_plane.folder / f"operator-{pod}.log", pod=pod)
        for pod in ("kodegen-operator-test-1", "kodegen-operator-test-2")
    )
    assert (
        handlers.priority(lower.pod) < handlers.priority(first.pod) < handlers.priority(higher.pod)
    )

    def peers() -> dict[str, Any]:
        body = custom.get_cluster_custom_object(
            "kopf.dev", "v1", "clusterkopfpeerings", handlers.PEERING
        )
        return dict(body.get("status") or {})

    try:
        controlplane.wait_for(lambda: len(peers()) >= 3, timeout=120, message=lambda: str(peers()))
        with pytest.raises(client.ApiException) as missing:
            custom.get_cluster_custom_object("kopf.dev", "v1", "clusterkopfpeerings", "default")
        assert missing.value.status == 404
        controlplane.wait_for(
            lambda: first.says("Pausing operations in favour of"), timeout=120, message=first.text
        )
        created = "Creation is processed"  # kopf's line for a new object handled
        before = first.says(created)
        generations.create("paired")
        generations.ready("paired")
        assert len(generations.jobs()) == 1
        assert higher.says(created) == 1, higher.text()
        assert first.says(created) == before, first.text()
        assert lower.says(created) == 0, lower.text()
        assert not lower.says("Resuming operations")
    finally:
        higher.stop()
        lower.stop()
    controlplane.wait_for(
        lambda: first.says("Resuming operations"), timeout=120, message=first.text
    )
