"""outputs.configmaps against kmock's Kubernetes emulator, through the official client.

The client is synchronous and the emulator answers on the test's event loop, so every call
goes through `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from typing import Any

import kmock as kmock_lib
import pytest
from kubernetes import client

from kodegen import errors
from kodegen.outputs import configmaps

NS = "team-a"
RESOURCE = "v1/configmaps"
OWNER = {
    "apiVersion": "kodegen.dev/v1alpha1",
    "kind": "CodeGeneration",
    "name": "petstore-api",
    "uid": "0b6f6a4e-5d0b-4a8e-9d61-1f1c2b0e6a11",
    "controller": True,
    "blockOwnerDeletion": True,
}
SMALL = {
    ".kodegen/provenance.json": b'{"_type": "https://in-toto.io/Statement/v1"}\n',
    "app/__init__.py": b"",
    "app/main.py": b"print('hi')\r\n",
    "ünïcødé dir/日本語.md": "# 日本語 😀\n".encode(),
    "bin/all-bytes": bytes(range(256)),
}


def big_tree() -> dict[str, bytes]:
    """About 3.5 MiB: a binary file larger than a chunk, and many text files."""
    rng = random.Random(3)
    files = {f"pkg/module_{n:03d}.py": (f"# {n}\n" + "x = 1\n" * 3000).encode() for n in range(100)}
    files["assets/model.bin"] = rng.randbytes(1_500_000)
    return {**files, **SMALL}


@pytest.fixture()
def core(kube_api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(kube_api)


async def publish(core: client.CoreV1Api, files: Mapping[str, bytes], **options: Any) -> list[str]:
    options = {"name": "out", "namespace": NS, "owner": OWNER, **options}
    return await asyncio.to_thread(configmaps.publish, core, files, **options)


async def fetch(core: client.CoreV1Api, name: str = "out") -> dict[str, bytes]:
    return await asyncio.to_thread(configmaps.fetch, core, name=name, namespace=NS)


def stored(kmock: kmock_lib.KubernetesEmulator) -> dict[str, dict[str, Any]]:
    """The live ConfigMaps of namespace NS, by name, as plain JSON."""
    result = {}
    for (resource, namespace, name), obj in kmock.objects.items():
        if resource == kmock_lib.resource(RESOURCE) and namespace == NS and not obj.deleted:
            result[name] = json.loads(json.dumps(obj.raw))
    return result


def writes(kmock: kmock_lib.KubernetesEmulator) -> list[str]:
    return [r.method.value for r in list(kmock) if r.method.value in ("POST", "PATCH", "DELETE")]


async def test_publish_then_fetch_round_trips_byte_for_byte(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    files = big_tree()
    names = await publish(core, files)
    assert names[0] == "out" and names[1:] == [f"out-{n}" for n in range(1, len(names))]
    assert len(names) >= 5
    assert sorted(stored(kmock)) == sorted(names)
    assert await fetch(core) == files


async def test_the_objects_are_the_encoded_bodies_with_owner_and_labels(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    await publish(core, SMALL, labels={"team": "a"})
    objects = stored(kmock)
    expected = configmaps.encode(SMALL, name="out", namespace=NS, labels={"team": "a"}, owner=OWNER)
    assert len(objects) == len(expected) == 2
    for body in expected:
        live = objects[body["metadata"]["name"]]
        assert live["metadata"]["ownerReferences"] == [OWNER]
        assert live["metadata"]["labels"]["kodegen.dev/output"] == "out"
        assert live["metadata"]["labels"]["team"] == "a"
        assert {k: live.get(k) for k in ("data", "binaryData")} == {
            k: body.get(k) for k in ("data", "binaryData")
        }


async def test_publishing_the_same_files_again_writes_nothing(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    first = await publish(core, big_tree())
    before, count = stored(kmock), len(writes(kmock))
    assert await publish(core, big_tree()) == first
    assert stored(kmock) == before
    assert writes(kmock)[count:] == []


async def test_a_changed_tree_is_patched_in_place(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    await publish(core, SMALL, labels={"old": "label"})
    changed = {**SMALL, "app/main.py": b"print('changed')\n", "bin/all-bytes": b"now text\n"}
    del changed["app/__init__.py"]
    await publish(core, changed, owner=None)
    assert await fetch(core) == changed
    chunk = stored(kmock)["out-1"]
    assert "app.__init__.py" not in chunk["data"]  # removed keys are removed
    assert "binaryData" not in chunk or "bin.all-bytes" not in chunk["binaryData"]
    assert "old" not in chunk["metadata"]["labels"]
    assert not chunk["metadata"].get("ownerReferences")


async def test_a_smaller_output_deletes_the_stale_chunks(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    big = await publish(core, big_tree())
    other = await publish(core, SMALL, name="other")  # another output in the namespace
    small = await publish(core, SMALL)
    assert small == ["out", "out-1"]
    assert sorted(stored(kmock)) == sorted(small + other)
    assert len(big) > len(small)
    assert await fetch(core) == SMALL
    assert await fetch(core, "other") == SMALL


async def test_a_deleted_chunk_makes_fetch_fail_clearly(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    await publish(core, big_tree())
    await asyncio.to_thread(core.delete_namespaced_config_map, "out-2", NS)
    with pytest.raises(errors.OutputError, match="chunk ConfigMap out-2 is missing") as caught:
        await fetch(core)
    assert caught.value.output == f"configmap {NS}/out"
    assert not caught.value.retryable


async def test_a_tampered_chunk_makes_fetch_fail_clearly(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    await publish(core, SMALL)
    await asyncio.to_thread(
        core.patch_namespaced_config_map,
        "out-1",
        NS,
        {"data": {"app.main.py": "print('evil')\n"}},
        _content_type="application/merge-patch+json",
    )
    with pytest.raises(errors.OutputError, match=r"file 'app/main\.py' is corrupt"):
        await fetch(core)


async def test_fetching_a_missing_output_says_so(core: client.CoreV1Api) -> None:
    with pytest.raises(errors.OutputError, match=f"configmap {NS}/nothing: not found") as caught:
        await fetch(core, "nothing")
    assert caught.value.status == 404


async def test_a_configmap_that_is_not_part_of_the_output_is_never_overwritten(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    theirs = {"metadata": {"name": "out-1", "namespace": NS}, "data": {"keep": "me"}}
    kmock.objects[RESOURCE, NS, "out-1"] = theirs
    with pytest.raises(errors.OutputError, match="out-1: exists and is not part of output out"):
        await publish(core, SMALL)
    assert stored(kmock) == {"out-1": theirs}  # nothing was written


async def test_api_refusals_become_output_errors(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    kmock["post"] << 403
    with pytest.raises(errors.OutputError, match=r"refused to write it: 403.*grant") as caught:
        await publish(core, SMALL)
    assert caught.value.status == 403 and not caught.value.retryable
    assert isinstance(caught.value.__cause__, client.exceptions.ApiException)


async def test_a_missing_namespace_is_named(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    kmock["post"] << 404
    with pytest.raises(errors.OutputError, match=r"404.*does namespace team-a exist") as caught:
        await publish(core, SMALL)
    assert not caught.value.retryable


async def test_server_errors_are_retryable_output_errors(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    kmock["get"] << 503
    with pytest.raises(errors.OutputError, match="refused to read it: 503") as caught:
        await fetch(core)
    assert caught.value.status == 503 and caught.value.retryable


async def test_a_conflict_on_patch_is_retried(
    core: client.CoreV1Api, kmock: kmock_lib.KubernetesEmulator
) -> None:
    await publish(core, SMALL)
    count = len(writes(kmock))
    kmock["patch"][:2] << 409  # someone else changed the objects between our read and patch
    changed = {**SMALL, "app/main.py": b"print('changed')\n"}
    await publish(core, changed)
    # Both patches were answered 409; the emulator applies a write before a reaction answers,
    # so the re-read after each 409 finds the object right and nothing more is sent.
    assert writes(kmock)[count:].count("PATCH") >= 2
    assert await fetch(core) == changed


async def test_an_unreachable_api_is_a_retryable_output_error() -> None:
    configuration = client.Configuration(host="http://127.0.0.1:9")  # discard: nothing listens
    configuration.retries = 0
    with (
        client.ApiClient(configuration) as api,
        pytest.raises(errors.OutputError, match="could not be reached") as caught,
    ):
        await asyncio.to_thread(configmaps.fetch, client.CoreV1Api(api), name="x", namespace=NS)
    assert caught.value.retryable and caught.value.status is None
