"""Canary keys on the operator path: the real kopf operator against kmock's emulator, a
CodeGeneration whose AI `providers` take their keys from a Secret of unique canaries (one per
provider, all four), and the test playing the Job controller: it resolves the Job's
`secretKeyRef` environment from the Secret as the kubelet would and runs the Job's request
in-process (`main.run_job`), the official SDKs talking to local servers that speak each
provider's wire protocol. Afterwards no Event, no CodeGeneration status, no ConfigMap the
operator or the Job wrote (request, result, output), no Job and no log record carries a key, as
it is or encoded. A model that writes a held key into a file fails the CodeGeneration with reason
LeakedKey, publishes nothing, and the failure names file:line only.

The gates are scripted (the subject here is the operator's bookkeeping, not the generated code;
tests/security/test_canary_keys.py runs the real ones): the first report quotes every key, as
test output would, so the repair prompt, transcript and logs have a key to leak.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from kodegen.ai import breaker, metrics, protocol, session, wire
from kodegen.controller import kube, main, names, settings
from kodegen.gates import config as gate_config
from kodegen.gates import report, runner
from kodegen.pipeline import generate
from tests.integration import ai_shortener
from tests.integration.conftest import kube_api, start_operator, stop_operator
from tests.security.test_canary_keys import (
    PROVIDERS,
    VARIABLES,
    FailThenPass,
    Servers,
    assert_clean,
    purpose,
    servers,
)

__all__ = ["kube_api", "servers"]  # fixtures, imported to be used here

ROOT = Path(__file__).parents[2]
STORY = yaml.safe_load((ROOT / "examples" / "user-story.yaml").read_text())
CG = "kodegen.dev/v1alpha1/codegenerations"
NS = "team-a"
NAME = "url-shortener"
SECRET = "ai-keys"

pytestmark = pytest.mark.slow

Gates = Callable[..., tuple[report.GateReport, ...]]


def _path(resource: Any) -> str:
    return "/".join(part for part in (resource.group, resource.version, resource.plural) if part)


class Cluster:
    """The emulator, the official client on it, and the operator (once started) against it."""

    def __init__(self, kmock: Any, api: client.ApiClient) -> None:
        self.kmock, self.kube = kmock, kube.Kube(api)
        self.custom = client.CustomObjectsApi(api)
        self.op = main.build(settings.Settings(executor="job", metrics_port=0), self.kube)

    def objects(self, resource: str) -> dict[str, dict[str, Any]]:
        return {
            name: dict(obj.raw)
            for (res, ns, name), obj in self.kmock.objects.items()
            if _path(res) == resource and ns == NS and not obj.deleted
        }

    def status(self) -> dict[str, Any]:
        return dict((self.objects(CG).get(NAME) or {}).get("status") or {})

    async def until(self, what: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting; the status is {self.status()}")

    async def play_job(self, job: str, gates: Gates) -> int:
        """Be the kubelet and the Job controller: the Job's environment resolved from its
        `secretKeyRef`s, its request run in-process, the Job marked as it ended."""
        body = self.objects("batch/v1/jobs")[job]
        container = body["spec"]["template"]["spec"]["containers"][0]
        environ: dict[str, str] = {}
        for entry in container.get("env") or ():
            assert "value" not in entry or entry["name"] not in VARIABLES.values(), entry
            ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
            if ref is None:
                environ[entry["name"]] = entry.get("value", "")
                continue
            secret = await asyncio.to_thread(self.kube.read_secret, NS, ref["name"])
            assert secret is not None
            environ[entry["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
        command = container["command"]
        request = command[command.index("--request") + 1]
        # What `runner._generator` builds in the pod (keys from the environment), with this
        # test's own breakers and metrics so no other test's provider state leaks in.
        ai = session.Options(
            environ=environ, breakers=breaker.Breakers(), metrics=metrics.Metrics()
        )
        generator = generate.Generator(run_gates=gates, ai=ai)
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


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A fresh canary per provider, held only by the Secret: none in this process's
    environment, so the keys reach the run through the Job's `secretKeyRef`s or not at all."""
    for variable in VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return {name: f"canary{name}{secrets.token_hex(12)}" for name in PROVIDERS}


