"""The operator's decisions about template resources (`templates.reconcile_template`,
`job_finished`, `validated`, `finished`) as functions of a CodeTemplate and what the cluster
shows, to the actions they take: status, Events, test Jobs, the catalog and rollouts.

Same setting as `test_reconcile_decisions.py`: kmock's emulator behind the real `kube.Kube` and
the real `executors.Jobs`, each decision called once, its effects read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kopf
import prometheus_client
import pytest
import yaml
from kubernetes import client

from kodegen.api import codetemplate as template_api
from kodegen.controller import catalog, jobs, main, metrics, names, runs, settings, templates

from . import emulated
from .emulated import NS

REPO = Path(__file__).resolve().parents[3]
FAMILY = "python-fastapi-service"
FOLDER = REPO / "templates" / FAMILY / "1.0.0"
CT = "kodegen.dev/v1alpha1/codetemplates"


def _spec(version: str = "1.1.0", **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((FOLDER / "template.yaml").read_text())
    spec["version"] = version
    spec["tests"] = spec["tests"][:1]
    files = {
        str(p.relative_to(FOLDER / "files")): p.read_text()
        for p in sorted((FOLDER / "files").rglob("*"))
        if p.is_file()
    }
    spec["source"] = {"inline": {"files": files}}
    spec.update(changes)
    return spec


def _body(name: str = "svc-1.1.0", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeTemplate",
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "generation": 1},
        "spec": _spec(**spec),
    }


class World(emulated.Emulated):
    plural = "codetemplates"

    def __init__(self, kmock: Any, api: client.ApiClient) -> None:
        super().__init__(kmock, api)
        op_settings = settings.Settings(executor="job", metrics_port=0, namespace="kodegen")
        registry = metrics.Metrics(prometheus_client.CollectorRegistry())
        self.op = main.build(op_settings, self.kube, registry=registry)
        assert self.op.templates is not None
        self.templates: templates.Templates = self.op.templates

    def body(self, name: str = "svc-1.1.0") -> dict[str, Any]:
        return super().body(name)

    def conditions(self, name: str = "svc-1.1.0") -> dict[str, tuple[str, str]]:
        return super().conditions(name)

    async def reconcile(self, name: str = "svc-1.1.0") -> str:
        return await self.call(templates.reconcile_template, self.templates, self.body(name))


@pytest.fixture()
def world(kmock: Any) -> Iterator[World]:
    api = emulated.api(kmock)
    try:
        yield World(kmock, api)
    finally:
        api.close()


def _passed(digest: str, passed: bool = True, problem: str | None = None) -> runs.TemplateOutcome:
    result = template_api.TemplateTestResult(
        name="petstore", passed=passed, message=None if passed else "1 test failed"
    )
    return runs.TemplateOutcome(digest=digest, results=(result,), problem=problem)


async def test_a_new_template_is_tested_in_a_job(world: World) -> None:
    await world.apply(_body())
    assert await world.reconcile() == "testing"
    assert world.conditions() == {
        "Validated": ("Unknown", "Testing"),
        "Ready": ("False", "Testing"),
    }
    [job] = world.objects("batch/v1/jobs").values()
    assert job["metadata"]["labels"][names.LABEL_ROLE] == "template-job"
    assert await world.reconcile() == "testing"  # the same content is not tested twice
    assert len(world.objects("batch/v1/jobs")) == 1
    entry = world.templates.catalog.get("CodeTemplate", NS, "svc-1.1.0")
    assert entry is not None and not entry.ready


async def _tested(world: World, outcome_of: Callable[[str], runs.TemplateOutcome]) -> str:
    await world.apply(_body())
    await world.reconcile()
    [job] = world.objects("batch/v1/jobs").values()
    digest = job["metadata"]["annotations"][jobs.ANNOTATION_INPUT_HASH]
    request = runs.TemplateRequest.from_config_map(
        world.objects("v1/configmaps")[names.template_request("svc-1.1.0", digest)]
    )
    await world.call(world.kube.create_config_map, outcome_of(digest).config_map(request))
    owner = {"kind": "CodeTemplate", "name": "svc-1.1.0"}
    state = jobs.JobState(phase="Succeeded")
    return await world.call(templates.job_finished, world.templates, job, owner, state)


async def test_passing_tests_make_the_template_ready(world: World) -> None:
    assert await _tested(world, _passed) == "ready"
    status = world.body()["status"]
    assert world.conditions() == {
        "Validated": ("True", "Rendered"),
        "Ready": ("True", "TestsPassed"),
    }
    assert status["contentDigest"].startswith("sha256:")
    assert status["rollout"]["phase"] == "Waiting"  # Manual: users move when they ask
    assert [(t["name"], t["passed"]) for t in status["tests"]] == [("petstore", True)]
    assert ("Normal", "TestsPassed") in world.events()
    entry = world.templates.catalog.get("CodeTemplate", NS, "svc-1.1.0")
    assert entry is not None and entry.ready
    assert await world.reconcile() == "ready"  # validated content: nothing to test again


async def test_failing_tests_keep_it_not_ready(world: World) -> None:
    assert await _tested(world, lambda digest: _passed(digest, passed=False)) == "failed"
    assert world.conditions() == {
        "Validated": ("True", "Rendered"),
        "Ready": ("False", "TestsFailed"),
    }
    message = next(
        c["message"] for c in world.body()["status"]["conditions"] if c["type"] == "Ready"
    )
    assert message == "1 of 1 failed: petstore: 1 test failed"
    assert ("Warning", "TestsFailed") in world.events()


async def test_a_template_that_could_not_be_tested_is_invalid(world: World) -> None:
    outcome = lambda digest: _passed(digest, problem="no tests could run")  # noqa: E731
    assert await _tested(world, outcome) == "failed"
    assert world.conditions() == {
        "Validated": ("False", "InvalidTemplate"),
        "Ready": ("False", "InvalidTemplate"),
    }


async def test_a_test_job_that_failed_without_a_result(world: World) -> None:
    await world.apply(_body())
    await world.reconcile()
    [job] = world.objects("batch/v1/jobs").values()
    owner = {"kind": "CodeTemplate", "name": "svc-1.1.0"}
    running = jobs.JobState(phase="Running")
    found = await world.call(templates.job_finished, world.templates, job, owner, running)
    assert found == "pending"
    failed = jobs.JobState(phase="Failed", reason="DeadlineExceeded", message="slow")
    assert await world.call(templates.job_finished, world.templates, job, owner, failed) == (
        "failed"
    )
    message = next(
        c["message"] for c in world.body()["status"]["conditions"] if c["type"] == "Ready"
    )
    assert message == "the test Job failed before writing a result: DeadlineExceeded: slow"


async def test_content_changed_under_the_same_version_is_refused(world: World) -> None:
    assert await _tested(world, _passed) == "ready"
    body = world.body()
    body["spec"]["source"]["inline"]["files"]["README.md.j2"] += "\nchanged\n"
    found = await world.call(templates.reconcile_template, world.templates, body)
    assert found == "content-changed"
    assert world.conditions()["ContentChanged"] == ("True", "ContentChanged")
    assert world.conditions()["Ready"] == ("False", "ContentChanged")
    entry = world.templates.catalog.get("CodeTemplate", NS, "svc-1.1.0")
    assert entry is not None and not entry.ready


async def test_an_invalid_template_is_never_ready_and_says_why(world: World) -> None:
    body = _body()
    body["spec"]["variables"] = [{"name": "bad name!", "type": "string"}]
    await world.apply(body)
    with pytest.raises(kopf.PermanentError, match="invalid CodeTemplate: spec"):
        await world.reconcile()
    assert world.conditions()["Ready"] == ("False", "InvalidTemplate")
    assert ("Warning", "InvalidTemplate") in world.events()


async def test_a_source_that_cannot_be_loaded_is_invalid(world: World) -> None:
    body = _body()
    body["spec"]["source"] = {"configMapRef": {"name": "files"}}
    await world.apply(body)
    with pytest.raises(kopf.TemporaryError, match="ConfigMap team-a/files"):
        await world.reconcile()
    data = {"metadata": {"name": "files", "namespace": NS}, "data": {}}
    await world.call(world.kube.create_config_map, data)
    with pytest.raises(kopf.PermanentError, match="holds no files"):
        await world.reconcile()
    assert world.conditions()["Validated"] == ("False", "InvalidTemplate")


async def test_a_git_source_without_its_secret_is_invalid(world: World) -> None:
    body = _body()
    git = {"url": "https://example.com/t.git", "ref": "v1", "secretRef": {"name": "absent"}}
    body["spec"]["source"] = {"git": git}
    await world.apply(body)
    with pytest.raises(kopf.PermanentError, match="Secret team-a/absent does not exist"):
        await world.reconcile()


async def test_the_outcome_already_recorded_is_not_recorded_twice(world: World) -> None:
    assert await _tested(world, _passed) == "ready"
    [job] = world.objects("batch/v1/jobs").values()
    owner = {"kind": "CodeTemplate", "name": "svc-1.1.0"}
    again = await world.call(
        templates.job_finished, world.templates, job, owner, jobs.JobState(phase="Succeeded")
    )
    assert again == "recorded"
    gone = await world.call(
        templates.validated, world.templates, ("CodeTemplate", NS, "nobody"), _passed("x")
    )
    assert gone == "gone"


def _entry(strategy: dict[str, Any], digest: str) -> catalog.Entry:
    spec = template_api.CodeTemplateSpec.model_validate(_spec(rollout=strategy))
    return catalog.Entry(
        kind="CodeTemplate", namespace=NS, name="svc-1.1.0", spec=spec, ready=True, digest=digest
    )


def _finished_body(name: str) -> dict[str, Any]:
    resolved = {"kind": "CodeTemplate", "name": "svc-1.1.0", "version": "1.1.0"}
    return {"metadata": {"name": name, "namespace": NS}, "status": {"resolvedTemplate": resolved}}


async def _canary(world: World, max_failures: int) -> None:
    await _tested(world, _passed)
    strategy = {"strategy": "Canary", "percent": 50, "maxFailures": max_failures}
    entry = _entry(strategy, world.body()["status"]["contentDigest"])
    world.templates.catalog.put(entry)
    state = template_api.RolloutStatus(phase="Progressing", canaries=[f"{NS}/a", f"{NS}/b"])
    world.templates.remember(entry.key, state)


def _outcome(phase: str) -> runs.Outcome:
    return runs.Outcome(
        input_hash="sha256:" + "1" * 64,
        phase=phase,  # type: ignore[arg-type]
        reason="Succeeded" if phase == "Succeeded" else "QualityGatesFailed",
        message="done",
        finished_at="2026-12-01T10:00:00Z",
    )


async def test_a_failed_canary_past_max_failures_halts_the_rollout(world: World) -> None:
    await _canary(world, max_failures=0)
    await world.call(templates.finished, world.templates, _finished_body("a"), _outcome("Failed"))
    rollout = world.body()["status"]["rollout"]
    assert rollout["phase"] == "Halted"
    assert rollout["failed"] == [f"{NS}/a"]
    assert world.conditions()["RolloutHalted"] == ("True", "CanaryFailed")
    entry = world.templates.catalog.get("CodeTemplate", NS, "svc-1.1.0")
    assert entry is not None and entry.halted


async def test_canaries_that_pass_complete_the_rollout(world: World) -> None:
    await _canary(world, max_failures=1)
    ok = _outcome("Succeeded")
    await world.call(templates.finished, world.templates, _finished_body("a"), ok)
    assert world.body()["status"]["rollout"]["phase"] == "Progressing"
    await world.call(templates.finished, world.templates, _finished_body("b"), ok)
    rollout = world.body()["status"]["rollout"]
    assert rollout["phase"] == "Complete"
    assert rollout["succeeded"] == [f"{NS}/a", f"{NS}/b"]
    assert world.conditions()["RolloutHalted"] == ("False", "CanariesPassed")
    assert ("Normal", "RolloutComplete") in world.events()


async def test_runs_outside_the_canaries_do_not_count(world: World) -> None:
    await _canary(world, max_failures=0)
    before = world.body()["status"]["rollout"]
    failed = _outcome("Failed")
    await world.call(templates.finished, world.templates, _finished_body("other"), failed)
    builtin = {"metadata": {"name": "a", "namespace": NS}, "status": {}}
    await world.call(templates.finished, world.templates, builtin, failed)
    assert world.body()["status"]["rollout"] == before
