"""The real kopf operator against kmock's Kubernetes emulator (an HTTP server on 127.0.0.1),
with the official client. The emulator has no Job controller: the tests play it, running
`kodegen run-job`'s code for the Job and patching the Job's status as the controller would.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import start_operator, stop_operator
from kubernetes import client

from kodegen.controller import kube, main, names, runs, settings
from kodegen.gates import report
from kodegen.outputs import configmaps
from kodegen.pipeline import generate

REPO = Path(__file__).resolve().parents[2]
CG = "kodegen.dev/v1alpha1/codegenerations"
NS = "team-a"


def _manifest(name: str = "petstore-api", **spec: Any) -> dict[str, Any]:
    body = yaml.safe_load((REPO / "examples" / "petstore.yaml").read_text())
    body["metadata"] = {
        "name": name,
        "namespace": NS,
        "uid": f"uid-{name}",
        "generation": 1,
        "resourceVersion": "1",
    }
    body["spec"].update(spec)
    return body


def _passing_gates(project: Path, config: Any, *, progress: Any = None) -> tuple[Any, ...]:
    """Gates that pass at once: for tests about the operator's bookkeeping, not the code."""
    return (report.GateReport(name="syntax", passed=True, metrics={"coverage": 100.0}),)


class Cluster:
    """The emulator, the official client on it, and the operator running against it."""

    def __init__(self, kmock: Any, api: client.ApiClient, op_settings: settings.Settings) -> None:
        self.kmock, self.kube = kmock, kube.Kube(api)
        self.custom = client.CustomObjectsApi(api)
        self.op = main.build(op_settings, self.kube)

    def obj(self, resource: str, name: str, namespace: str = NS) -> Mapping[str, Any] | None:
        for (res, ns, found), obj in self.kmock.objects.items():
            if (_path(res), ns, found) == (resource, namespace, name) and not obj.deleted:
                return dict(obj.raw)
        return None

    def names(self, resource: str, namespace: str = NS) -> list[str]:
        return sorted(
            name
            for (res, ns, name), obj in self.kmock.objects.items()
            if _path(res) == resource and ns == namespace and not obj.deleted
        )

    def status(self, name: str = "petstore-api") -> dict[str, Any]:
        found = self.obj(CG, name)
        return dict((found or {}).get("status") or {})

    def started(self, name: str = "petstore-api") -> dict[str, Any] | None:
        """The status once the run it records as Running has its Job (the status is written
        first, the Job next)."""
        status = self.status(name)
        job = (status.get("job") or {}).get("name")
        if status.get("phase") != "Running" or job is None:
            return None
        return status if self.obj("batch/v1/jobs", job) is not None else None

    async def until(self, what: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            await asyncio.sleep(0.05)
        seen = {
            f"{res}/{ns}/{name}": (obj.raw or {}).get("status")
            for (res, ns, name), obj in self.kmock.objects.items()
            if not obj.deleted
        }
        raise AssertionError(f"timed out waiting; the emulator holds {seen}")

    async def apply(self, body: Mapping[str, Any]) -> None:
        await asyncio.to_thread(
            self.custom.create_namespaced_custom_object,
            "kodegen.dev",
            "v1alpha1",
            body["metadata"]["namespace"],
            "codegenerations",
            copy.deepcopy(dict(body)),
        )

    async def patch_spec(self, name: str, spec: Mapping[str, Any]) -> None:
        await asyncio.to_thread(
            self.custom.patch_namespaced_custom_object,
            "kodegen.dev",
            "v1alpha1",
            NS,
            "codegenerations",
            name,
            {"spec": dict(spec), "metadata": {"generation": 2}},
        )

    async def play_job(self, job: str, *, generator: generate.Generator | None = None) -> int:
        """Be the Job's pod and the Job controller: run the request, then mark the Job."""
        body = self.obj("batch/v1/jobs", job)
        assert body is not None, f"no Job {job}"
        command = body["spec"]["template"]["spec"]["containers"][0]["command"]
        request = command[command.index("--request") + 1]

        code = await asyncio.to_thread(main.run_job, NS, request, self.kube, generator)
        done = "Complete" if code == 0 else "Failed"
        status = {
            "conditions": [{"type": done, "status": "True", "reason": "PodFailurePolicy"}],
            "succeeded" if code == 0 else "failed": 1,
        }
        await asyncio.to_thread(
            self.kube.batch.patch_namespaced_job_status, job, NS, {"status": status}
        )
        return code


@pytest.fixture()
async def cluster(kmock: Any, kube_api: client.ApiClient) -> AsyncIterator[Cluster]:
    kmock.resources[CG] = {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": ["list", "watch", "get", "patch", "create", "update", "delete"],
    }
    found = Cluster(kmock, kube_api, settings.Settings(executor="job", metrics_port=0))
    stop, task = await start_operator(found.op)
    try:
        yield found
    finally:
        await stop_operator(stop, task)


async def test_a_generation_runs_in_a_job_and_publishes(cluster: Cluster) -> None:
    await cluster.apply(_manifest())
    status = await cluster.until(cluster.started)
    digest = status["inputHash"]
    job = names.job("petstore-api", digest)
    assert status["job"]["name"] == job
    assert status["resolvedTemplate"]["family"] == "python-fastapi-service"

    body = cluster.obj("batch/v1/jobs", job)
    assert body is not None
    assert body["metadata"]["ownerReferences"][0]["uid"] == "uid-petstore-api"
    assert body["metadata"]["labels"][names.LABEL_INPUT_HASH] == names.hash8(digest)
    request = cluster.obj("v1/configmaps", names.request("petstore-api", digest))
    assert request is not None and "request.json" in request["data"]
    # The Job's own identity in this namespace, created with the first run.
    assert cluster.obj("v1/serviceaccounts", "kodegen-job") is not None
    binding = cluster.obj("rbac.authorization.k8s.io/v1/rolebindings", "kodegen-job")
    assert binding is not None and binding["roleRef"]["name"] == "kodegen-job"

    assert await cluster.play_job(job) == 0  # the real pipeline, every gate
    status = await cluster.until(
        lambda: cluster.status().get("phase") == "Succeeded" and cluster.status()
    )
    ready = {c["type"]: c for c in status["conditions"]}
    assert [c["type"] for c in status["conditions"]] == [
        "SpecValid",
        "TemplateResolved",
        "Generated",
        "QualityGatesPassed",
        "Published",
        "Ready",
        "Reconciling",
    ]
    assert ready.pop("Reconciling")["status"] == "False"  # kstatus: done, nothing in progress
    assert all(c["status"] == "True" for c in ready.values()), ready
    assert status["result"]["coverage"] >= 95
    assert status["output"]["configMaps"][0] == "petstore-api-code"
    assert [h["inputHash"] for h in status["history"]] == [digest]

    files = await asyncio.to_thread(
        configmaps.fetch, cluster.kube.core, name="petstore-api-code", namespace=NS
    )
    assert "petstore/main.py" in files and ".kodegen/provenance.json" in files
    outcome = runs.Outcome.from_config_map(
        cluster.obj("v1/configmaps", names.result("petstore-api", digest)) or {}
    )
    assert outcome.provenance.encode() == files[".kodegen/provenance.json"]

    reasons = await cluster.until(
        lambda: (
            {e["reason"] for e in _events(cluster)}
            >= {"Accepted", "JobCreated", "Generated", "Published"}
            and {e["reason"] for e in _events(cluster)}
        )
    )
    assert "Failed" not in reasons
    # Events tell the story briefly: no spec bodies, outputs or secrets in them.
    for event in _events(cluster):
        assert len(event["message"]) <= 1024 and "Swagger Petstore" not in event["message"]


async def test_an_unchanged_generation_does_no_work(cluster: Cluster) -> None:
    await cluster.apply(_manifest())
    status = await cluster.until(cluster.started)
    job = status["job"]["name"]
    await cluster.play_job(job, generator=generate.Generator(run_gates=_passing_gates))
    await cluster.until(lambda: cluster.status().get("phase") == "Succeeded")
    before = len(cluster.kmock)

    # The same object seen again (a resume): a reconcile that reads nothing and writes nothing.
    body = cluster.obj(CG, "petstore-api")
    assert body is not None
    from kodegen.controller import reconcile

    assert await asyncio.to_thread(reconcile.reconcile, cluster.op, body) == "unchanged"
    assert len(cluster.kmock) == before
    assert cluster.names("batch/v1/jobs") == [job]


async def test_a_spec_change_while_running_supersedes_the_job(cluster: Cluster) -> None:
    await cluster.apply(_manifest())
    first = await cluster.until(cluster.started)
    await cluster.patch_spec("petstore-api", {"regenerate": "again"})
    second = await cluster.until(
        lambda: (
            cluster.status().get("inputHash") not in (None, first["inputHash"]) and cluster.status()
        )
    )
    old_job, new_job = first["job"]["name"], names.job("petstore-api", second["inputHash"])
    await cluster.until(lambda: cluster.names("batch/v1/jobs") == [new_job])
    assert old_job != new_job

    # The superseded run's result (had it finished) goes to history, never to the status.
    fast = generate.Generator(run_gates=_passing_gates)
    await cluster.play_job(new_job, generator=fast)
    status = await cluster.until(
        lambda: cluster.status().get("phase") == "Succeeded" and cluster.status()
    )
    assert status["inputHash"] == second["inputHash"]


async def test_failed_gates_fail_the_run_and_publish_nothing(cluster: Cluster) -> None:
    def failing(project: Path, config: Any, *, progress: Any = None) -> tuple[Any, ...]:
        finding = report.Finding("petstore/main.py", 3, "B602", "shell=True", "high")
        return (
            report.GateReport(name="syntax", passed=True),
            report.GateReport.failure("security", reason="1 high finding", findings=(finding,)),
        )

    await cluster.apply(_manifest())
    status = await cluster.until(cluster.started)
    code = await cluster.play_job(
        status["job"]["name"], generator=generate.Generator(run_gates=failing)
    )
    assert code == 1
    status = await cluster.until(
        lambda: cluster.status().get("phase") == "Failed" and cluster.status()
    )
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["QualityGatesPassed"]["status"] == "False"
    assert "security: 1 high finding" in conditions["QualityGatesPassed"]["message"]
    assert conditions["Published"]["status"] == "False"
    assert conditions["Ready"]["reason"] == "QualityGatesFailed"
    assert cluster.obj("v1/configmaps", "petstore-api-code") is None
    await cluster.until(lambda: "QualityGatesFailed" in {e["reason"] for e in _events(cluster)})
    # counted after the status is written (a pass that dies before it counts nothing twice)
    failures = cluster.op.metrics.gate_failures.labels(gate="security")._value
    await cluster.until(lambda: failures.get() == 1)
    await asyncio.sleep(0.2)
    assert failures.get() == 1


async def test_invalid_input_is_reported_on_the_resource(cluster: Cluster) -> None:
    bad = _manifest(template={"family": "no-such-family", "version": "^1.0"})
    await cluster.apply(bad)
    status = await cluster.until(
        lambda: cluster.status().get("phase") == "Failed" and cluster.status()
    )
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["TemplateResolved"]["status"] == "False"
    assert "no-such-family" in conditions["TemplateResolved"]["message"]
    assert cluster.names("batch/v1/jobs") == []


async def test_concurrency_limit_queues_then_admits(kmock: Any, kube_api: client.ApiClient) -> None:
    kmock.resources[CG] = {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": ["list", "watch", "get", "patch", "create", "update", "delete"],
    }
    limited = settings.Settings(
        executor="job", metrics_port=0, limits=settings.LimitSettings(per_namespace=1, cluster=4)
    )
    cluster = Cluster(kmock, kube_api, limited)
    stop, task = await start_operator(cluster.op)
    try:
        await cluster.apply(_manifest("one"))
        await cluster.until(lambda: cluster.started("one"))
        await cluster.apply(_manifest("two"))
        await cluster.until(lambda: cluster.status("two").get("phase") == "Queued")
        assert len(cluster.names("batch/v1/jobs")) == 1
        fast = generate.Generator(run_gates=_passing_gates)
        await cluster.play_job(cluster.status("one")["job"]["name"], generator=fast)
        await cluster.until(lambda: cluster.status("one").get("phase") == "Succeeded")
        await cluster.until(lambda: cluster.started("two"))
    finally:
        await stop_operator(stop, task)


def _path(resource: Any) -> str:
    """`group/version/plural` (`v1/plural` for the core group) of a kmock resource key."""
    return "/".join(part for part in (resource.group, resource.version, resource.plural) if part)


def _events(cluster: Cluster) -> list[dict[str, Any]]:
    return [
        dict(obj.raw)
        for (resource, _, _), obj in cluster.kmock.objects.items()
        if _path(resource) == "v1/events" and not obj.deleted
    ]


async def _running_operator(
    kmock: Any, api: client.ApiClient, op_settings: settings.Settings, **build: Any
) -> tuple[Cluster, asyncio.Event, asyncio.Task[None]]:
    kmock.resources[CG] = {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": ["list", "watch", "get", "patch", "create", "update", "delete"],
    }
    cluster = Cluster(kmock, api, op_settings)
    if build:
        cluster.op = main.build(op_settings, cluster.kube, **build)
    stop, task = await start_operator(cluster.op)
    return cluster, stop, task


async def test_a_restarted_operator_resumes_the_running_generation(
    kmock: Any, kube_api: client.ApiClient
) -> None:
    job_settings = settings.Settings(executor="job", metrics_port=0)
    first, stop, task = await _running_operator(kmock, kube_api, job_settings)
    await first.apply(_manifest())
    status = await first.until(first.started)
    await stop_operator(stop, task)
    # kopf kept its records in status.kopf (the CRDs preserve that field), none in annotations.
    meta = (first.obj(CG, "petstore-api") or {})["metadata"]
    assert not [key for key in meta.get("annotations") or {} if "kopf" in key or "kodegen" in key]
    assert "last-handled-configuration" in first.status()["kopf"]

    # A new process: a new client (its connection pool went with the old operator).
    fresh = client.ApiClient(client.Configuration(host=kube_api.configuration.host))
    second, stop, task = await _running_operator(kmock, fresh, job_settings)
    try:
        await second.until(lambda: second.op.slots.holder(("team-a", "petstore-api")))
        assert second.names("batch/v1/jobs") == [status["job"]["name"]]  # no second Job
        await second.play_job(
            status["job"]["name"], generator=generate.Generator(run_gates=_passing_gates)
        )
        await second.until(lambda: second.status().get("phase") == "Succeeded")
        assert second.op.slots.active == 0
    finally:
        await stop_operator(stop, task)


async def test_a_superseded_result_goes_to_history_only(cluster: Cluster) -> None:
    from kodegen.controller import jobs, reconcile, runner

    await cluster.apply(_manifest())
    first = await cluster.until(cluster.started)
    await cluster.patch_spec("petstore-api", {"regenerate": "2"})
    await cluster.until(lambda: cluster.status().get("inputHash") not in (None, first["inputHash"]))
    # The old pod was still running and finishes now: its result arrives late.
    fast = generate.Generator(run_gates=_passing_gates)
    old_request = names.request("petstore-api", first["inputHash"])
    await asyncio.to_thread(runner.execute, cluster.kube, NS, old_request, generator=fast)
    state = jobs.JobState(phase="Succeeded")
    done = await asyncio.to_thread(
        reconcile.complete, cluster.op, NS, "petstore-api", names.hash8(first["inputHash"]), state
    )
    assert done == "superseded"
    status = cluster.status()
    assert status["phase"] == "Running" and status["inputHash"] != first["inputHash"]
    assert [h["inputHash"] for h in status["history"]] == [first["inputHash"]]
    # Recording it again changes nothing (at-least-once handlers).
    again = await asyncio.to_thread(
        reconcile.complete, cluster.op, NS, "petstore-api", names.hash8(first["inputHash"]), state
    )
    assert again == "superseded" and len(cluster.status()["history"]) == 1


async def test_the_local_executor_runs_the_same_pipeline(
    kmock: Any, kube_api: client.ApiClient
) -> None:
    local = settings.Settings(executor="local", metrics_port=0, local_workers=1)
    cluster, stop, task = await _running_operator(
        kmock, kube_api, local, generator=lambda: generate.Generator(run_gates=_passing_gates)
    )
    try:
        await cluster.apply(_manifest())
        status = await cluster.until(
            lambda: cluster.status().get("phase") == "Succeeded" and cluster.status()
        )
        assert cluster.names("batch/v1/jobs") == []
        assert status["output"]["configMaps"][0] == "petstore-api-code"
        assert cluster.op.metrics.started.labels(executor="local")._value.get() == 1
    finally:
        await stop_operator(stop, task)


async def test_suspend_stops_new_runs(cluster: Cluster) -> None:
    await cluster.apply(_manifest(suspend=True))
    await cluster.until(
        lambda: any(c["reason"] == "Suspended" for c in cluster.status().get("conditions", ()))
    )
    assert cluster.names("batch/v1/jobs") == []
    await cluster.patch_spec("petstore-api", {"suspend": False})
    await cluster.until(lambda: cluster.started())
    assert len(cluster.names("batch/v1/jobs")) == 1


async def test_a_spec_in_a_configmap_is_frozen_into_the_request(cluster: Cluster) -> None:
    document = _manifest()["spec"]["specification"]["openapi"]["inline"]
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "petstore-spec", "namespace": NS},
        "data": {"openapi.yaml": yaml.safe_dump(document)},
    }
    await asyncio.to_thread(cluster.kube.create_config_map, configmap)
    body = _manifest()
    body["spec"]["specification"]["openapi"] = {"configMapRef": {"name": "petstore-spec"}}
    await cluster.apply(body)
    status = await cluster.until(cluster.started)
    request = runs.Request.from_config_map(
        cluster.obj("v1/configmaps", names.request("petstore-api", status["inputHash"])) or {}
    )
    assert request.generation.spec.specification.openapi is not None
    assert request.generation.spec.specification.openapi.inline == document


