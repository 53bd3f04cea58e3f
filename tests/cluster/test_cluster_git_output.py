"""`spec.output.git` against the real control plane: the operator (its shipped RBAC, the Job
executor) runs the Petstore through a Job whose pod gets the Secret's token as an optional
`secretKeyRef` variable, and publishes to a real `git http-backend` on 127.0.0.1 behind token
auth. A protected branch then fails the next run at once with `Published=False`,
reason `GitProtectedBranch`. No credential appears in the status, an Event or the Job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import controlplane
import kodegen_operator
import node_agent
import pytest
from kubernetes import client
from test_cluster_operator import GROUP, VERSION, Generations, _condition
from tests import gitservers

TOKEN = gitservers.TOKEN


@pytest.fixture(scope="module")
def operator(
    deployed: Path, control_plane: controlplane.ControlPlane, agent: node_agent.NodeAgent
) -> Iterator[kodegen_operator.Operator]:
    running = kodegen_operator.Operator(deployed, control_plane.folder / "operator-git.log")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture()
def generations(
    admin: client.ApiClient,
    agent: node_agent.NodeAgent,
    operator: kodegen_operator.Operator,
    namespace: str,
) -> Generations:
    return Generations(admin, agent, operator, namespace)


def _everything(generations: Generations, name: str) -> str:
    events = generations.core.list_namespaced_event(generations.namespace).items
    jobs = [j.to_dict() for j in generations.jobs()]
    status = generations.read(name).get("status")
    return json.dumps([status, [e.message for e in events], jobs], default=str)


def test_the_operator_publishes_to_git_then_a_protected_branch_fails_the_run(
    generations: Generations, tmp_path: Path
) -> None:
    root = tmp_path / "served"
    repository = gitservers.bare(root / "team")
    gitservers.seed(repository, {"README.md": "team repo\n"})
    generations.core.create_namespaced_secret(
        generations.namespace, {"metadata": {"name": "push"}, "stringData": {"token": TOKEN}}
    )
    with gitservers.SmartHttp(root) as http:
        git = {
            "url": http.url("team/r.git"),
            "branch": "main",
            "path": "services/petstore",
            "secretRef": {"name": "push"},
        }
        generations.create("petstore-api", output={"git": git})
        body = generations.ready("petstore-api")
        published = body["status"]["output"]["git"]
        head = gitservers.git("rev-parse", "main", cwd=repository)
        assert (published["commit"], published["branch"], published["changed"]) == (
            head,
            "main",
            True,
        ), generations.explain("petstore-api")
        assert "services/petstore/.kodegen/provenance.json" in gitservers.tree(repository)
        message = gitservers.git("log", "-1", "--format=%B", "main", cwd=repository)
        assert f"Kodegen-Input-Hash: {body['status']['inputHash']}" in message

        gitservers.protect(repository, "main")
        generations.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            generations.namespace,
            "codegenerations",
            "petstore-api",
            {"spec": {"regenerate": "again", "variables": {"packageName": "petstore2"}}},
        )

        def refused() -> dict[str, Any] | None:
            found = generations.read("petstore-api")
            condition = _condition(found, "Published")
            if condition and condition.get("reason") == "GitProtectedBranch":
                return found
            return None

        failed = controlplane.wait_for(
            refused, timeout=300, message=lambda: generations.explain("petstore-api")
        )
        assert failed["status"]["phase"] == "Failed"
        assert gitservers.git("rev-parse", "main", cwd=repository) == head
        assert TOKEN not in _everything(generations, "petstore-api")
