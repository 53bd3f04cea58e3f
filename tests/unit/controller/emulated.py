"""kmock's emulator as the controller's decision tests use it: every resource the operator
touches declared, the official client on it, and the few reads and writes tests assert with.

The sync client runs in a thread (`Emulated.call`), since the emulator answers on the test's
event loop.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any, TypeVar

import kmock as kmock_
from kubernetes import client

from kodegen.controller import kube

NS = "team-a"
VERBS = ["list", "watch", "get", "create", "patch", "update", "delete"]
RESOURCES = {
    "kodegen.dev/v1alpha1/codegenerations": {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
    },
    "kodegen.dev/v1alpha1/codetemplates": {
        "kind": "CodeTemplate",
        "namespaced": True,
        "subresources": ["status"],
    },
    "v1/configmaps": {"kind": "ConfigMap", "namespaced": True},
    "v1/secrets": {"kind": "Secret", "namespaced": True},
    "v1/events": {"kind": "Event", "namespaced": True},
    "v1/namespaces": {"kind": "Namespace", "namespaced": False},
    "batch/v1/jobs": {"kind": "Job", "namespaced": True, "subresources": ["status"]},
    "v1/serviceaccounts": {"kind": "ServiceAccount", "namespaced": True},
    "rbac.authorization.k8s.io/v1/rolebindings": {"kind": "RoleBinding", "namespaced": True},
    "kopf.dev/v1/clusterkopfpeerings": {"kind": "ClusterKopfPeering", "namespaced": False},
}
R = TypeVar("R")


def api(kmock: Any) -> client.ApiClient:
    """Declare every resource on `kmock` and return a client of it (close it after the test)."""
    for resource, info in RESOURCES.items():
        kmock.resources[resource] = {**info, "verbs": VERBS}
    return client.ApiClient(client.Configuration(host=str(kmock.url).rstrip("/")))


class Emulated:
    """The emulator and a `Kube` on it; `plural` is the kodegen kind the test applies."""

    plural = "codegenerations"

    def __init__(self, kmock: Any, api: client.ApiClient) -> None:
        self.kmock, self.kube = kmock, kube.Kube(api)
        self.custom = client.CustomObjectsApi(api)

    async def call(self, function: Callable[..., R], *args: Any) -> R:
        return await asyncio.to_thread(function, *args)

    def objects(self, resource: str) -> dict[str, dict[str, Any]]:
        return {
            name: dict(obj.raw)
            for (res, ns, name), obj in self.kmock.objects.items()
            if _path(res) == resource and ns == NS and not obj.deleted
        }

    def body(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.objects(f"kodegen.dev/v1alpha1/{self.plural}")[name])

    def conditions(self, name: str) -> dict[str, tuple[str, str]]:
        status = self.body(name).get("status") or {}
        return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions", [])}

    def events(self) -> list[tuple[str, str]]:
        return sorted((e["type"], e["reason"]) for e in self.objects("v1/events").values())

    async def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        await self.call(
            self.custom.create_namespaced_custom_object,
            "kodegen.dev",
            "v1alpha1",
            NS,
            self.plural,
            copy.deepcopy(body),
        )
        return self.body(body["metadata"]["name"])


def refusing(kmock: Any, status: int) -> Callable[[Any], kmock_.Response]:
    """A reaction answering a create with `status` *and storing nothing*: the emulator stores
    what is created before a reaction answers, where a real API server that refuses a create
    (RBAC, quota, admission, an invalid body) stores nothing."""

    def refuse(request: Any) -> kmock_.Response:
        del kmock.objects[request.resource, request.namespace, request.data["metadata"]["name"]]
        return kmock_.Response(status=status)

    return refuse


def _path(resource: Any) -> str:
    group = f"{resource.group}/" if resource.group else ""
    return f"{group}{resource.version}/{resource.plural}"