async def test_fetch_output_restores_the_tree_byte_for_byte(
    cluster: Cluster, tmp_path: Path
) -> None:
    from kodegen import cli
    from kodegen.pipeline import manifest

    await cluster.apply(_manifest())
    status = await cluster.until(cluster.started)
    fast = generate.Generator(run_gates=_passing_gates)
    await cluster.play_job(status["job"]["name"], generator=fast)
    await cluster.until(lambda: cluster.status().get("phase") == "Succeeded")

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "kmock",
                "clusters": [
                    {"name": "kmock", "cluster": {"server": cluster.kube.configuration.host}}
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "u"}}],
            }
        )
    )
    out = tmp_path / "restored"
    argv = [
        "fetch-output",
        f"{NS}/petstore-api-code",
        "--out",
        str(out),
        "--kubeconfig",
        str(kubeconfig),
    ]
    assert await asyncio.to_thread(cli.main, argv) == 0

    # The same manifest generated here gives the very bytes the cluster holds.
    local = fast.run(manifest.load(REPO / "examples" / "petstore.yaml")).files
    restored = {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in out.rglob("*")
        if path.is_file() and path.name != "output.json"  # the ownership record of the folder
    }
    assert restored.keys() == local.keys()
    differing = [p for p in local if local[p] != restored[p]]
    import difflib

    for p in differing:
        print(
            p,
            "".join(
                list(
                    difflib.unified_diff(
                        local[p].decode().splitlines(True), restored[p].decode().splitlines(True)
                    )
                )[:40]
            ),
        )
    assert differing == [".kodegen/provenance.json"]  # it names the resource: petstore-api@team-a


