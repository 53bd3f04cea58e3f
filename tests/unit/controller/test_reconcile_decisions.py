"""The operator's decisions (`reconcile.reconcile`, `reconcile.complete`) as functions of a
CodeGeneration and what the cluster shows, to the actions they take: status written, Jobs and
ConfigMaps created, Events posted, slots taken or freed.

The cluster is kmock's emulator (an HTTP server on 127.0.0.1) behind the real `kube.Kube` and
the real `executors.Jobs`; no kopf runner: each test calls the decision once and reads back
what it did. The sync client runs in a thread (`_call`), since the emulator answers on the
test's event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kopf
import prometheus_client
import pytest
import yaml
from kubernetes import client

from kodegen import errors
from kodegen.api import codegeneration_status as status_api
from kodegen.controller import (
    jobs,
    main,
    metrics,
    names,
    reconcile,
    resolver,
    runner,
    runs,
    settings,
)
from kodegen.gates import report
from kodegen.pipeline import generate
from tests import schema_host

from . import emulated
from .emulated import NS

REPO = Path(__file__).resolve().parents[3]
CG = "kodegen.dev/v1alpha1/codegenerations"
T0 = datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=datetime.UTC)


class World(emulated.Emulated):
    """The emulator, a `Kube` on it and an `Operator` with the Job executor."""

    def __init__(
        self,
        kmock: Any,
        api: client.ApiClient,
        executor: str = "job",
        generator: Callable[[], generate.Generator] = generate.Generator,
        **limits: int,
    ) -> None:
        super().__init__(kmock, api)
        op_settings = settings.Settings(
            executor=executor,  # type: ignore[arg-type]
            metrics_port=0,
            limits=settings.LimitSettings(**limits) if limits else settings.LimitSettings(),
        )
        registry = metrics.Metrics(prometheus_client.CollectorRegistry())
        self.op = main.build(
            op_settings,
            self.kube,
            resolver=resolver.Builtin(),
            registry=registry,
            generator=generator,
        )
        self.op.clock = lambda: T0

    def body(self, name: str = "petstore-api") -> dict[str, Any]:
        return super().body(name)

    def status(self, name: str = "petstore-api") -> dict[str, Any]:
        return dict(self.body(name).get("status") or {})

    def conditions(self, name: str = "petstore-api") -> dict[str, tuple[str, str]]:
        return super().conditions(name)

    async def reconcile(self, name: str = "petstore-api") -> str:
        return await self.call(reconcile.reconcile, self.op, self.body(name))

    async def finish_job(self, job: str, condition: str, **extra: Any) -> None:
        status = {"conditions": [{"type": condition, "status": "True", **extra}], "failed": 1}
        await self.call(self.kube.batch.patch_namespaced_job_status, job, NS, {"status": status})


def _manifest(name: str = "petstore-api", **spec: Any) -> dict[str, Any]:
    body = yaml.safe_load((REPO / "examples" / "petstore.yaml").read_text())
    body["metadata"] = {"name": name, "namespace": NS, "uid": f"uid-{name}", "generation": 1}
    body["spec"].update(spec)
    return body


@pytest.fixture()
def world(kmock: Any) -> Iterator[World]:
    api = emulated.api(kmock)
    try:
        yield World(kmock, api)
    finally:
        api.close()


async def test_a_new_generation_starts_a_run(world: World) -> None:
    await world.apply(_manifest())
    assert await world.reconcile() == "started"
    status = world.status()
    digest = status["inputHash"]
    assert digest.startswith("sha256:")
    assert status["phase"] == "Running"
    assert status["observedGeneration"] == 1
    assert status["job"] == {"name": names.job("petstore-api", digest), "attempts": 0}
    assert status["resolvedTemplate"]["kind"] == "Builtin"
    assert world.conditions() == {
        "SpecValid": ("True", "Valid"),
        "TemplateResolved": ("True", "Resolved"),
        "Generated": ("Unknown", "Running"),
        "QualityGatesPassed": ("Unknown", "Running"),
        "Published": ("Unknown", "Running"),
        "Reconciling": ("True", "Running"),
        "Ready": ("False", "Running"),
    }
    assert list(world.objects("batch/v1/jobs")) == [names.job("petstore-api", digest)]
    assert names.request("petstore-api", digest) in world.objects("v1/configmaps")
    assert world.events() == [("Normal", "Accepted"), ("Normal", "JobCreated")]
    assert world.op.slots.active == 1


async def test_a_second_pass_over_a_running_generation_keeps_its_run(world: World) -> None:
    await world.apply(_manifest())
    await world.reconcile()
    assert await world.reconcile() == "running"
    assert len(world.objects("batch/v1/jobs")) == 1
    assert world.events() == [("Normal", "Accepted"), ("Normal", "JobCreated")]


async def test_an_unchanged_succeeded_generation_does_nothing(world: World) -> None:
    await world.apply(_manifest())
    await world.reconcile()
    body = world.body()
    body["status"]["phase"] = "Succeeded"
    assert await world.call(reconcile.reconcile, world.op, body) == "unchanged"
    assert len(world.objects("batch/v1/jobs")) == 1


async def test_suspend_starts_nothing_and_says_so(world: World) -> None:
    await world.apply(_manifest(suspend=True))
    assert await world.reconcile() == "suspended"
    assert world.objects("batch/v1/jobs") == {}
    assert "phase" not in world.status()  # a new one has no phase yet (merge patch of None)
    assert world.conditions() == {
        "Reconciling": ("False", "Suspended"),
        "Ready": ("False", "Suspended"),
    }
    queued = world.body()
    queued["status"]["phase"] = "Queued"
    assert await world.call(reconcile.reconcile, world.op, queued) == "suspended"
    assert world.status()["phase"] == "Pending"


async def test_the_queue_holds_a_run_past_the_namespace_limit(kmock: Any, world: World) -> None:
    api = client.ApiClient(client.Configuration(host=str(kmock.url).rstrip("/")))
    limited = World(kmock, api, per_namespace=1, cluster=5)
    await limited.apply(_manifest("first"))
    await limited.apply(_manifest("second"))
    assert await limited.reconcile("first") == "started"
    assert await limited.reconcile("second") == "queued"
    assert limited.status("second")["phase"] == "Queued"
    assert limited.conditions("second")["Ready"] == ("False", "Queued")
    message = next(
        c["message"] for c in limited.status("second")["conditions"] if c["type"] == "Ready"
    )
    assert message == "waiting: at most 1 runs per namespace and 5 in the cluster"
    assert len(limited.objects("batch/v1/jobs")) == 1
    api.close()


@pytest.mark.parametrize(
    ("git", "field"),
    [
        ({"url": "https://bob:hunter2@example.com/r.git"}, "spec.output.git.url"),
        ({"url": "https://example.com/r.git", "message": "{token}"}, "spec.output.git.message"),
        ({"url": "https://example.com/r.git", "path": "a/../../etc"}, "spec.output.git.path"),
    ],
)
async def test_an_unusable_git_output_is_rejected_on_the_resource(
    world: World, git: dict[str, Any], field: str
) -> None:
    await world.apply(_manifest(output={"git": {"branch": "main", **git}}))
    with pytest.raises(kopf.PermanentError, match=re.escape(field)) as caught:
        await world.reconcile()
    assert "hunter2" not in str(caught.value)
    assert world.status()["phase"] == "Failed"
    assert world.conditions() == {
        "SpecValid": ("False", "InvalidSpec"),
        "Reconciling": ("False", "InvalidSpec"),
        "Ready": ("False", "InvalidSpec"),
    }
    assert world.objects("batch/v1/jobs") == {}


async def test_a_git_output_runs_with_its_secret_as_optional_variables(world: World) -> None:
    git = {"url": "https://example.com/r.git", "branch": "main", "secretRef": {"name": "push"}}
    await world.apply(_manifest(output={"git": git}))
    assert await world.reconcile() == "started"
    (job,) = world.objects("batch/v1/jobs").values()
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KODEGEN_OUTPUT_GIT_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": "push", "key": "token", "optional": True}
    }
    assert {"KODEGEN_OUTPUT_GIT_SSH_PRIVATE_KEY", "KODEGEN_OUTPUT_GIT_KNOWN_HOSTS"} <= set(env)
    assert all("value" not in env[name] for name in env if name.startswith("KODEGEN_OUTPUT_GIT"))


async def test_an_unknown_template_is_a_template_failure(world: World) -> None:
    template = {"family": "no-such-family", "version": "^1.0", "scope": "Cluster"}
    await world.apply(_manifest(template=template))
    with pytest.raises(kopf.PermanentError):
        await world.reconcile()
    assert world.conditions() == {
        "TemplateResolved": ("False", "TemplateNotResolved"),
        "Reconciling": ("False", "TemplateNotResolved"),
        "Ready": ("False", "TemplateNotResolved"),
    }
    assert "inputHash" not in world.status()


def _from_configmap(key: str | None = None) -> dict[str, Any]:
    ref = {"name": "petstore-spec", **({"key": key} if key else {})}
    return {"type": "openapi", "openapi": {"configMapRef": ref}}


async def _spec_config_map(world: World, data: dict[str, str]) -> None:
    body = {"metadata": {"name": "petstore-spec", "namespace": NS}, "data": data}
    await world.call(world.kube.create_config_map, body)


async def test_a_spec_in_a_configmap_is_read_into_the_request(world: World) -> None:
    inline = _manifest()["spec"]["specification"]["openapi"]["inline"]
    await _spec_config_map(world, {"petstore.yaml": yaml.safe_dump(inline)})
    await world.apply(_manifest(specification=_from_configmap()))
    assert await world.reconcile() == "started"
    request = world.objects("v1/configmaps")[
        names.request("petstore-api", world.status()["inputHash"])
    ]
    frozen = runs.Request.from_config_map(request)
    assert frozen.generation.spec.specification.openapi is not None
    assert frozen.generation.spec.specification.openapi.inline == inline
    assert frozen.generation.spec.specification.openapi.config_map_ref is None


async def test_a_missing_spec_configmap_is_retried(world: World) -> None:
    await world.apply(_manifest(specification=_from_configmap()))
    with pytest.raises(kopf.TemporaryError, match="does not exist"):
        await world.reconcile()
    assert world.objects("batch/v1/jobs") == {}


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({"a.yaml": "{}", "b.yaml": "{}"}, None, "has 2 keys (a.yaml, b.yaml)"),
        ({"a.yaml": "{}"}, "other.yaml", "has no key 'other.yaml'"),
        ({"a.yaml": "key: [unclosed"}, None, "key a.yaml:2:1: malformed YAML"),
        ({"a.yaml": "- a list\n"}, None, "petstore-spec key a.yaml: is not a mapping"),
    ],
)
async def test_a_bad_spec_configmap_is_rejected_naming_the_field(
    world: World, data: dict[str, str], key: str | None, words: str
) -> None:
    await _spec_config_map(world, data)
    await world.apply(_manifest(specification=_from_configmap(key)))
    with pytest.raises(kopf.PermanentError) as caught:
        await world.reconcile()
    assert "spec.specification.openapi.configMapRef" in str(caught.value)
    assert words in str(caught.value)
    assert world.conditions()["SpecValid"] == ("False", "InvalidSpec")


_ENTRY = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1.0.0"},
    "paths": {"/pets": {"$ref": "paths/pets.yaml"}},
    "components": {"schemas": {"Pet": {"$ref": "schemas/Pet.yaml"}}},
}
_PETS = {
    "get": {
        "operationId": "listPets",
        "responses": {
            "200": {
                "description": "the pets",
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "../schemas/Pet.yaml"}}
                    }
                },
            }
        },
    }
}
_PET = {"type": "object", "properties": {"name": {"type": "string"}}}


async def test_a_multi_file_spec_in_a_configmap_is_bundled_into_the_request(
    world: World,
) -> None:
    await _spec_config_map(
        world,
        {
            "openapi.yaml": yaml.safe_dump(_ENTRY),
            "paths__pets.yaml": yaml.safe_dump(_PETS),
            "schemas__Pet.yaml": json.dumps(_PET),
        },
    )
    await world.apply(_manifest(specification=_from_configmap("openapi.yaml")))
    assert await world.reconcile() == "started"
    request = world.objects("v1/configmaps")[
        names.request("petstore-api", world.status()["inputHash"])
    ]
    inline = runs.Request.from_config_map(request).generation.spec.specification.openapi
    assert inline is not None and inline.inline is not None
    assert inline.inline["components"]["schemas"]["Pet"] == _PET
    items = inline.inline["paths"]["/pets"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["items"]
    assert items == {"$ref": "#/components/schemas/Pet"}


async def test_a_configmap_spec_may_not_refer_outside_the_configmap(world: World) -> None:
    entry = {**_ENTRY, "paths": {"/pets": {"$ref": "../../etc/passwd"}}, "components": {}}
    await _spec_config_map(world, {"openapi.yaml": yaml.safe_dump(entry)})
    await world.apply(_manifest(specification=_from_configmap("openapi.yaml")))
    with pytest.raises(kopf.PermanentError, match="leaves the spec's folder"):
        await world.reconcile()
    assert world.conditions()["SpecValid"] == ("False", "InvalidSpec")


async def test_a_file_source_is_refused_in_a_cluster(world: World) -> None:
    specification = {"type": "openapi", "openapi": {"file": "openapi.yaml"}}
    await world.apply(_manifest(specification=specification))
    with pytest.raises(kopf.PermanentError, match=r"spec\.specification\.openapi\.file: .*"):
        await world.reconcile()
    assert world.objects("batch/v1/jobs") == {}


async def test_remote_refs_need_the_manifests_and_the_operators_allowance(
    world: World,
) -> None:
    with schema_host.running() as host:
        url = host.serve("/schemas/Pet.json", json.dumps(_PET))
        entry = {**_ENTRY, "paths": {}, "components": {"schemas": {"Pet": {"$ref": url}}}}
        specification = {
            "type": "openapi",
            "openapi": {"inline": entry},
            "allowRemoteRefs": [host.url + "/schemas/"],
        }
        await world.apply(_manifest(specification=specification))
        with pytest.raises(kopf.PermanentError, match="KODEGEN_REMOTE_REF_PREFIXES"):
            await world.reconcile()
        assert host.seen == []  # the manifest alone allows nothing in a cluster
        world.op.settings = dataclasses.replace(
            world.op.settings, remote_ref_prefixes=(host.url + "/",)
        )
        assert await world.reconcile() == "started"
        assert host.seen == ["/schemas/Pet.json"]
    request = world.objects("v1/configmaps")[
        names.request("petstore-api", world.status()["inputHash"])
    ]
    inline = runs.Request.from_config_map(request).generation.spec.specification.openapi
    assert inline is not None and inline.inline is not None
    assert inline.inline["components"]["schemas"]["Pet"] == _PET


async def test_an_api_error_is_a_retry(world: World) -> None:
    await world.apply(_manifest())
    world.kmock["post", "/apis/batch/v1/namespaces/team-a/jobs"] << 500
    with pytest.raises(kopf.TemporaryError):
        await world.reconcile()


async def test_invalid_fields_are_named(world: World) -> None:
    body = _manifest()
    body["spec"]["qualityGates"] = {"minCoverage": 150}
    with pytest.raises(kopf.PermanentError, match=r"invalid CodeGeneration: spec\.qualityGates"):
        reconcile.parse(body)


# -- completion ---------------------------------------------------------------------------------


async def _started(world: World) -> tuple[str, str]:
    await world.apply(_manifest())
    await world.reconcile()
    digest = world.status()["inputHash"]
    return digest, names.hash8(digest)


async def _write_outcome(world: World, outcome: runs.Outcome) -> None:
    request = runs.Request.from_config_map(
        world.objects("v1/configmaps")[names.request("petstore-api", outcome.input_hash)]
    )
    await world.call(world.kube.create_config_map, outcome.config_map(request))


def _succeeded(digest: str) -> runs.Outcome:
    return runs.Outcome(
        input_hash=digest,
        phase="Succeeded",
        reason="Succeeded",
        message="published",
        finished_at="2026-12-01T10:01:00Z",
        result=status_api.GenerationResult(files=3, lines=40, coverage=97.5),
        gates=({"name": "syntax", "passed": True},),
        output=status_api.OutputStatus(config_maps=["petstore-api-code"]),
        timings={"render": 0.1},
    )


async def test_a_run_with_a_result_succeeds(world: World) -> None:
    digest, run = await _started(world)
    await _write_outcome(world, _succeeded(digest))
    done = await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert done == "succeeded"
    status = world.status()
    assert status["phase"] == "Succeeded"
    assert status["result"]["files"] == 3
    assert status["output"] == {"configMaps": ["petstore-api-code"]}
    assert [h["revision"] for h in status["history"]] == [1]
    assert world.conditions() == {
        "SpecValid": ("True", "Valid"),
        "TemplateResolved": ("True", "Resolved"),
        "Generated": ("True", "Generated"),
        "QualityGatesPassed": ("True", "Passed"),
        "Published": ("True", "Published"),
        "Reconciling": ("False", "Succeeded"),
        "Ready": ("True", "Succeeded"),
    }
    assert ("Normal", "Published") in world.events()
    assert world.op.slots.active == 0
    again = await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert again == "recorded"


async def test_failed_gates_fail_the_run_and_name_the_gate(world: World) -> None:
    digest, run = await _started(world)
    failed = dataclasses.replace(
        _succeeded(digest),
        phase="Failed",
        reason="QualityGatesFailed",
        message="gate tests failed",
        gates=({"name": "tests", "passed": False},),
        output=None,
    )
    await _write_outcome(world, failed)
    done = await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert done == "failed"
    assert world.conditions()["QualityGatesPassed"] == ("False", "QualityGatesFailed")
    assert world.conditions()["Published"] == ("False", "QualityGatesFailed")
    assert ("Warning", "QualityGatesFailed") in world.events()


async def test_a_job_that_failed_without_a_result_fails_the_run(world: World) -> None:
    _, run = await _started(world)
    state = jobs.JobState(phase="Failed", reason="DeadlineExceeded", message="too slow", attempts=2)
    done = await world.call(reconcile.complete, world.op, NS, "petstore-api", run, state)
    assert done == "failed"
    status = world.status()
    assert status["job"]["attempts"] == 2
    assert world.conditions()["Generated"] == ("False", "Error")
    assert world.conditions()["QualityGatesPassed"] == ("Unknown", "NotRun")
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["message"] == (
        "the Job failed before writing a result: DeadlineExceeded: too slow"
    )


async def test_a_run_still_going_or_gone_is_not_recorded(world: World) -> None:
    _, run = await _started(world)
    running = jobs.JobState(phase="Running")
    assert (
        await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None) == "pending"
    )
    assert (
        await world.call(reconcile.complete, world.op, NS, "petstore-api", run, running)
        == "pending"
    )
    assert await world.call(reconcile.complete, world.op, NS, "nobody", run, None) == "gone"


async def test_a_superseded_run_goes_to_history_only(world: World) -> None:
    digest, run = await _started(world)
    old = _succeeded(digest)
    await _write_outcome(world, old)
    body = world.body()
    body["spec"]["variables"]["packageName"] = "pets"
    await world.call(
        world.custom.patch_namespaced_custom_object,
        "kodegen.dev",
        "v1alpha1",
        NS,
        "codegenerations",
        "petstore-api",
        {"spec": body["spec"], "metadata": {"generation": 2}},
    )
    assert await world.reconcile() == "started"
    assert world.status()["inputHash"] != digest
    done = await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert done == "superseded"
    status = world.status()
    assert status["phase"] == "Running"
    assert [h["inputHash"] for h in status["history"]] == [digest]
    failed = jobs.JobState(phase="Failed", reason="BackoffLimitExceeded")
    other = await world.call(reconcile.complete, world.op, NS, "petstore-api", "0badc0de", failed)
    assert other == "superseded"


# -- the Job's side: runner.execute --------------------------------------------------------------


def _gates(passed: bool) -> Callable[..., tuple[report.GateReport, ...]]:
    """Gates that answer at once: these tests are about the run's bookkeeping, not the code."""

    def run(project: Path, config: Any, *, progress: Any = None) -> tuple[report.GateReport, ...]:
        if passed:
            return (report.GateReport(name="tests", passed=True, metrics={"coverage": 100.0}),)
        return (report.GateReport.failure("tests", reason="1 failed, 0 error(s)"),)

    return run