@pytest.fixture
async def cluster(
    kmock: Any, kube_api: client.ApiClient, canaries: dict[str, str]
) -> AsyncIterator[Cluster]:
    kmock.resources[CG] = {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": ["list", "watch", "get", "patch", "create", "update", "delete"],
    }
    found = Cluster(kmock, kube_api)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET, "namespace": NS},
        "type": "Opaque",
        "data": {name: base64.b64encode(key.encode()).decode() for name, key in canaries.items()},
    }
    core = client.CoreV1Api(kube_api)
    await asyncio.to_thread(core.create_namespaced_secret, NS, secret)
    stop, task = await start_operator(found.op)
    try:
        yield found
    finally:
        await stop_operator(stop, task)


def _manifest(servers: Servers, *names: str) -> dict[str, Any]:
    body = copy.deepcopy(STORY)
    body["metadata"] = {
        "name": NAME,
        "namespace": NS,
        "uid": f"uid-{NAME}",
        "generation": 1,
        "resourceVersion": "1",
    }
    providers = servers.providers(*names)
    for provider in providers:
        provider["secretRef"] = {"name": SECRET, "key": provider["provider"]}  # type: ignore[assignment]
    body["spec"]["ai"] = {**body["spec"]["ai"], "providers": providers, "maxCostUSD": 100.0}
    return body


async def _apply(cluster: Cluster, body: Mapping[str, Any]) -> str:
    """Create the CodeGeneration; the name of the Job the operator starts for it."""
    await asyncio.to_thread(
        cluster.custom.create_namespaced_custom_object,
        "kodegen.dev",
        "v1alpha1",
        NS,
        "codegenerations",
        copy.deepcopy(dict(body)),
    )
    # Running is recorded before the Job is created (a crash between the two adopts the Job):
    # wait for the Job object itself.
    status = await cluster.until(
        lambda: cluster.status().get("phase") == "Running" and cluster.status()
    )
    name = str(status["job"]["name"])
    await cluster.until(lambda: name in cluster.objects("batch/v1/jobs"))
    return name


def _assert_cluster_clean(cluster: Cluster, keys: Mapping[str, str]) -> dict[str, int]:
    """No Event (reason, message), status, ConfigMap, Job or other object carries a key; the
    Secret is the one object that holds them. Returns what was looked at, by kind."""
    seen: dict[str, int] = {}
    for event in cluster.objects("v1/events").values():
        assert_clean(event.get("reason") or "", keys, "an Event's reason")
        assert_clean(event.get("message") or "", keys, "an Event's message")
        seen["events"] = seen.get("events", 0) + 1
    assert_clean(json.dumps(cluster.status()), keys, "the CodeGeneration's status")
    for name, configmap in cluster.objects("v1/configmaps").items():
        for key, value in (configmap.get("data") or {}).items():
            assert_clean(value, keys, f"ConfigMap {name} data {key}")
        for key, value in (configmap.get("binaryData") or {}).items():
            assert_clean(base64.b64decode(value), keys, f"ConfigMap {name} binaryData {key}")
        assert_clean(json.dumps(configmap), keys, f"ConfigMap {name}")
        seen["configmaps"] = seen.get("configmaps", 0) + 1
    for (resource, ns, name), obj in cluster.kmock.objects.items():
        if (_path(resource), ns, name) != ("v1/secrets", NS, SECRET) and not obj.deleted:
            assert_clean(json.dumps(obj.raw), keys, f"{_path(resource)} {ns}/{name}")
    return seen


def _carrying(keys: Mapping[str, str]) -> str:
    """Test output that quotes every key, as it is and base64-encoded."""
    return " ".join(f"{key} {base64.b64encode(key.encode()).decode()}" for key in keys.values())


