"""Runs whose CodeGeneration has `spec.output.git`: the Job's side (`runner.execute`, Git
credentials from the environment its secretKeyRefs fill) and the local executor (the Secret
read through the API), against kmock's emulator and a real `git http-backend` on 127.0.0.1
behind token auth. The gates answer at once: these tests are about publishing."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kodegen.controller import drift, names, reconcile, runner
from kodegen.pipeline import generate
from tests import gitservers

from . import emulated
from .emulated import NS
from .test_reconcile_decisions import T0, World, _gates, _manifest

TOKEN = gitservers.TOKEN


@pytest.fixture()
def world(kmock: Any) -> Iterator[World]:
    api = emulated.api(kmock)
    try:
        yield World(kmock, api)
    finally:
        api.close()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[Path, gitservers.SmartHttp]]:
    root = tmp_path / "served"
    repository = gitservers.bare(root)
    gitservers.seed(repository, {"README.md": "team repo\n"})
    with gitservers.SmartHttp(root) as http:
        yield repository, http


def _git_manifest(url: str, **spec: Any) -> dict[str, Any]:
    output = {"url": url, "branch": "main", "path": "services/petstore"}
    return _manifest(output={"git": {**output, "secretRef": {"name": "push"}}}, **spec)


async def _secret(world: World, token: str) -> None:
    body = {
        "metadata": {"name": "push", "namespace": NS},
        "data": {"token": base64.b64encode(token.encode()).decode()},
    }
    await world.call(world.kube.core.create_namespaced_secret, NS, body)


def _everything(world: World) -> str:
    """Every status, Event and ConfigMap the run wrote, as text (to look for a credential)."""
    parts = [json.dumps(world.objects(kind)) for kind in ("v1/configmaps", "v1/events")]
    return "".join(parts) + json.dumps(world.status())


async def _run(world: World, monkeypatch: pytest.MonkeyPatch, token: str) -> Any:
    """Start the run, then play the Job's pod: its environment holds the Secret's token."""
    await world.reconcile()
    digest = world.status()["inputHash"]
    monkeypatch.setenv("KODEGEN_OUTPUT_GIT_TOKEN", token)
    generator = generate.Generator(run_gates=_gates(True))
    request = names.request("petstore-api", digest)
    return await world.call(
        lambda: runner.execute(world.kube, NS, request, generator=generator, now=lambda: T0)
    )


async def test_the_job_publishes_to_git_and_the_status_says_where(
    world: World, server: tuple[Path, gitservers.SmartHttp], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository, http = server
    await world.apply(_git_manifest(http.url("r.git")))
    outcome = await _run(world, monkeypatch, TOKEN)

    assert (outcome.phase, outcome.reason) == ("Succeeded", "Succeeded")
    assert runner.exit_code(outcome) == 0
    head = gitservers.git("rev-parse", "main", cwd=repository)
    git = outcome.output.git
    assert (git.commit, git.branch, git.path, git.changed) == (
        head,
        "main",
        "services/petstore",
        True,
    )
    assert "services/petstore/.kodegen/provenance.json" in gitservers.tree(repository)
    message = gitservers.git("log", "-1", "--format=%B", "main", cwd=repository)
    assert f"Kodegen-Input-Hash: {world.status()['inputHash']}" in message

    run = names.hash8(world.status()["inputHash"])
    assert await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None) == (
        "succeeded"
    )
    status = world.status()
    assert status["output"]["git"]["commit"] == head
    published = next(c for c in status["conditions"] if c["type"] == "Published")
    assert published["message"].startswith(
        f"Git {http.url('r.git')} branch main commit {head[:12]}"
    )
    assert TOKEN not in _everything(world)


async def test_a_wrong_token_is_a_final_git_auth_condition_without_the_token(
    world: World, server: tuple[Path, gitservers.SmartHttp], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, http = server
    await world.apply(_git_manifest(http.url("r.git")))
    wrong = "not-the-token-987654321"
    outcome = await _run(world, monkeypatch, wrong)

    assert (outcome.phase, outcome.reason) == ("Failed", "GitAuthFailed")
    assert runner.exit_code(outcome) == 1  # final: the Job is not retried
    run = names.hash8(world.status()["inputHash"])
    await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert world.conditions()["Published"] == ("False", "GitAuthFailed")
    assert world.conditions()["QualityGatesPassed"] == ("True", "Passed")
    assert world.conditions()["Ready"] == ("False", "GitAuthFailed")
    assert ("Warning", "GitAuthFailed") in world.events()
    assert wrong not in _everything(world)


async def test_an_unreachable_server_is_retried_by_the_job(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{gitservers.free_port()}/r.git"
    await world.apply(_git_manifest(url))
    outcome = await _run(world, monkeypatch, TOKEN)
    assert (outcome.phase, outcome.reason) == ("Failed", "GitUnreachable")
    assert runner.exit_code(outcome) == runner.EXIT_RETRY


async def test_the_local_executor_reads_the_secret_and_a_rerun_is_a_no_op(
    kmock: Any, server: tuple[Path, gitservers.SmartHttp]
) -> None:
    repository, http = server
    api = emulated.api(kmock)
    local = World(kmock, api, "local", lambda: generate.Generator(run_gates=_gates(True)))
    try:
        await _secret(local, TOKEN)
        await local.apply(_git_manifest(http.url("r.git")))
        await _until(local, "Succeeded")
        first = local.status()["output"]["git"]
        assert first["commit"] == gitservers.git("rev-parse", "main", cwd=repository)

        # The status lost (a restored backup, a new operator): the same input runs again and
        # finds its tree already there: no commit.
        await local.call(
            local.custom.patch_namespaced_custom_object_status,
            "kodegen.dev",
            "v1alpha1",
            NS,
            "codegenerations",
            "petstore-api",
            {"status": {"inputHash": None, "phase": None}},
        )
        assert await local.reconcile() == "started"
        await _until(local, "Succeeded", history=2)
        again = local.status()["output"]["git"]
        assert again["commit"] == first["commit"] and again["changed"] is False
        assert gitservers.git("rev-list", "--count", "main", cwd=repository) == "2"
        assert TOKEN not in _everything(local)
    finally:
        await asyncio.to_thread(local.op.executor.shutdown)  # type: ignore[attr-defined]
        api.close()


async def _until(world: World, phase: str, history: int = 1) -> None:
    if not world.status().get("inputHash"):
        assert await world.reconcile() == "started"
    deadline = asyncio.get_running_loop().time() + 60
    while not (
        world.status().get("phase") == phase and len(world.status().get("history", [])) >= history
    ):
        assert asyncio.get_running_loop().time() < deadline, world.status()
        await asyncio.sleep(0.05)  # the local executor's thread finishes on its own


# -- drift (spec.driftPolicy) ------------------------------------------------------------------


async def _published_by_the_job(
    world: World, url: str, monkeypatch: pytest.MonkeyPatch, **spec: Any
) -> None:
    await world.apply(_git_manifest(url, **spec))
    outcome = await _run(world, monkeypatch, TOKEN)
    assert outcome.phase == "Succeeded", outcome.message
    run = names.hash8(world.status()["inputHash"])
    assert await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None) == (
        "succeeded"
    )


async def _set_policy(world: World, policy: str) -> None:
    await world.call(
        world.custom.patch_namespaced_custom_object,
        "kodegen.dev",
        "v1alpha1",
        NS,
        "codegenerations",
        "petstore-api",
        {"spec": {"driftPolicy": policy}},
    )


async def test_drift_is_reported_then_restored_with_a_new_commit(
    world: World, server: tuple[Path, gitservers.SmartHttp], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository, http = server
    await _secret(world, TOKEN)
    await _published_by_the_job(world, http.url("r.git"), monkeypatch)
    published = world.status()["output"]["git"]["commit"]
    assert await world.call(drift.check, world.op, world.body()) == "in-sync"
    assert world.conditions()["Drifted"] == ("False", "InSync")

    edit = gitservers.seed(repository, {"services/petstore/README.md": "edited by hand\n"})
    assert await world.call(drift.check, world.op, world.body()) == "drifted"
    assert world.conditions()["Drifted"] == ("True", "HandEdited")
    message = next(c for c in world.status()["conditions"] if c["type"] == "Drifted")["message"]
    assert "M README.md" in message and published[:12] in message
    assert ("Warning", "Drifted") in world.events()
    assert await world.call(drift.check, world.op, world.body()) == "drifted"  # no new Event
    assert world.events().count(("Warning", "Drifted")) == 1

    await _set_policy(world, "Restore")
    assert await world.call(drift.check, world.op, world.body()) == "restored"
    head = gitservers.git("rev-parse", "main", cwd=repository)
    assert gitservers.git("rev-parse", f"{head}^", cwd=repository) == edit  # never forced
    assert world.status()["output"]["git"]["commit"] == head
    assert world.conditions()["Drifted"] == ("False", "Restored")
    assert ("Normal", "Restored") in world.events()
    assert gitservers.tree(repository)["services/petstore/README.md"] != b"edited by hand\n"
    assert await world.call(drift.check, world.op, world.body()) == "in-sync"
    assert TOKEN not in _everything(world)


async def test_drift_is_not_looked_at_when_ignored(
    world: World, server: tuple[Path, gitservers.SmartHttp], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository, http = server
    await _published_by_the_job(world, http.url("r.git"), monkeypatch, driftPolicy="Ignore")
    gitservers.seed(repository, {"services/petstore/README.md": "edited by hand\n"})
    assert await world.call(drift.check, world.op, world.body()) == "skipped"
    assert "Drifted" not in world.conditions()


async def test_an_unreadable_branch_is_drifted_unknown(
    world: World, server: tuple[Path, gitservers.SmartHttp], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository, http = server
    await _secret(world, TOKEN)
    await _published_by_the_job(world, http.url("r.git"), monkeypatch)
    gitservers.git("update-ref", "-d", "refs/heads/main", cwd=repository)
    assert await world.call(drift.check, world.op, world.body()) == "unknown"
    assert world.conditions()["Drifted"] == ("Unknown", "GitNotFound")
