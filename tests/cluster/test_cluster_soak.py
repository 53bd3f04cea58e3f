"""The kill soak: the operator SIGKILLed at five checkpoints of a run, restarted, and the
cluster checked (issue 11: 0 duplicated Jobs, 0 lost outputs, 0 lost Events).

The operator runs through killable_operator.py, which kills the process itself at a chosen
point of the run of one CodeGeneration; the test restarts it armed at the next point. Each
round is one CodeGeneration (its pods held by the node agent until the test releases them):

    status        before the status records the run (its Accepted Event is posted)
    job-created   right after its Job is created (JobCreated not posted yet)
    publish       (rounds of kind `publish`) SIGKILLed from outside while the Job's pod has
                  published its output ConfigMaps and not yet written its result (the pod waits
                  there for the test: pod_hooks/sitecustomize.py); the run then ends while no
                  operator runs
    ttl           (rounds of kind `ttl`) the kill after Job creation is left in place until the
                  run has ended and the real TTL controller has deleted its Job
                  (ttlSecondsAfterFinished set to 0 while the operator is down)
    events        before the first Event telling how the run ended (its result read)
    status        before the status records the end (its Events posted)

then the operator runs unarmed until the CodeGeneration is Ready. After every round, from the
API server's audit log and the objects: exactly one Job was ever created for it, the node
agent ran one Pod (the pipeline ran once), one request and one result ConfigMap were written;
its output ConfigMaps are there and named in the status; its Events are Accepted, JobCreated,
Generated and Published, each once; its history has one entry.

KODEGEN_SOAK_KILLS sets how many kills at least (default 9: one round of each kind, every
checkpoint at least once; `make soak` runs 100). KODEGEN_SOAK_REPORT names a file to append
the figures to (one JSON line).
"""

from __future__ import annotations

import collections
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import controlplane
import kodegen_operator
import node_agent
import pytest
from kubernetes import client
from test_cluster_operator import Generations, _condition

from kodegen.controller import names

KILLS = int(os.environ.get("KODEGEN_SOAK_KILLS", "9"))
HOOKS = Path(__file__).resolve().parent / "pod_hooks"
EVENTS = ["Accepted", "Generated", "JobCreated", "Published"]


@pytest.fixture()
def gate(control_plane: controlplane.ControlPlane) -> Path:
    """Where the soak's runs say they have published and wait to go on (pod_hooks/)."""
    folder = control_plane.folder / "soak" / "gate"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def killable(
    deployed: Path,
    control_plane: controlplane.ControlPlane,
    agent: node_agent.NodeAgent,
    gate: Path,
) -> Iterator[kodegen_operator.Killable]:
    folder = control_plane.folder / "soak"
    # Written `/./…`: the node agent maps a value under a pod's mounts (/work, /tmp) to its
    # volumes, and the repository or the test's folder may be under either.
    job_env = [
        {"name": "PYTHONPATH", "value": f"/.{HOOKS}"},
        {"name": "KODEGEN_TEST_PUBLISH_GATE", "value": f"/.{gate}"},
    ]
    running = kodegen_operator.Killable(
        deployed,
        folder / "operator.log",
        folder / "kills.jsonl",
        pod="kodegen-operator-test-0",
        env={"KODEGEN_JOB_ENV": json.dumps(job_env)},
    )
    try:
        yield running
    finally:
        running.close()
        for held in gate.glob("*.published"):  # let a run still waiting go
            held.with_suffix(".go").touch()