async def test_an_ai_run_in_a_job_leaves_no_key_in_events_status_configmaps_or_logs(
    cluster: Cluster,
    servers: Servers,
    canaries: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """anthropic refuses (401); openai plans and writes a project whose tests fail with output
    quoting every key; openai refuses the repair (400); google repairs from that output (the
    keys masked) and the gates pass. ollama is never reached, but its key is held too. (Gate
    reports that still quote a key at the end fail the run: the provenance would carry them,
    and the pipeline's own held-key check refuses it.)"""
    servers.play("anthropic", lambda body: wire.Fail(401, "bad key"))

    def openai(body: dict[str, Any]) -> wire.Step:
        step = purpose(body)
        if step == "plan":
            return wire.Reply(protocol.format({"PLAN.md": ai_shortener.PLAN}))
        if step == "write":
            return wire.Reply(protocol.format(ai_shortener.BUGGY))
        return wire.Fail(400, "no repairs today")

    servers.play("openai", openai)
    servers.play("google", lambda body: wire.Reply(protocol.format(ai_shortener.FIXED)))
    leaked = _carrying(canaries)
    gates = FailThenPass(leaked)

    with caplog.at_level(logging.DEBUG):
        job = await _apply(cluster, _manifest(servers, *PROVIDERS))
        assert await cluster.play_job(job, gates) == 0
        status = await cluster.until(
            lambda: cluster.status().get("phase") == "Succeeded" and cluster.status()
        )
        await cluster.until(
            lambda: "Published" in {e["reason"] for e in cluster.objects("v1/events").values()}
        )
    assert gates.calls == 2
    assert status["result"]["provider"] == "google"
    # The keys did reach the providers, each its own, through the Job's secretKeyRefs.
    for name in ("anthropic", "openai", "google"):
        headers = json.dumps([seen.headers for seen in servers[name].requests])
        assert canaries[name] in headers, name
    assert [purpose(s.body) for s in servers["google"].requests] == ["repair"]
    assert servers["ollama"].requests == []
    job_env = cluster.objects("batch/v1/jobs")[job]["spec"]["template"]["spec"]
    assert {e["name"] for e in job_env["containers"][0]["env"]} >= set(VARIABLES.values())

    output = cluster.objects("v1/configmaps")[f"{NAME}-code"]
    assert ".kodegen/transcript.jsonl" in json.dumps(output)
    [repair] = [json.dumps(s.body) for s in servers["google"].requests]
    assert "tests/test_x.py:1: failed assert" in repair and "***" in repair  # masked
    assert names.result(NAME, status["inputHash"]) in cluster.objects("v1/configmaps")
    seen = _assert_cluster_clean(cluster, canaries)
    assert seen["events"] >= 4 and seen["configmaps"] >= 3  # request, result, output
    assert_clean(caplog.text, canaries, "the log records")


LEAKS = {"exact": "anthropic", "base64": "ollama"}


@pytest.mark.parametrize("form", sorted(LEAKS))
async def test_a_model_that_writes_a_held_key_fails_the_generation_with_nothing_published(
    form: str,
    cluster: Cluster,
    servers: Servers,
    canaries: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """openai (the first provider) writes another provider's key into a file: the run ends
    Failed/LeakedKey at once (exit 1, no retry), no output ConfigMap, no key anywhere."""
    victim = LEAKS[form]
    key = canaries[victim]
    value = key if form == "exact" else base64.b64encode(b"k=" + key.encode()).decode()

    def model(body: dict[str, Any]) -> wire.Step:
        if purpose(body) == "plan":
            return wire.Reply(protocol.format({"PLAN.md": "1. write it"}))
        files = {
            **ai_shortener.FIXED,
            "shortener/settings.py": f'"""Settings."""\n\nTOKEN = "{value}"\n',
        }
        return wire.Reply(protocol.format(files))

    servers.play("openai", model)

    def gates(
        project: Path, config: gate_config.GateConfig, *, progress: runner.Progress | None = None
    ) -> tuple[report.GateReport, ...]:
        raise AssertionError("the gates ran on files holding a key")

    with caplog.at_level(logging.DEBUG):
        job = await _apply(cluster, _manifest(servers, "openai", "anthropic", "ollama"))
        assert await cluster.play_job(job, gates) == 1
        status = await cluster.until(
            lambda: cluster.status().get("phase") == "Failed" and cluster.status()
        )
        [event] = await cluster.until(
            lambda: [e for e in cluster.objects("v1/events").values() if e["reason"] == "Failed"]
        )
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["reason"] == "LeakedKey"
    kind = "as it is" if form == "exact" else "encoded"
    assert f"shortener/settings.py:3 holds {VARIABLES[victim]} ({kind})" in ready["message"]
    assert "nothing was published" in ready["message"]
    assert event["type"] == "Warning" and ready["message"] in event["message"]
    assert f"{NAME}-code" not in cluster.objects("v1/configmaps")
    # counted after the status patch: wait for it rather than race it
    leaked = cluster.op.metrics.failed.labels(reason="LeakedKey")._value
    await cluster.until(lambda: leaked.get() == 1)
    assert [purpose(s.body) for s in servers["openai"].requests] == ["plan", "write"]
    assert servers["anthropic"].requests == [] and servers["ollama"].requests == []

    seen = _assert_cluster_clean(cluster, canaries)
    assert seen["events"] >= 3 and seen["configmaps"] == 2  # request and result
    assert_clean(caplog.text, canaries, "the log records")
