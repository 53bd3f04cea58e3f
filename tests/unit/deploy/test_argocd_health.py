"""The Argo CD health checks (`deploy/argocd/resource_customizations/kodegen.dev/<Kind>/
health.lua`, Argo CD's layout) run in a real Lua runtime (lupa; Lua 5.1 like Argo CD's
gopher-lua when lupa has it) against statuses the operator really writes: the CodeGeneration
cases come from the operator's own decisions (`reconcile.reconcile`, `reconcile.complete`,
`drift.check`) on kmock's emulator; the template cases from the conditions
`controller/templates.py` writes, merged by `conditions.merge`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen.controller import conditions, names, reconcile, runs
from tests.unit.controller import emulated
from tests.unit.controller.emulated import NS
from tests.unit.controller.test_reconcile_decisions import (
    World,
    _manifest,
    _started,
    _succeeded,
    _write_outcome,
)

try:
    from lupa import lua51 as lua
except ImportError:  # a lupa built without Lua 5.1: its default runtime
    import lupa as lua

ROOT = Path(__file__).resolve().parents[3]
CHECKS = ROOT / "deploy" / "argocd" / "resource_customizations" / "kodegen.dev"
NOW = datetime.datetime(2026, 12, 7, 13, 0, tzinfo=datetime.UTC)


def health(kind: str, obj: dict[str, Any]) -> tuple[str, str]:
    runtime = lua.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = _to_lua(runtime, obj)
    script = (CHECKS / kind / "health.lua").read_text()
    result = runtime.execute(script)
    return str(result["status"]), str(result["message"])


def _to_lua(runtime: Any, value: Any) -> Any:
    """JSON data as Lua tables (lists 1-indexed), as Argo CD hands `obj` to the script."""
    if isinstance(value, dict):
        return runtime.table_from({k: _to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([_to_lua(runtime, v) for v in value])
    return value


@pytest.fixture()
def world(kmock: Any) -> Any:
    api = emulated.api(kmock)
    try:
        yield World(kmock, api)
    finally:
        api.close()


def test_every_kind_has_a_check_in_argo_cds_layout() -> None:
    kinds = {p.parent.name for p in CHECKS.glob("*/health.lua")}
    assert kinds == {"CodeGeneration", "CodeTemplate", "ClusterCodeTemplate"}


async def test_a_new_code_generation_progresses(world: World) -> None:
    body = await world.apply(_manifest())
    assert health("CodeGeneration", body)[0] == "Progressing"
    await world.reconcile()
    assert world.status()["phase"] == "Running"
    assert health("CodeGeneration", world.body()) == (
        "Progressing",
        "run " + world.status()["job"]["name"][-8:] + " in progress",
    )


async def test_a_succeeded_run_is_healthy_and_a_spec_change_progresses(world: World) -> None:
    digest, run = await _started(world)
    await _write_outcome(world, _succeeded(digest))
    await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert health("CodeGeneration", world.body()) == ("Healthy", "published")
    changed = world.body()
    changed["metadata"]["generation"] = 2  # the operator has not looked at it yet
    assert health("CodeGeneration", changed)[0] == "Progressing"


async def test_failed_gates_are_degraded(world: World) -> None:
    digest, run = await _started(world)
    outcome = runs.Outcome(
        input_hash=digest,
        phase="Failed",
        reason="QualityGatesFailed",
        message="1 of 1 quality gates failed (tests: 1 failed); nothing was published",
        finished_at="2026-12-01T10:01:00Z",
    )
    await _write_outcome(world, outcome)
    await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert health("CodeGeneration", world.body()) == ("Degraded", outcome.message)


async def test_a_git_failure_is_degraded(world: World) -> None:
    digest, run = await _started(world)
    message = "output git https://example.com/r.git: git push failed: protected"
    failed = runs.Outcome(
        input_hash=digest,
        phase="Failed",
        reason="GitProtectedBranch",
        message=message,
        finished_at="2026-12-01T10:01:00Z",
    )
    await _write_outcome(world, failed)
    await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    assert world.conditions()["Published"] == ("False", "GitProtectedBranch")
    assert health("CodeGeneration", world.body()) == ("Degraded", message)


async def test_an_invalid_spec_is_degraded(world: World) -> None:
    await world.apply(_manifest(variables={}))
    with pytest.raises(Exception, match="packageName"):
        await world.reconcile()
    status, message = health("CodeGeneration", world.body())
    assert status == "Degraded" and "packageName" in message


async def test_a_suspended_generation_is_suspended(world: World) -> None:
    await world.apply(_manifest(suspend=True))
    await world.reconcile()
    assert health("CodeGeneration", world.body()) == (
        "Suspended",
        "spec.suspend is true: no new runs start",
    )


async def test_a_queued_generation_progresses(kmock: Any) -> None:
    api = emulated.api(kmock)
    limited = World(kmock, api, per_namespace=1, cluster=5)
    await limited.apply(_manifest("first"))
    await limited.apply(_manifest("second"))
    await limited.reconcile("first")
    await limited.reconcile("second")
    assert limited.status("second")["phase"] == "Queued"
    assert health("CodeGeneration", limited.body("second"))[0] == "Progressing"
    api.close()


async def test_a_stalled_generation_is_degraded(world: World) -> None:
    await world.apply(
        _manifest(specification={"type": "openapi", "openapi": {"configMapRef": {"name": "nope"}}})
    )
    with pytest.raises(Exception, match="does not exist"):
        await world.reconcile()
    status, message = health("CodeGeneration", world.body())
    assert status == "Degraded" and "nope" in message


async def test_drifted_output_is_degraded(world: World) -> None:
    digest, run = await _started(world)
    await _write_outcome(world, _succeeded(digest))
    await world.call(reconcile.complete, world.op, NS, "petstore-api", run, None)
    body = world.body()
    body["status"]["conditions"] = conditions.merge(
        body["status"]["conditions"],
        [("Drifted", "True", "HandEdited", "1 file(s) edited by hand: M app/main.py")],
        generation=1,
        now=NOW,
    )
    status, message = health("CodeGeneration", body)
    assert status == "Degraded" and "M app/main.py" in message
    assert names.hash8(digest) == run


# -- templates -----------------------------------------------------------------------------------


def _template(*updates: conditions.Condition) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "kodegen.dev/v1alpha1", "kind": "ClusterCodeTemplate"}
    body["metadata"] = {"name": "t-1.0.0", "generation": 1}
    if updates:
        body["status"] = {"conditions": conditions.merge([], list(updates), generation=1, now=NOW)}
    return body


# The exact tuples controller/templates.py writes (see its _patch calls).
TEMPLATE_CASES = [
    ((), "Progressing"),
    (
        (
            ("Validated", "Unknown", "Testing", "running 2 test(s)"),
            ("Ready", "False", "Testing", "validation in progress"),
        ),
        "Progressing",
    ),
    (
        (
            ("Validated", "True", "Rendered", "2 test(s) rendered"),
            ("Ready", "True", "TestsPassed", "2 test(s) passed every gate"),
        ),
        "Healthy",
    ),
    (
        (
            ("Validated", "True", "Rendered", "2 test(s) rendered"),
            ("Ready", "False", "TestsFailed", "1 of 2 failed: petstore"),
        ),
        "Degraded",
    ),
    (
        (
            ("Validated", "False", "InvalidTemplate", "template t: bad"),
            ("Ready", "False", "InvalidTemplate", "template t: bad"),
        ),
        "Degraded",
    ),
    (
        (
            ("Ready", "False", "ContentChanged", "content changed"),
            ("ContentChanged", "True", "ContentChanged", "content changed"),
        ),
        "Degraded",
    ),
    (
        (
            ("Ready", "True", "TestsPassed", "2 test(s) passed every gate"),
            ("RolloutHalted", "True", "CanaryFailed", "2 canary runs failed"),
        ),
        "Degraded",
    ),
    (
        (
            ("Ready", "True", "TestsPassed", "2 test(s) passed every gate"),
            ("RolloutHalted", "False", "CanariesPassed", "3 canary run(s) passed"),
        ),
        "Healthy",
    ),
]


@pytest.mark.parametrize("kind", ["CodeTemplate", "ClusterCodeTemplate"])
@pytest.mark.parametrize(("updates", "expected"), TEMPLATE_CASES)
def test_template_health(
    kind: str, updates: tuple[conditions.Condition, ...], expected: str
) -> None:
    status, message = health(kind, _template(*updates))
    assert status == expected
    assert message


def test_the_checks_are_valid_argo_cd_customizations() -> None:
    """Argo CD reads `resource.customizations.health.<group>_<Kind>` from argocd-cm; the
    example ConfigMap embeds each script verbatim."""
    config = yaml.safe_load((ROOT / "deploy" / "argocd" / "argocd-cm.yaml").read_text())
    for kind in ("CodeGeneration", "CodeTemplate", "ClusterCodeTemplate"):
        script = config["data"][f"resource.customizations.health.kodegen.dev_{kind}"]
        assert script == (CHECKS / kind / "health.lua").read_text()