class Soak:
    """The rounds, the kills they made, and what the cluster shows after each."""

    def __init__(
        self,
        control_plane: controlplane.ControlPlane,
        generations: Generations,
        operator: kodegen_operator.Killable,
        gate: Path,
    ) -> None:
        self.plane, self.generations, self.operator = control_plane, generations, operator
        self.gate = gate
        self.namespace = generations.namespace
        self.kills: collections.Counter[str] = collections.Counter()
        self.conflicts: collections.Counter[str] = collections.Counter()
        """Creates the API server refused as already done (409): retries made harmless."""
        self.rounds = 0

    def killed_at(self, checkpoint: str, name: str, counted: str | None = None) -> None:
        """Wait for the operator armed at `checkpoint` to kill itself over `name`."""
        line = self.operator.died()
        assert (line["checkpoint"], line["name"], line["namespace"]) == (
            checkpoint,
            name,
            self.namespace,
        ), line
        self.kills[counted or checkpoint] += 1

    def round(self, kind: str) -> None:
        self.rounds += 1
        name = f"soak-{self.rounds}-{kind}"
        generations, operator, agent = self.generations, self.operator, self.generations.agent
        agent.hold(self.namespace)
        operator.arm("status", name)
        generations.create(name)
        self.killed_at("status", name)
        operator.arm("job-created", name)
        self.killed_at("job-created", name, counted="ttl" if kind == "ttl" else None)
        (job,) = [j.metadata.name for j in generations.jobs() if j.metadata.name.startswith(name)]
        if kind == "ttl":
            self._ended_and_deleted(name, job)
        else:
            operator.arm("events", name)
            self._killed_while_publishing(name, job)
        operator.arm("events", name)
        self.killed_at("events", name)
        operator.arm("status", name)
        self.killed_at("status", name)
        operator.arm("none")
        generations.ready(name)
        self.check(name)

    def _ended_and_deleted(self, name: str, job: str) -> None:
        """With the operator down: the run ends, and the TTL controller deletes its Job."""
        batch = self.generations.batch
        batch.patch_namespaced_job(job, self.namespace, {"spec": {"ttlSecondsAfterFinished": 0}})
        (self.gate / f"{names.output(name)}.go").touch()  # no stop after its publish
        self.generations.agent.release(self.namespace)

        def gone() -> bool:
            try:
                batch.read_namespaced_job(job, self.namespace)
            except client.ApiException as exc:
                return exc.status == 404
            return False

        controlplane.wait_for(gone, timeout=300, message=lambda: self.generations.explain(name))

    def _killed_while_publishing(self, name: str, job: str) -> None:
        """The operator (armed at `events`) adopts the Job, whose pod publishes its output
        and stops before writing its result (pod_hooks/); the operator is SIGKILLed there; the
        run then ends while no operator runs."""
        generations, output = self.generations, names.output(name)
        controlplane.wait_for(
            lambda: "JobCreated" in _reasons(generations, name),
            timeout=120,
            message=lambda: generations.explain(name),
        )
        generations.agent.release(self.namespace)
        published = self.gate / f"{output}.published"
        controlplane.wait_for(
            published.exists, timeout=300, message=lambda: generations.explain(name)
        )
        result = names.result(name, job.rsplit("-", 1)[1])
        assert not _exists(generations.core, result, self.namespace), result
        assert _exists(generations.core, output, self.namespace), output
        assert self.operator.kill(), "the operator died before the run was published:\n" + (
            self.operator.text()
        )
        self.kills["publish"] += 1
        (self.gate / f"{output}.go").touch()
        batch = generations.batch
        controlplane.wait_for(
            lambda: (batch.read_namespaced_job(job, self.namespace).status.succeeded or 0) >= 1,
            timeout=300,
            message=lambda: generations.explain(name),
        )
        assert "Generated" not in _reasons(generations, name), "recorded by a dead operator?"

    def check(self, name: str) -> None:
        """What the cluster shows for CodeGeneration `name` after its round."""
        generations = self.generations
        body = generations.read(name)
        status = body["status"]
        assert status["phase"] == "Succeeded", generations.explain(name)
        ready = _condition(body, "Ready")
        assert ready is not None and ready["status"] == "True", ready
        assert len(status["history"]) == 1, status["history"]
        outputs = (status.get("output") or {}).get("configMaps") or []
        assert outputs, status
        for output in outputs:
            found = generations.core.read_namespaced_config_map(output, self.namespace)
            assert found.data or found.binary_data, f"output {output} is empty"

        events = generations.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        ).items
        assert sorted(e.reason for e in events) == EVENTS, [(e.reason, e.message) for e in events]
        assert all((e.count or 1) == 1 for e in events), [(e.reason, e.count) for e in events]

        created = self._creates(name)
        job = names.job(name, status["inputHash"])
        ran = list((generations.agent.folder / "pods").glob(f"{self.namespace}_{job}-*"))
        assert created["jobs"] == 1, f"{created['jobs']} Jobs created for {name}"
        assert len(ran) == 1, f"{len(ran)} Pods of {job} ran: {ran}"
        assert created["requests"] == 1, f"{created['requests']} request ConfigMaps for {name}"
        assert created["results"] == 1, f"{created['results']} result ConfigMaps for {name}"
        assert created["events"] == len(EVENTS), created

    def _creates(self, name: str) -> collections.Counter[str]:
        """Successful creates of `name`'s Jobs, request and result ConfigMaps and Events (from
        the audit log); refused ones (409, already there) are counted in `conflicts`."""
        counts: collections.Counter[str] = collections.Counter()
        for event in self.plane.audit():
            ref = event.get("objectRef") or {}
            if event.get("verb") != "create" or ref.get("namespace") != self.namespace:
                continue
            kind = _kind(name, ref.get("resource") or "", ref.get("name") or "")
            if kind is None:
                continue
            code = (event.get("responseStatus") or {}).get("code")
            if code == 201:
                counts[kind] += 1
            elif code == 409:
                self.conflicts[kind] += 1
        return counts

    def figures(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "kills": sum(self.kills.values()),
            "byCheckpoint": dict(sorted(self.kills.items())),
            "conflicts": dict(sorted(self.conflicts.items())),
            "duplicatedJobs": 0,
            "lostOutputs": 0,
            "lostEvents": 0,
        }