async def test_a_run_that_passes_publishes_and_writes_its_outcome(world: World) -> None:
    digest, run = await _started(world)
    generator = generate.Generator(run_gates=_gates(True))
    request = names.request("petstore-api", digest)
    outcome = await world.call(
        lambda: runner.execute(world.kube, NS, request, generator=generator, now=lambda: T0)
    )
    assert (outcome.phase, outcome.reason) == ("Succeeded", "Succeeded")
    assert runner.exit_code(outcome) == 0
    assert outcome.finished_at == "2026-12-01T10:00:00Z"
    assert outcome.message.startswith(f"{outcome.result.files} files published to ConfigMap ")
    assert outcome.output is not None and outcome.output.config_maps[0] == "petstore-api-code"
    assert outcome.result.duration_seconds is not None
    config_maps = world.objects("v1/configmaps")
    assert "petstore-api-code" in config_maps
    assert names.result("petstore-api", digest) in config_maps
    assert await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None) == (
        "succeeded"
    )


async def test_a_run_whose_gates_fail_publishes_nothing(world: World) -> None:
    digest, _ = await _started(world)
    generator = generate.Generator(run_gates=_gates(False))
    request = names.request("petstore-api", digest)
    outcome = await world.call(lambda: runner.execute(world.kube, NS, request, generator=generator))
    assert (outcome.phase, outcome.reason) == ("Failed", "QualityGatesFailed")
    assert runner.exit_code(outcome) == jobs.EXIT_GATES_FAILED
    assert outcome.message == (
        "1 of 1 quality gates failed (tests: 1 failed, 0 error(s)); nothing was published"
    )
    assert "petstore-api-code" not in world.objects("v1/configmaps")


