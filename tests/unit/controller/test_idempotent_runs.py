"""A run is started once, whatever fails around it: the status records the run before its Job
is created, a Job of the same input found later is adopted (never deleted), a finished run is
recognised from its result ConfigMap when its Job is gone, Events are posted before the
status that says they were, and the slots of runs already going are counted again after a
restart.

kmock's emulator acts on a write (create, patch, delete) *before* it answers with an injected
500, and a read it fails returns nothing. A pass that meets a faulty write has done it but
dies, as a process killed just after the call (its answer lost) would; a pass that meets a
faulty read dies before its next call. So faults on a random fifth of the calls put a crash
between every pair of consecutive calls of the operator, over many passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kmock as kmock_
import kopf
import pytest

from kodegen.controller import kube, names, reconcile, runner
from kodegen.gates import report
from kodegen.pipeline import generate

from . import emulated
from .emulated import NS
from .test_reconcile_decisions import World, _manifest, _succeeded, _write_outcome

JOBS = f"/apis/batch/v1/namespaces/{NS}/jobs"


def _passing(project: Path, config: Any, *, progress: Any = None) -> tuple[report.GateReport, ...]:
    return (report.GateReport(name="tests", passed=True, metrics={"coverage": 100.0}),)


@pytest.fixture()
def world(kmock: Any) -> Iterator[World]:
    api = emulated.api(kmock)
    try:
        yield World(kmock, api)
    finally:
        api.close()


def _fail_next(kmock: Any, matches: Callable[[Any], bool]) -> None:
    """Answer the next request that `matches` with 500. kmock's slices count over its whole
    request history, so the slice starts after the matching requests already seen."""
    seen = len(list(kmock[matches]))
    kmock[matches][seen : seen + 1] << 500


def _events(request: Any) -> bool:
    return request.resource is not None and request.resource.plural == "events"


def _calls(kmock: Any, method: str, path: str) -> list[Any]:
    """The requests of `method` whose path starts with `path` (faulty ones included)."""
    return [r for r in kmock if r.method.value == method and r.url.path.startswith(path)]


async def _mark_complete(world: World, job: str) -> None:
    status = {"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1}
    await world.call(world.kube.batch.patch_namespaced_job_status, job, NS, {"status": status})


async def test_a_job_found_before_the_status_names_its_input_is_adopted(world: World) -> None:
    """Another replica (or a pass that died) created the Job; this pass still sees no
    inputHash in its body: the Job is this run's, and stays."""
    await world.apply(_manifest())
    stale = world.body()
    assert await world.reconcile() == "started"
    digest = world.status()["inputHash"]
    job = names.job("petstore-api", digest)
    marker = {"metadata": {"annotations": {"test/first": "yes"}}}
    await world.call(world.kube.batch.patch_namespaced_job, job, NS, marker)

    assert await world.call(reconcile.reconcile, world.op, stale) == "running"
    assert world.objects("batch/v1/jobs")[job]["metadata"]["annotations"]["test/first"] == "yes"
    assert _calls(world.kmock, "DELETE", JOBS) == []
    assert world.status()["phase"] == "Running"
    assert world.conditions()["Reconciling"] == ("True", "Running")


async def test_a_job_created_when_the_status_write_failed_is_adopted(world: World) -> None:
    """The pass dies right after writing the status (its answer lost), before any Job exists:
    the next pass starts the run the status records, once."""
    await world.apply(_manifest())
    _fail_next(world.kmock, lambda r: r.subresource == "status" and r.method.value == "PATCH")
    with pytest.raises(kopf.TemporaryError):
        await world.reconcile()
    assert world.objects("batch/v1/jobs") == {}
    assert await world.reconcile() == "started"
    assert len(world.objects("batch/v1/jobs")) == 1


