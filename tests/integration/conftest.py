"""Fixtures for tests against kmock's Kubernetes emulator (see shared TESTING.md).

`kube_api` is the official client's `ApiClient` pointed at the `kmock` fixture's emulator (a
real HTTP server on 127.0.0.1, one per test), with the core resources kodegen touches declared
with every verb: v1 configmaps, secrets, events and namespaces, and batch/v1 jobs. Add your own
(the CRDs) with `kmock.resources[...] = {...}`; read objects back from `kmock.objects`.

The client is synchronous and the emulator runs on the test's event loop: call the client
through `asyncio.to_thread(...)` from async tests, never directly (that would block the loop the
emulator answers on).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

VERBS = ["list", "watch", "get", "create", "patch", "update", "delete"]
CORE_RESOURCES = {
    "v1/configmaps": {"kind": "ConfigMap", "namespaced": True},
    "v1/secrets": {"kind": "Secret", "namespaced": True},
    "v1/events": {"kind": "Event", "namespaced": True},
    "v1/namespaces": {"kind": "Namespace", "namespaced": False},
    "batch/v1/jobs": {"kind": "Job", "namespaced": True, "subresources": ["status"]},
    "v1/serviceaccounts": {"kind": "ServiceAccount", "namespaced": True},
    "rbac.authorization.k8s.io/v1/rolebindings": {"kind": "RoleBinding", "namespaced": True},
}


@pytest.fixture()
def kube_api(kmock: Any) -> Iterator[client.ApiClient]:
    """An `ApiClient` for the emulator, with the core resources declared (module doc)."""
    for resource, info in CORE_RESOURCES.items():
        kmock.resources[resource] = {**info, "verbs": VERBS}
    configuration = client.Configuration(host=str(kmock.url).rstrip("/"))
    api = client.ApiClient(configuration)
    try:
        yield api
    finally:
        api.close()


async def start_operator(op: Any) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """Run the real kopf operator (`controller.main.run`, standalone) on the test's loop until
    it is ready; give the result to `stop_operator`."""
    from kodegen.controller import main

    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(main.run(op, standalone=True, stop_flag=stop, ready_flag=ready))
    await asyncio.wait_for(ready.wait(), 30)
    return stop, task


async def stop_operator(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Stop it as a signal would; kopf ends its own tasks by cancelling them."""
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 60)
    assert task.done()
