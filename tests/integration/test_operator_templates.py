"""Template versions as resources, with the real operator against kmock's emulator: a version
is validated (its tests through the real gates), resolved by range, and rolled out to the
CodeGenerations that use its family (Manual, Canary halting, Canary completing).

CodeGenerations run in the local executor with a fake gate runner (the template's own tests
use the real gates): a CodeGeneration fails its gates when the template's README carries the
marker BAD, which is how a bad release reaches its canaries."""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import start_operator, stop_operator
from kubernetes import client

from kodegen.controller import main, settings
from kodegen.gates import report
from kodegen.pipeline import generate

REPO = Path(__file__).resolve().parents[2]
FAMILY = "python-fastapi-service"
FOLDER = REPO / "templates" / FAMILY / "1.0.0"
NS = "team-a"
GROUP = "kodegen.dev/v1alpha1"
VERBS = ["list", "watch", "get", "patch", "create", "update", "delete"]


def _gates(project: Path, config: Any, *, progress: Any = None) -> tuple[Any, ...]:
    readme = (project / "README.md").read_text()
    if "BAD" in readme:
        return (report.GateReport.failure("tests", reason="1 test failed"),)
    return (report.GateReport(name="tests", passed=True, metrics={"coverage": 100.0}),)


def _spec(
    version: str, *, marker: str = "", rollout: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The builtin template's spec as version `version`, its files inline (1.0.0: builtin)."""
    spec = yaml.safe_load((FOLDER / "template.yaml").read_text())
    spec["version"] = version
    spec["tests"] = spec["tests"][:1]
    if version == "1.0.0" and not marker:
        spec["source"] = {"builtin": f"{FAMILY}/1.0.0"}
    else:
        files = {
            str(p.relative_to(FOLDER / "files")): p.read_text()
            for p in sorted((FOLDER / "files").rglob("*"))
            if p.is_file()
        }
        files["README.md.j2"] += f"\n{marker}\n" if marker else f"\nversion {version}\n"
        spec["source"] = {"inline": {"files": files}}
    if rollout:
        spec["rollout"] = rollout
    return spec


def _generation(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    body = yaml.safe_load((REPO / "examples" / "petstore.yaml").read_text())
    body["metadata"] = {
        "name": name,
        "namespace": NS,
        "uid": f"uid-{name}",
        "generation": 1,
        "resourceVersion": "1",
        "labels": labels or {},
    }
    body["spec"]["template"] = {"family": FAMILY, "version": "^1.0"}
    return body


class Cluster:
    def __init__(self, kmock: Any, api: client.ApiClient) -> None:
        self.kmock = kmock
        self.custom = client.CustomObjectsApi(api)
        local = settings.Settings(executor="local", metrics_port=0, local_workers=2)
        from kodegen.controller import kube

        self.op = main.build(
            local, kube.Kube(api), generator=lambda: generate.Generator(run_gates=_gates)
        )

    def obj(self, plural: str, name: str, namespace: str | None = NS) -> dict[str, Any]:
        for (res, ns, found), obj in self.kmock.objects.items():
            if res.plural == plural and ns == namespace and found == name and not obj.deleted:
                return dict(obj.raw)
        return {}

    def condition(
        self, plural: str, name: str, kind: str, namespace: str | None = NS
    ) -> dict[str, Any]:
        for c in (self.obj(plural, name, namespace).get("status") or {}).get("conditions") or ():
            if c["type"] == kind:
                return dict(c)
        return {}

    def version(self, name: str) -> str | None:
        status = self.obj("codegenerations", name).get("status") or {}
        if status.get("phase") != "Succeeded":
            return None
        return (status.get("resolvedTemplate") or {}).get("version")

    async def until(self, what: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := what():
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(
            "timed out; "
            + repr(
                {
                    f"{r.plural}/{n}": (o.raw or {}).get("status")
                    for (r, _, n), o in self.kmock.objects.items()
                    if r.group == "kodegen.dev" and not o.deleted
                }
            )[:3000]
        )

    async def create(self, plural: str, body: dict[str, Any], namespace: str | None = NS) -> None:
        body = copy.deepcopy(body)
        if namespace:
            call = self.custom.create_namespaced_custom_object
            await asyncio.to_thread(call, "kodegen.dev", "v1alpha1", namespace, plural, body)
        else:
            call = self.custom.create_cluster_custom_object
            await asyncio.to_thread(call, "kodegen.dev", "v1alpha1", plural, body)

    async def template(self, kind: str, name: str, spec: dict[str, Any]) -> None:
        namespaced = kind == "CodeTemplate"
        meta = {"name": name, "uid": f"uid-{name}", "generation": 1, "resourceVersion": "1"}
        if namespaced:
            meta["namespace"] = NS
        body = {"apiVersion": GROUP, "kind": kind, "metadata": meta, "spec": spec}
        plural = "codetemplates" if namespaced else "clustercodetemplates"
        await self.create(plural, body, NS if namespaced else None)

    async def regenerate(self, name: str, value: str) -> None:
        await asyncio.to_thread(
            self.custom.patch_namespaced_custom_object,
            "kodegen.dev",
            "v1alpha1",
            NS,
            "codegenerations",
            name,
            {"spec": {"regenerate": value}, "metadata": {"generation": 2}},
        )

    def reasons(self) -> set[str]:
        return {
            o.raw.get("reason")
            for (r, _, _), o in self.kmock.objects.items()
            if r.plural == "events" and not o.deleted
        }


@pytest.fixture()
async def cluster(kmock: Any, kube_api: client.ApiClient) -> AsyncIterator[Cluster]:
    kmock.resources[f"{GROUP}/codegenerations"] = {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": VERBS,
    }
    kmock.resources[f"{GROUP}/codetemplates"] = {
        "kind": "CodeTemplate",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": VERBS,
    }
    kmock.resources[f"{GROUP}/clustercodetemplates"] = {
        "kind": "ClusterCodeTemplate",
        "namespaced": False,
        "subresources": ["status"],
        "verbs": VERBS,
    }
    found = Cluster(kmock, kube_api)
    stop, task = await start_operator(found.op)
    try:
        yield found
    finally:
        await stop_operator(stop, task)


async def test_manual_rollout_waits_for_regenerate(cluster: Cluster) -> None:
    await cluster.template("ClusterCodeTemplate", "fastapi-1.0.0", _spec("1.0.0"))
    ready = await cluster.until(
        lambda: (
            cluster.condition("clustercodetemplates", "fastapi-1.0.0", "Ready", None).get("status")
            == "True"
            and cluster.obj("clustercodetemplates", "fastapi-1.0.0", None)["status"]
        )
    )
    assert ready["tests"][0]["passed"] is True and ready["contentDigest"].startswith("sha256:")

    await cluster.create("codegenerations", _generation("api"))
    await cluster.until(lambda: cluster.version("api") == "1.0.0")
    resolved = cluster.obj("codegenerations", "api")["status"]["resolvedTemplate"]
    assert (resolved["kind"], resolved["name"]) == ("ClusterCodeTemplate", "fastapi-1.0.0")

    await cluster.template("ClusterCodeTemplate", "fastapi-1.1.0", _spec("1.1.0"))
    update = await cluster.until(
        lambda: (
            cluster.condition("codegenerations", "api", "UpdateAvailable").get("status") == "True"
            and cluster.condition("codegenerations", "api", "UpdateAvailable")
        )
    )
    assert "fastapi-1.1.0" in update["message"] and "regenerate" in update["message"]
    assert cluster.version("api") == "1.0.0"  # Manual: nothing moves by itself

    await cluster.regenerate("api", "take 1.1")
    await cluster.until(lambda: cluster.version("api") == "1.1.0")
    assert cluster.condition("codegenerations", "api", "UpdateAvailable")["status"] == "False"
    used = cluster.obj("clustercodetemplates", "fastapi-1.1.0", None)["status"]
    assert used["rollout"]["phase"] == "Waiting"


async def test_a_namespace_template_wins_and_a_failing_one_is_never_ready(cluster: Cluster) -> None:
    await cluster.template("ClusterCodeTemplate", "fastapi-1.0.0", _spec("1.0.0"))
    broken = _spec("1.0.1")
    broken["source"]["inline"]["files"]["broken.py.j2"] = "{{ undefined_variable }}\n"
    await cluster.template("CodeTemplate", "fastapi-1.0.1", broken)
    failed = await cluster.until(
        lambda: (
            cluster.condition("codetemplates", "fastapi-1.0.1", "Ready").get("reason")
            == "TestsFailed"
            and cluster.condition("codetemplates", "fastapi-1.0.1", "Ready")
        )
    )
    assert "broken.py" in failed["message"]

    await cluster.create("codegenerations", _generation("api"))
    await cluster.until(
        lambda: cluster.version("api") == "1.0.0"
    )  # the cluster's, not the broken one
    await cluster.template("CodeTemplate", "fastapi-1.0.2", _spec("1.0.2"))
    await cluster.until(
        lambda: cluster.condition("codetemplates", "fastapi-1.0.2", "Ready").get("status") == "True"
    )
    await cluster.regenerate("api", "again")
    await cluster.until(lambda: cluster.version("api") == "1.0.2")
    resolved = cluster.obj("codegenerations", "api")["status"]["resolvedTemplate"]
    assert resolved["kind"] == "CodeTemplate"


@pytest.mark.parametrize("bad", [True, False], ids=["halts", "completes"])
async def test_a_canary_rollout(cluster: Cluster, bad: bool) -> None:
    await cluster.template("CodeTemplate", "fastapi-1.0.0", _spec("1.0.0"))
    await cluster.until(
        lambda: cluster.condition("codetemplates", "fastapi-1.0.0", "Ready").get("status") == "True"
    )
    for name in ("one", "two", "three", "four"):
        await cluster.create("codegenerations", _generation(name))
    for name in ("one", "two", "three", "four"):
        await cluster.until(lambda name=name: cluster.version(name) == "1.0.0")

    canary = {"strategy": "Canary", "percent": 50, "maxFailures": 0}
    await cluster.template(
        "CodeTemplate", "fastapi-1.1.0", _spec("1.1.0", marker="BAD" if bad else "", rollout=canary)
    )
    rollout = await cluster.until(
        lambda: (
            (
                (cluster.obj("codetemplates", "fastapi-1.1.0").get("status") or {}).get("rollout")
                or {}
            ).get("phase")
            in ("Halted", "Complete")
            and cluster.obj("codetemplates", "fastapi-1.1.0")["status"]["rollout"]
        )
    )
    assert len(rollout["canaries"]) == 2
    if bad:
        assert rollout["phase"] == "Halted" and len(rollout["failed"]) == 1
        halted = cluster.condition("codetemplates", "fastapi-1.1.0", "RolloutHalted")
        assert halted["status"] == "True" and "maxFailures 0" in halted["message"]
        await cluster.until(lambda: "RolloutHalted" in cluster.reasons())
        others = [
            n for n in ("one", "two", "three", "four") if f"{NS}/{n}" not in rollout["canaries"]
        ]
        assert [cluster.version(n) for n in others] == ["1.0.0", "1.0.0"]
    else:
        assert rollout["phase"] == "Complete" and len(rollout["succeeded"]) == 2
        for name in ("one", "two", "three", "four"):
            await cluster.until(lambda name=name: cluster.version(name) == "1.1.0")


async def test_template_tests_run_in_a_job_with_the_job_executor(
    kmock: Any, kube_api: client.ApiClient
) -> None:
    from kodegen.controller import kube, names

    for plural, kind, namespaced in (
        ("codegenerations", "CodeGeneration", True),
        ("codetemplates", "CodeTemplate", True),
        ("clustercodetemplates", "ClusterCodeTemplate", False),
    ):
        kmock.resources[f"{GROUP}/{plural}"] = {
            "kind": kind,
            "namespaced": namespaced,
            "subresources": ["status"],
            "verbs": VERBS,
        }
    found = Cluster(kmock, kube_api)
    found.op = main.build(settings.Settings(executor="job", metrics_port=0), kube.Kube(kube_api))
    stop, task = await start_operator(found.op)
    try:
        await found.template("ClusterCodeTemplate", "fastapi-1.0.0", _spec("1.0.0"))
        job = await found.until(
            lambda: next(
                (
                    dict(o.raw)
                    for (r, ns, n), o in kmock.objects.items()
                    if r.plural == "jobs" and ns == "kodegen-system" and not o.deleted
                ),
                None,
            )
        )
        assert job["metadata"]["ownerReferences"][0]["kind"] == "ClusterCodeTemplate"
        assert job["metadata"]["name"].startswith("fastapi-1.0.0-test-")
        command = job["spec"]["template"]["spec"]["containers"][0]["command"]
        request = command[command.index("--request") + 1]
        code = await asyncio.to_thread(main.run_job, "kodegen-system", request, kube.Kube(kube_api))
        assert code == 0  # the real gates, in the "pod"
        await asyncio.to_thread(
            found.op.kube.batch.patch_namespaced_job_status,
            job["metadata"]["name"],
            "kodegen-system",
            {"status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}},
        )
        await found.until(
            lambda: (
                found.condition("clustercodetemplates", "fastapi-1.0.0", "Ready", None).get(
                    "status"
                )
                == "True"
            )
        )
        assert found.obj(
            "configmaps",
            names.template_result(
                "fastapi-1.0.0", job["metadata"]["labels"][names.LABEL_INPUT_HASH]
            ),
            "kodegen-system",
        )
    finally:
        await stop_operator(stop, task)


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture()
def git_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A template repository served by `git daemon` on 127.0.0.1: (URL, work tree)."""
    served, work = tmp_path / "served", tmp_path / "work"
    served.mkdir()
    _git("init", "-q", "--bare", str(served / "r.git"), cwd=tmp_path)
    shutil.copytree(FOLDER, work / FAMILY / "1.1.0")
    spec = yaml.safe_load((FOLDER / "template.yaml").read_text())
    spec["version"] = "1.1.0"
    (work / FAMILY / "1.1.0" / "template.yaml").write_text(yaml.safe_dump(spec))
    readme = work / FAMILY / "1.1.0" / "files" / "README.md.j2"
    readme.write_text(readme.read_text() + "\nversion 1.1.0\n")
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "1.1.0", cwd=work)
    _git("push", "-q", str(served / "r.git"), "main", cwd=work)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={served}",
            "--export-all",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "git daemon did not start"
                time.sleep(0.02)  # polling a real server's start-up
        yield f"git://127.0.0.1:{port}/r.git", work
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


async def test_a_version_from_git_rolls_out_is_deprecated_and_its_content_is_pinned(
    cluster: Cluster, git_server: tuple[str, Path]
) -> None:
    url, work = git_server
    await cluster.template("ClusterCodeTemplate", "fastapi-1.0.0", _spec("1.0.0"))
    await cluster.until(
        lambda: (
            cluster.condition("clustercodetemplates", "fastapi-1.0.0", "Ready", None).get("status")
            == "True"
        )
    )
    await cluster.create("codegenerations", _generation("api"))
    await cluster.until(lambda: cluster.version("api") == "1.0.0")

    # 1.1.0 published from Git, Automatic: validated, then every user moves.
    spec = yaml.safe_load((work / FAMILY / "1.1.0" / "template.yaml").read_text())
    spec["tests"] = spec["tests"][:1]
    spec["source"] = {"git": {"url": url, "ref": "main", "path": f"{FAMILY}/1.1.0"}}
    spec["rollout"] = {"strategy": "Automatic"}
    await cluster.template("ClusterCodeTemplate", "fastapi-1.1.0", spec)
    status = await cluster.until(
        lambda: (
            cluster.condition("clustercodetemplates", "fastapi-1.1.0", "Ready", None).get("status")
            == "True"
            and cluster.obj("clustercodetemplates", "fastapi-1.1.0", None)["status"]
        )
    )
    assert status["commit"] == _git("rev-parse", "HEAD", cwd=work)
    await cluster.until(lambda: cluster.version("api") == "1.1.0")
    await cluster.until(
        lambda: (
            cluster.obj("clustercodetemplates", "fastapi-1.1.0", None)["status"].get("usedBy") == 1
        )
    )

    # Deprecating it moves its users off it.
    patch = {"spec": {"deprecated": True}, "metadata": {"generation": 2}}
    await asyncio.to_thread(
        cluster.custom.patch_cluster_custom_object,
        "kodegen.dev",
        "v1alpha1",
        "clustercodetemplates",
        "fastapi-1.1.0",
        patch,
    )
    await cluster.until(lambda: cluster.version("api") == "1.0.0")

    # The branch moves: same version, other content. Refused, never used.
    readme = work / FAMILY / "1.1.0" / "files" / "README.md.j2"
    readme.write_text(readme.read_text() + "\nchanged\n")
    _git("commit", "-q", "-am", "changed under the same version", cwd=work)
    _git("push", "-q", str(work.parent / "served" / "r.git"), "main", cwd=work)
    patch = {"spec": {"deprecated": False}, "metadata": {"generation": 3}}
    await asyncio.to_thread(
        cluster.custom.patch_cluster_custom_object,
        "kodegen.dev",
        "v1alpha1",
        "clustercodetemplates",
        "fastapi-1.1.0",
        patch,
    )
    changed = await cluster.until(
        lambda: cluster.condition("clustercodetemplates", "fastapi-1.1.0", "ContentChanged", None)
    )
    assert changed["status"] == "True" and "publish a new version" in changed["message"]
    assert (
        cluster.condition("clustercodetemplates", "fastapi-1.1.0", "Ready", None)["status"]
        == "False"
    )
    await cluster.until(lambda: "ContentChanged" in cluster.reasons())
    await cluster.regenerate("api", "after the change")
    await asyncio.sleep(0.5)  # a reconcile that could move it, if the rules allowed it
    assert cluster.version("api") in ("1.0.0", None)
    assert (
        (cluster.obj("codegenerations", "api")["status"]["resolvedTemplate"]["version"]) == "1.0.0"
    )


async def test_an_invalid_variable_schema_is_never_ready(cluster: Cluster) -> None:
    spec = _spec("1.0.0")
    spec["variables"] = [{"name": "9lives", "type": "integer"}]
    await cluster.template("ClusterCodeTemplate", "bad-vars", spec)
    ready = await cluster.until(
        lambda: cluster.condition("clustercodetemplates", "bad-vars", "Ready", None)
    )
    assert ready["status"] == "False" and ready["reason"] == "InvalidTemplate"
    assert "variables" in ready["message"]