async def test_api_faults_never_delete_a_job_nor_run_an_input_twice(
    kmock: Any, world: World
) -> None:
    """6 CodeGenerations, a fifth of every API call failing, bodies sometimes a pass old (as
    a replica's or a retried handler's): each input gets one Job, created once and never
    deleted, and each pipeline runs once."""
    count, rng = 6, random.Random(11)
    world = World(kmock, world.kube.client, per_namespace=count, cluster=count)
    faulty = {"on": True}
    world.kmock[lambda r: faulty["on"] and rng.random() < 0.2] << 500
    for index in range(count):
        faulty["on"] = False
        await world.apply(_manifest(f"gen-{index}"))
    faulty["on"] = True
    generations = [f"gen-{index}" for index in range(count)]
    seen: dict[str, dict[str, Any]] = {}
    fast = generate.Generator(run_gates=_passing)
    ran: Counter[str] = Counter()

    async def one_pass(name: str) -> None:
        body = seen[name] if name in seen and rng.random() < 0.3 else world.body(name)
        seen[name] = world.body(name)
        with contextlib.suppress(kopf.TemporaryError, kube.KubeError):  # kopf retries it
            await world.call(reconcile.reconcile, world.op, body)

    def started(name: str) -> bool:  # Running is written before the Job is created
        digest = world.status(name).get("inputHash")
        return digest is not None and names.job(name, digest) in world.objects("batch/v1/jobs")

    for _ in range(30):
        for name in generations:
            if not started(name):
                await one_pass(name)
        if all(started(name) for name in generations):
            break
    assert all(started(name) for name in generations), (
        sorted(world.objects("batch/v1/jobs")),
        sorted(world.objects("v1/configmaps")),
        {n: (world.status(n).get("phase"), world.status(n).get("inputHash")) for n in generations},
    )
    # Each Job's pod runs the pipeline (the Job's own retries are not the operator's).
    faulty["on"] = False
    for name in generations:
        digest = world.status(name)["inputHash"]
        request = names.request(name, digest)
        await asyncio.to_thread(runner.execute, world.kube, NS, request, generator=fast)
        ran[names.job(name, digest)] += 1
        await _mark_complete(world, names.job(name, digest))
    faulty["on"] = True
    for _ in range(30):
        for name in generations:
            if world.status(name).get("phase") != "Succeeded":
                await one_pass(name)
        if all(world.status(name).get("phase") == "Succeeded" for name in generations):
            break

    assert {name: world.status(name).get("phase") for name in generations} == dict.fromkeys(
        generations, "Succeeded"
    )
    created = [
        r.data["metadata"]["name"]
        for r in _calls(kmock, "POST", JOBS)
        if r.data["metadata"]["name"] in world.objects("batch/v1/jobs")
    ]
    assert _calls(kmock, "DELETE", JOBS) == []
    assert sorted(ran) == sorted(world.objects("batch/v1/jobs"))
    assert set(ran.values()) == {1}
    assert len(world.objects("batch/v1/jobs")) == count
    # Each status names its one Job; no other Job name was ever asked for.
    assert set(created) == set(world.objects("batch/v1/jobs"))
    for name in generations:
        assert world.status(name)["job"]["name"] == names.job(name, world.status(name)["inputHash"])
        assert len(world.status(name)["history"]) == 1
        events = Counter(
            e["reason"]
            for e in world.objects("v1/events").values()
            if e["involvedObject"]["name"] == name
        )
        assert events == {"Accepted": 1, "JobCreated": 1, "Generated": 1, "Published": 1}


async def test_a_finished_run_whose_job_is_gone_is_recorded_from_its_result(
    world: World,
) -> None:
    """The Job was deleted by its TTL while the operator was down: its result ConfigMap
    says how the run ended, and nothing runs again."""
    await world.apply(_manifest())
    await world.reconcile()
    digest = world.status()["inputHash"]
    await _write_outcome(world, _succeeded(digest))
    await world.call(world.kube.delete_job, NS, names.job("petstore-api", digest))
    posted = len(_calls(world.kmock, "POST", JOBS))

    assert await world.reconcile() == "succeeded"
    assert world.status()["phase"] == "Succeeded"
    assert world.conditions()["Reconciling"] == ("False", "Succeeded")
    assert world.objects("batch/v1/jobs") == {}
    assert len(_calls(world.kmock, "POST", JOBS)) == posted


async def test_a_recorded_run_that_runs_nowhere_starts_again(world: World) -> None:
    """The status says Running but neither a Job nor a result exists (the process died
    after writing the status): the run starts, once."""
    await world.apply(_manifest())
    await world.reconcile()
    digest = world.status()["inputHash"]
    await world.call(world.kube.delete_job, NS, names.job("petstore-api", digest))
    assert await world.reconcile() == "started"
    assert list(world.objects("batch/v1/jobs")) == [names.job("petstore-api", digest)]