def _kind(name: str, resource: str, object_name: str) -> str | None:
    """What an audited create made for CodeGeneration `name`, if anything."""
    if resource == "events":  # kodegen's own are named `<name>.<tag>`; the Job's `<job>.<id>`
        return "events" if object_name.startswith(f"{name}.") else None
    if not object_name.startswith(f"{name}-"):
        return None
    if resource == "jobs":
        return "jobs"
    if resource == "configmaps" and object_name.startswith(f"{name}-result-"):
        return "results"
    if resource == "configmaps" and object_name.startswith(f"{name}-request-"):
        return "requests"
    return None


def _reasons(generations: Generations, name: str) -> list[str]:
    events = generations.core.list_namespaced_event(
        generations.namespace, field_selector=f"involvedObject.name={name}"
    ).items
    return sorted(event.reason for event in events)


def _exists(core: client.CoreV1Api, name: str, namespace: str) -> bool:
    try:
        core.read_namespaced_config_map(name, namespace)
    except client.ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def test_operator_kills_at_every_checkpoint_lose_and_duplicate_nothing(
    control_plane: controlplane.ControlPlane,
    admin: client.ApiClient,
    agent: node_agent.NodeAgent,
    killable: kodegen_operator.Killable,
    namespace: str,
    gate: Path,
) -> None:
    generations = Generations(admin, agent, killable, namespace)
    soak = Soak(control_plane, generations, killable, gate)
    started = time.monotonic()
    kinds = ("publish", "ttl")
    while sum(soak.kills.values()) < KILLS:
        soak.round(kinds[soak.rounds % len(kinds)])
    figures = {**soak.figures(), "seconds": round(time.monotonic() - started, 1)}
    print(f"\nkill soak: {json.dumps(figures)}")
    report = os.environ.get("KODEGEN_SOAK_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(json.dumps(figures) + "\n")
    assert set(soak.kills) == {"status", "job-created", "publish", "ttl", "events"}, soak.kills