async def test_a_run_whose_files_hold_a_key_fails_at_once_and_publishes_nothing(
    world: World,
) -> None:
    digest, _ = await _started(world)

    def leaked(project: Path, config: Any, *, progress: Any = None) -> tuple[()]:
        raise errors.LeakedKey(places=["svc/main.py:3 (OPENAI_API_KEY, as it is)"])

    request = names.request("petstore-api", digest)
    generator = generate.Generator(run_gates=leaked)
    outcome = await world.call(lambda: runner.execute(world.kube, NS, request, generator=generator))
    assert (outcome.phase, outcome.reason) == ("Failed", "LeakedKey")
    assert runner.exit_code(outcome) == jobs.EXIT_GATES_FAILED  # final: never retried
    assert "svc/main.py:3" in outcome.message
    assert "petstore-api-code" not in world.objects("v1/configmaps")


async def test_a_run_on_another_template_content_is_bad_input(world: World) -> None:
    digest, _ = await _started(world)
    name = names.request("petstore-api", digest)
    body = world.objects("v1/configmaps")[name]
    document = json.loads(body["data"][runs.REQUEST_KEY])
    document["template"]["digest"] = "sha256:" + "0" * 64
    body["data"][runs.REQUEST_KEY] = json.dumps(document)
    await world.call(world.kube.write_config_map, body)
    generator = generate.Generator(run_gates=_gates(True))
    outcome = await world.call(lambda: runner.execute(world.kube, NS, name, generator=generator))
    assert (outcome.phase, outcome.reason) == ("Failed", "InvalidInput")
    assert runner.exit_code(outcome) == jobs.EXIT_BAD_INPUT
    assert "the operator and the Job run different images" in outcome.message