async def test_events_lost_with_a_crash_are_posted_before_the_status(world: World) -> None:
    """The outcome's Events come before the status that records it: a pass that dies
    between them leaves the status Running, and the next pass posts them (each once)."""
    await world.apply(_manifest())
    await world.reconcile()
    digest = world.status()["inputHash"]
    run = names.hash8(digest)
    await _write_outcome(world, _succeeded(digest))
    # The pass dies after posting Generated (the answer lost), before Published and the status.
    _fail_next(world.kmock, lambda r: _events(r) and r.data["reason"] == "Generated")
    with pytest.raises(kube.KubeError):
        await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert world.status()["phase"] == "Running"

    assert await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None) == (
        "succeeded"
    )
    assert await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None) == (
        "recorded"
    )
    reasons = Counter(e["reason"] for e in world.objects("v1/events").values())
    assert reasons["Generated"] == 1 and reasons["Published"] == 1


async def test_a_job_created_event_lost_with_a_crash_is_posted_on_resume(
    kmock: Any, world: World
) -> None:
    await world.apply(_manifest())
    """The pass dies right after creating the Job, before posting JobCreated: the next pass
    over the run posts it, in this process and in a restarted one."""
    _fail_next(world.kmock, lambda r: r.method.value == "POST" and r.url.path == JOBS)
    with pytest.raises(kopf.TemporaryError):
        await world.reconcile()
    assert len(world.objects("batch/v1/jobs")) == 1
    assert ("Normal", "JobCreated") not in world.events()
    assert await world.reconcile() == "running"
    assert world.events().count(("Normal", "JobCreated")) == 1
    for event in world.objects("v1/events"):  # lost: the restarted process must post it
        await world.call(world.kube.core.delete_namespaced_event, event, NS)
    restarted = World(kmock, world.kube.client)
    assert await restarted.reconcile() == "running"
    assert world.events() == [("Normal", "JobCreated")]


async def test_limits_are_counted_from_the_cluster_after_a_restart(
    kmock: Any, world: World
) -> None:
    """Two runs go on when the operator restarts with a limit of two: a third waits,
    whichever of the three the new process happens to see first."""
    for name in ("first", "second"):
        await world.apply(_manifest(name))
        assert await world.reconcile(name) == "started"
    await world.apply(_manifest("third"))
    restarted = World(kmock, world.kube.client, cluster=2)
    assert await restarted.reconcile("third") == "queued"
    assert restarted.conditions("third")["Reconciling"] == ("True", "Queued")
    assert restarted.op.slots.active == 2
    assert await restarted.reconcile("first") == "running"
    assert restarted.op.slots.active == 2


def _lists_generations(request: Any) -> bool:
    resource = request.resource
    return (
        resource is not None
        and resource.plural == "codegenerations"
        and request.action == kmock_.action.LIST
    )


async def test_the_slots_are_counted_from_the_cluster_once_whatever_memo_copy_admits(
    kmock: Any, world: World
) -> None:
    """kopf hands each object its own shallow copy of the memo (the `Operator`): the slots are
    counted from the cluster once per process, not once per object. Found by the benchmark
    against the real API server (benchmarks/operator_bench_real.py): every admission listed
    every CodeGeneration, one at a time under the counting lock, and the admission rate fell
    from 4/s to 1/s within 200 objects."""
    for name in ("first", "second", "third"):
        await world.apply(_manifest(name))
        memo = copy.copy(world.op)  # what kopf passes for this object
        assert await world.call(reconcile.reconcile, memo, world.body(name)) == "started"
    assert len(list(kmock[_lists_generations])) == 1
    assert world.op.slots.active == 3


async def test_a_run_another_replica_finished_gives_back_its_slot(world: World) -> None:
    """This replica started the run, then paused; the other one recorded its end. Seen again
    here (the watchdog, a resume), the slot is given back."""
    await world.apply(_manifest())
    await world.reconcile()
    digest = world.status()["inputHash"]
    await _write_outcome(world, _succeeded(digest))
    other = World(world.kmock, world.kube.client)
    run = names.hash8(digest)
    assert await other.call(reconcile.complete, other.op, NS, "petstore-api", run, None) == (
        "succeeded"
    )
    assert world.op.slots.active == 1
    assert await world.reconcile() == "unchanged"
    assert world.op.slots.active == 0
