"""`helm install kodegen charts/kodegen` into a real control plane of its own (the chart's
cluster-scoped objects would collide with deploy/'s in the shared one), with the Deployment
and ReplicaSet controllers running: the chart's Deployment becomes a pod, which the node agent
runs as `kodegen operator` with the chart's ServiceAccount token and env. A CodeGeneration
then goes through a Job to `Ready=True`, that Job carries the `job:` values of the chart, and the
operator's metrics endpoint shows the run and `kodegen_build_info`. Helm is Helm v4.2.3's own Go SDK
(helm-python-sdk, tests/chart/helm.py), driven through `helm_python.Config`."""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import controlplane
import helm_python
import node_agent
import pytest
import yaml
from kubernetes import client
from tests.chart import helm

GROUP, VERSION = "kodegen.dev", "v1alpha1"
MARK = {"name": "KODEGEN_CHART_MARK", "value": "installed-by-helm"}


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[controlplane.ControlPlane]:
    folder, reason = controlplane.binaries()
    if folder is None:
        pytest.skip(reason)
    started = controlplane.ControlPlane.start(tmp_path_factory.mktemp("helm-plane"), folder)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def admin(plane: controlplane.ControlPlane) -> Iterator[client.ApiClient]:
    api = controlplane.api_client(plane, plane.admin_token)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture(scope="module")
def agent(
    plane: controlplane.ControlPlane, admin: client.ApiClient
) -> Iterator[node_agent.NodeAgent]:
    running = node_agent.NodeAgent(
        admin,
        plane.folder / "node",
        path=str(Path(sys.executable).parent),  # `kodegen` of this virtualenv
        server=plane.url,
        ca=plane.pki.ca_cert,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def helm_config(plane: controlplane.ControlPlane) -> Iterator[helm_python.Config]:
    """`helm --kubeconfig ADMIN --namespace kodegen-system`: the SDK's action configuration."""
    with helm_python.Config(
        kubeconfig_path=plane.admin_kubeconfig, namespace=helm.NAMESPACE
    ) as config:
        yield config


@pytest.fixture(scope="module")
def installed(
    plane: controlplane.ControlPlane,
    admin: client.ApiClient,
    agent: node_agent.NodeAgent,
    helm_config: helm_python.Config,
) -> dict[str, Any]:
    """The release, installed and its operator pod running; the values used."""
    values: dict[str, Any] = {
        # One replica: the node agent runs pods as local processes, so two would share ports.
        "operator": {
            "replicas": 1,
            "metricsPort": controlplane.free_port(),
            "healthPort": controlplane.free_port(),
        },
        "job": {"extraEnv": [MARK], "annotations": {"example.com/installed-by": "helm"}},
    }
    # helm install kodegen charts/kodegen -n kodegen-system --create-namespace --wait --timeout 180s
    try:
        helm_config.install(
            helm.CHART,
            helm.RELEASE,
            values,
            namespace=helm.NAMESPACE,
            create_namespace=True,
            wait="watcher",
            timeout=180,
        )
    except helm_python.HelmError as exc:
        pytest.fail(f"helm install: {exc}\n{plane.tail('kube-controller-manager')}")
    return values


def operator_pod(admin: client.ApiClient) -> Any:
    pods = client.CoreV1Api(admin).list_namespaced_pod(
        helm.NAMESPACE, label_selector="app.kubernetes.io/component=operator"
    )
    running = [
        p
        for p in pods.items
        if p.status.phase == "Running" and p.metadata.deletion_timestamp is None
    ]
    return running[0] if len(running) == 1 else None


def test_helm_install_runs_the_operator(
    installed: dict[str, Any], admin: client.ApiClient, helm_config: helm_python.Config
) -> None:
    pod = controlplane.wait_for(
        lambda: operator_pod(admin), timeout=60, message=lambda: "no operator pod Running"
    )
    assert pod.spec.service_account_name == "kodegen-operator"
    status = helm_config.status(helm.RELEASE)  # `helm status`: "STATUS: deployed"
    assert (status["namespace"], status["status"]) == (helm.NAMESPACE, "deployed"), status


def generate(admin: client.ApiClient, agent: node_agent.NodeAgent, namespace: str) -> Any:
    """Create the Petstore CodeGeneration in `namespace`, wait until it is Ready; its Job."""
    custom = client.CustomObjectsApi(admin)
    body: dict[str, Any] = yaml.safe_load(
        (controlplane.REPO / "examples" / "petstore.yaml").read_text()
    )
    body["metadata"] = {"name": "petstore-helm"}
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "codegenerations", body)

    def read() -> dict[str, Any]:
        found: dict[str, Any] = custom.get_namespaced_custom_object(
            GROUP, VERSION, namespace, "codegenerations", "petstore-helm"
        )
        return found

    def explain() -> str:
        pod = operator_pod(admin)
        log = agent.logs(helm.NAMESPACE, pod.metadata.name) if pod else "no operator pod"
        return f"status: {read().get('status')}\noperator log:\n{log[-4000:]}"

    def ready() -> dict[str, Any] | None:
        found = read()
        for condition in (found.get("status") or {}).get("conditions") or []:
            if condition["type"] == "Ready" and condition["status"] == "True":
                return found
        return None

    controlplane.wait_for(ready, timeout=300, message=explain)
    (job,) = client.BatchV1Api(admin).list_namespaced_job(namespace).items
    return job