async def test_a_run_without_its_request_is_bad_input(world: World) -> None:
    with pytest.raises(errors.ManifestError, match="the request ConfigMap does not exist"):
        await world.call(runner.execute, world.kube, NS, "nothing-request-00000000")


async def test_the_local_executor_runs_the_same_pipeline_and_records_it(kmock: Any) -> None:
    api = emulated.api(kmock)
    local = World(kmock, api, "local", lambda: generate.Generator(run_gates=_gates(True)))
    await local.apply(_manifest())
    assert await local.reconcile() == "started"
    digest = local.status()["inputHash"]
    assert local.op.executor.state(NS, "petstore-api", digest) is not None
    deadline = asyncio.get_running_loop().time() + 60
    while local.status().get("phase") != "Succeeded":
        assert asyncio.get_running_loop().time() < deadline, local.status()
        await asyncio.sleep(0.05)
    assert local.objects("batch/v1/jobs") == {}
    assert "petstore-api-code" in local.objects("v1/configmaps")
    assert local.op.executor.state(NS, "petstore-api", digest) is None
    assert await local.reconcile() == "unchanged"
    await asyncio.to_thread(local.op.executor.shutdown)  # type: ignore[attr-defined]
    api.close()


async def test_a_local_run_that_crashes_is_a_failed_run(kmock: Any) -> None:
    api = emulated.api(kmock)

    def crashing(project: Path, config: Any, *, progress: Any = None) -> tuple[Any, ...]:
        raise RuntimeError("the gates crashed")

    local = World(kmock, api, "local", lambda: generate.Generator(run_gates=crashing))
    await local.apply(_manifest())
    assert await local.reconcile() == "started"
    deadline = asyncio.get_running_loop().time() + 60
    while local.status().get("phase") != "Failed":
        assert asyncio.get_running_loop().time() < deadline, local.status()
        await asyncio.sleep(0.05)
    ready = next(c for c in local.status()["conditions"] if c["type"] == "Ready")
    assert ready["message"] == (
        "the Job failed before writing a result: Error: RuntimeError: the gates crashed"
    )
    await asyncio.to_thread(local.op.executor.shutdown)  # type: ignore[attr-defined]
    api.close()