async def test_an_api_error_is_retried_not_fatal(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kodegen.controller import reconcile

    monkeypatch.setattr(reconcile, "RETRY_SECONDS", 0.2)
    cluster.kmock[f"post /apis/batch/v1/namespaces/{NS}/jobs"][:1] << 500
    await cluster.apply(_manifest())
    await cluster.until(lambda: cluster.started())
    # the failed call may answer after the watchdog's own pass has already made the Job
    errors = cluster.op.metrics.reconcile_errors.labels(kind="api")._value
    await cluster.until(lambda: errors.get() == 1)
    await asyncio.sleep(0.2)
    assert errors.get() == 1
    assert len(cluster.names("batch/v1/jobs")) == 1


async def test_back_to_a_good_spec_after_a_rejected_one_runs_again(cluster: Cluster) -> None:
    fast = generate.Generator(run_gates=_passing_gates)
    await cluster.apply(_manifest())
    status = await cluster.until(cluster.started)
    await cluster.play_job(status["job"]["name"], generator=fast)
    await cluster.until(lambda: cluster.status().get("phase") == "Succeeded")

    await cluster.patch_spec("petstore-api", {"template": {"family": "nope", "version": "^1"}})
    await cluster.until(lambda: cluster.status().get("phase") == "Failed")
    await cluster.patch_spec(
        "petstore-api", {"template": {"family": "python-fastapi-service", "version": "^1.0"}}
    )
    again = await cluster.until(cluster.started)
    assert again["inputHash"] == status["inputHash"]
    await cluster.play_job(again["job"]["name"], generator=fast)
    await cluster.until(lambda: cluster.status().get("phase") == "Succeeded")


async def test_a_deleted_generation_frees_its_slot_and_leaves_no_finalizer(
    cluster: Cluster,
) -> None:
    await cluster.apply(_manifest())
    await cluster.until(lambda: cluster.started())
    assert cluster.op.slots.active == 1
    body = cluster.obj(CG, "petstore-api") or {}
    assert not body["metadata"].get("finalizers")  # deletion never waits for the operator
    await asyncio.to_thread(
        cluster.custom.delete_namespaced_custom_object,
        "kodegen.dev",
        "v1alpha1",
        NS,
        "codegenerations",
        "petstore-api",
    )
    await cluster.until(lambda: cluster.op.slots.active == 0)