def test_a_generation_runs_with_the_charts_job_settings(
    installed: dict[str, Any], admin: client.ApiClient, agent: node_agent.NodeAgent
) -> None:
    with controlplane.namespace(admin) as namespace:
        template = generate(admin, agent, namespace).spec.template
        (container,) = template.spec.containers
        assert [e.value for e in container.env if e.name == MARK["name"]] == [MARK["value"]]
        assert template.metadata.annotations == {"example.com/installed-by": "helm"}

    port = installed["operator"]["metricsPort"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    assert 'kodegen_build_info{python="' in text
    assert "kodegen_generations_succeeded_total 1.0" in text


def allowed(admin: client.ApiClient, namespace: str, verb: str, resource: str) -> bool:
    """Whether the operator's ServiceAccount may `verb` `resource` in `namespace` (the API
    server's own RBAC answer)."""
    review = client.AuthorizationV1Api(admin).create_subject_access_review(
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": f"system:serviceaccount:{helm.NAMESPACE}:kodegen-operator",
                "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": resource},
            },
        }
    )
    return bool(review.status.allowed)


def test_upgrade_to_a_namespaced_install(
    installed: dict[str, Any],
    admin: client.ApiClient,
    agent: node_agent.NodeAgent,
    helm_config: helm_python.Config,
) -> None:
    """`helm upgrade` with watchNamespaces: RBAC shrinks to the listed namespace (a Role there),
    the operator restarts watching only it, and a generation there still runs."""
    assert allowed(admin, "default", "list", "configmaps")  # cluster-wide so far
    with controlplane.namespace(admin) as namespace:
        values = {
            **installed,
            "operator": {
                **installed["operator"],
                "metricsPort": controlplane.free_port(),
                "healthPort": controlplane.free_port(),
            },
            "watchNamespaces": [namespace],
        }
        try:
            helm_config.upgrade(
                helm.CHART,
                helm.RELEASE,
                values,
                namespace=helm.NAMESPACE,
                wait="watcher",
                timeout=180,
            )
        except helm_python.HelmError as exc:
            pytest.fail(f"helm upgrade: {exc}")
        assert allowed(admin, namespace, "list", "configmaps")
        assert not allowed(admin, "default", "list", "configmaps")
        assert not allowed(admin, "default", "create", "jobs")

        def pods() -> list[Any]:
            return list(
                client.CoreV1Api(admin)
                .list_namespaced_pod(
                    helm.NAMESPACE, label_selector="app.kubernetes.io/component=operator"
                )
                .items
            )

        def restarted() -> Any:
            """The one pod not being deleted runs the new command. (The old one has been sent
            SIGTERM when it is marked for deletion: kopf stops handling at once, whereas the
            node agent's removal of its pod can take minutes.)"""
            left = [p for p in pods() if p.metadata.deletion_timestamp is None]
            if (
                len(left) == 1
                and left[0].status.phase == "Running"
                and left[0].spec.containers[0].command[-2:] == ["--namespace", namespace]
            ):
                return left[0]
            return None

        def explain() -> str:
            return "operator pods: " + "; ".join(
                f"{p.metadata.name} {p.status.phase} deleting={p.metadata.deletion_timestamp} "
                f"{p.spec.containers[0].command[3:]}"
                for p in pods()
            )

        new = controlplane.wait_for(restarted, timeout=180, message=explain)
        job = generate(admin, agent, namespace)
        assert job.status.succeeded == 1
        # the namespaced operator ran it: its own counters say so
        assert new.spec.containers[0].command[-2:] == ["--namespace", namespace]
        port = values["operator"]["metricsPort"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            assert "kodegen_generations_succeeded_total 1.0" in answer.read().decode()
