"""Runs that cannot start: the slot is given back, a `Stalled` condition says why (kstatus:
`Stalled=True`, `Reconciling=False`, `Ready=False`), and the run is retried with backoff only
where a retry can help. And the watchdog, which survives any exception of a tick.

Same emulated cluster as test_reconcile_decisions.py (kmock behind the real `kube.Kube`)."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from typing import Any

import kopf
import pytest
import yaml

from kodegen.controller import executors, handlers, kube, names, reconcile

from . import emulated
from .emulated import NS
from .test_reconcile_decisions import T0, World, _from_configmap, _manifest, _spec_config_map

JOBS = f"/apis/batch/v1/namespaces/{NS}/jobs"


@pytest.fixture()
def limited(kmock: Any) -> Iterator[World]:
    """One run per namespace: a slot held forever would starve the second generation."""
    api = emulated.api(kmock)
    try:
        yield World(kmock, api, per_namespace=1, cluster=5)
    finally:
        api.close()


def _message(world: World, kind: str, name: str = "petstore-api") -> str:
    return next(c["message"] for c in world.status(name)["conditions"] if c["type"] == kind)


async def test_a_forbidden_job_gives_back_its_slot_says_so_and_backs_off(
    limited: World,
) -> None:
    await limited.apply(_manifest("first"))
    await limited.apply(_manifest("second"))
    limited.kmock["post", JOBS][:1] << emulated.refusing(limited.kmock, 403)
    with pytest.raises(kopf.TemporaryError) as caught:
        await limited.reconcile("first")
    assert caught.value.delay == reconcile.RETRY_SECONDS
    assert limited.op.slots.held_keys() == []
    assert limited.conditions("first")["Stalled"] == ("True", "JobForbidden")
    assert limited.conditions("first")["Reconciling"] == ("False", "JobForbidden")
    assert limited.conditions("first")["Ready"] == ("False", "JobForbidden")
    assert "403" in _message(limited, "Stalled", "first")
    assert limited.status("first")["phase"] == "Pending"
    assert ("Warning", "JobForbidden") in limited.events()


async def test_a_forbidden_run_leaves_the_slot_to_the_next_generation(
    kmock: Any, limited: World
) -> None:
    await limited.apply(_manifest("first"))
    await limited.apply(_manifest("second"))
    limited.kmock["post", JOBS][:1] << emulated.refusing(limited.kmock, 403)
    with pytest.raises(kopf.TemporaryError):
        await limited.reconcile("first")
    assert await limited.reconcile("second") == "started"
    assert limited.op.slots.held_keys() == [(NS, "second")]


async def test_an_invalid_job_stalls_for_good_until_the_spec_changes(limited: World) -> None:
    await limited.apply(_manifest())
    limited.kmock["post", JOBS] << emulated.refusing(limited.kmock, 422)
    with pytest.raises(kopf.PermanentError, match="cannot start"):
        await limited.reconcile()
    assert limited.op.slots.held_keys() == []
    assert limited.conditions()["Stalled"] == ("True", "JobInvalid")
    assert limited.conditions()["Ready"] == ("False", "JobInvalid")
    assert limited.conditions()["SpecValid"] == ("True", "Valid")


async def test_a_stalled_run_that_starts_later_is_no_longer_stalled(limited: World) -> None:
    await limited.apply(_manifest())
    limited.kmock["post", JOBS][:1] << emulated.refusing(limited.kmock, 403)
    with pytest.raises(kopf.TemporaryError):
        await limited.reconcile()
    assert await limited.reconcile() == "started"
    assert limited.conditions()["Stalled"] == ("False", "Progressing")
    assert limited.status()["phase"] == "Running"


def test_a_request_over_a_mebibyte_is_a_422() -> None:
    meta = {"name": "petstore-api-request", "namespace": NS}
    fits = {"metadata": meta, "data": {"r": "x" * (executors.CONFIG_MAP_MAX_BYTES - 1)}}
    assert executors._bounded(fits) is fits
    over = {"metadata": meta, "data": {"r": "x" * executors.CONFIG_MAP_MAX_BYTES}}
    with pytest.raises(kube.KubeError) as caught:
        executors._bounded(over)
    assert caught.value.status == 422
    assert "1048577 bytes, over the 1048576 bytes" in str(caught.value)


async def test_a_request_too_large_is_refused_before_it_is_sent(
    limited: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator takes no body over 1 MiB, so the limit comes down to 64 KiB here.
    monkeypatch.setattr(executors, "CONFIG_MAP_MAX_BYTES", 64 * 1024)
    body = _manifest()
    body["spec"]["specification"]["openapi"]["inline"]["info"]["description"] = "x" * 70_000
    await limited.apply(body)
    with pytest.raises(kopf.PermanentError, match="over the 65536 bytes"):
        await limited.reconcile()
    assert limited.op.slots.held_keys() == []
    assert limited.conditions()["Stalled"] == ("True", "JobInvalid")
    assert limited.objects("batch/v1/jobs") == {}
    requests = [n for n in limited.objects("v1/configmaps") if n.endswith("-request")]
    assert requests == []


async def test_a_secret_ref_without_key_reads_the_key_named_as_the_variable(
    limited: World,
) -> None:
    ai = {
        "mode": "assist",
        "providers": [
            {"provider": "anthropic", "model": "claude", "secretRef": {"name": "ai-keys"}}
        ],
    }
    await limited.apply(_manifest(ai=ai))
    assert await limited.reconcile() == "started"
    (job,) = limited.objects("batch/v1/jobs").values()
    env = [
        e
        for container in job["spec"]["template"]["spec"]["containers"]
        for e in container.get("env") or []
        if "secretKeyRef" in (e.get("valueFrom") or {})
    ]
    assert [e["valueFrom"]["secretKeyRef"] for e in env] == [
        {"name": "ai-keys", "key": "ANTHROPIC_API_KEY"}
    ]


async def test_a_missing_spec_configmap_is_retried_and_shown(limited: World) -> None:
    await limited.apply(_manifest(specification=_from_configmap()))
    with pytest.raises(kopf.TemporaryError, match="does not exist") as caught:
        await limited.reconcile()
    assert caught.value.delay == reconcile.RETRY_SECONDS
    assert limited.conditions()["Stalled"] == ("True", "ConfigMapNotFound")
    assert limited.conditions()["Ready"] == ("False", "ConfigMapNotFound")
    assert "spec.specification.openapi.configMapRef" in _message(limited, "Stalled")
    assert limited.op.slots.held_keys() == []
    limited.op.clock = lambda: T0 + datetime.timedelta(seconds=40)
    with pytest.raises(kopf.TemporaryError) as again:
        await limited.reconcile()
    assert again.value.delay == 40.0  # stalled for 40 s: the next try waits 40 s (doubling)
    limited.op.clock = lambda: T0 + datetime.timedelta(days=1)
    with pytest.raises(kopf.TemporaryError) as capped:
        await limited.reconcile()
    assert capped.value.delay == reconcile.BACKOFF_MAX_SECONDS
    inline = _manifest()["spec"]["specification"]["openapi"]["inline"]
    await _spec_config_map(limited, {"petstore.yaml": yaml.safe_dump(inline)})
    assert await limited.reconcile() == "started"
    assert limited.conditions()["Stalled"] == ("False", "Progressing")


async def test_the_watchdog_survives_a_tick_that_raises(
    kmock: Any, limited: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await limited.apply(_manifest("first"))
    await limited.apply(_manifest("second"))
    assert await limited.reconcile("first") == "started"
    assert await limited.reconcile("second") == "queued"
    limited.op.slots.release((NS, "first"))
    real = limited.op.slots.waiting_keys
    calls: list[int] = []

    def broken_once() -> list[tuple[str, str]]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in a tick")
        return real()

    monkeypatch.setattr(limited.op.slots, "waiting_keys", broken_once)
    monkeypatch.setattr(handlers, "QUEUED_RETRY_SECONDS", 0.01)
    task = asyncio.get_running_loop().create_task(handlers.watchdog(limited.op))
    try:
        for _ in range(500):
            if limited.status("second").get("phase") == "Running":
                break
            await asyncio.sleep(0.01)
        assert limited.status("second")["phase"] == "Running"
        # Running is written before the Job: let the poke's start finish before the emulator
        # goes away under it
        for _ in range(500):
            job = limited.status("second").get("job", {}).get("name")
            if job in limited.objects("batch/v1/jobs"):
                break
            await asyncio.sleep(0.01)
        assert limited.status("second")["job"]["name"] in limited.objects("batch/v1/jobs")
        assert len(calls) >= 2
        assert limited.op.metrics.watchdog_errors._value.get() == 1
        assert task.done() is False
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_poke_that_raises_is_counted_and_the_others_still_go(
    kmock: Any, limited: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await limited.apply(_manifest("first"))
    await limited.apply(_manifest("second"))
    await limited.apply(_manifest("third"))
    assert await limited.reconcile("first") == "started"
    assert await limited.reconcile("second") == "queued"
    assert await limited.reconcile("third") == "queued"
    limited.op.slots.release((NS, "first"))
    real = reconcile.reconcile

    def broken_for_second(op: reconcile.Operator, body: Any) -> str:
        if body["metadata"]["name"] == "second":
            raise RuntimeError("a bug in one generation")
        return real(op, body)

    monkeypatch.setattr(reconcile, "reconcile", broken_for_second)
    await handlers.tick(limited.op, checked=float("inf"))
    assert limited.op.metrics.watchdog_errors._value.get() == 1
    assert limited.status("third")["phase"] == "Running"
    assert names.job("third", limited.status("third")["inputHash"]) in limited.objects(
        "batch/v1/jobs"
    )
