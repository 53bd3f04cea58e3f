"""Publish generated files as ConfigMaps through the Kubernetes API, and read them back.

The layout (one index ConfigMap named after the output, numbered chunks, the index format, the
keys, the chunk size) is `outputs.configmap_layout`'s; `encode` and `decode` are re-exported
here so the whole API is `configmaps.encode/decode/publish/fetch`.

`publish` writes the chunks first and the index last, then deletes the chunks of a previous,
larger output (found by label, never by guessing names): a reader that follows the index never
meets a missing chunk. A reader racing a publish of different content may see a chunk of the
new output under the old index; `fetch` tells that apart (digest annotation) and raises a
retryable `OutputError`. Each object is created, or patched to equal its body (JSON merge patch
with the resourceVersion read, so a concurrent change is retried, not overwritten); an object
already equal is left alone, so publishing the same files again writes nothing. A name taken by
a ConfigMap that is not part of the output is never overwritten. The Kubernetes client's
exceptions never escape: they become `errors.OutputError` with the cause chained.
"""

from __future__ import annotations

import contextlib
import json
import types
from collections.abc import Iterator, Mapping
from typing import Any

import urllib3
from kubernetes import client

from kodegen import errors
from kodegen.outputs import configmap_layout

__all__ = ["CHUNK_BYTES", "INDEX_KEY", "decode", "encode", "fetch", "publish"]

encode = configmap_layout.encode
decode = configmap_layout.decode
CHUNK_BYTES = configmap_layout.CHUNK_BYTES
INDEX_KEY = configmap_layout.INDEX_KEY

_MERGE_PATCH = "application/merge-patch+json"
_ATTEMPTS = 5
"""Create-or-patch attempts for one object while others keep creating or changing it."""


def publish(
    api: client.CoreV1Api,
    files: Mapping[str, bytes],
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str] = types.MappingProxyType({}),
    owner: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write `files` as the output `name` in `namespace` (see the module doc); return the names
    of the ConfigMaps written, the index first. Idempotent.

    Raises `errors.InputError` (see `encode`) before any write; `errors.OutputError`, also
    before any write, when one of the names is taken by a ConfigMap that is not part of this
    output (another output's, or not kodegen's), and when the API refuses or cannot be reached
    (`retryable` tells which).
    """
    bodies = encode(files, name=name, namespace=namespace, labels=labels, owner=owner)
    order = [*bodies[1:], bodies[0]]  # chunks first, the index last
    current: dict[str, dict[str, Any] | None] = {}
    for body in order:
        found = current[body["metadata"]["name"]] = _read(
            api, name=body["metadata"]["name"], namespace=namespace
        )
        if found is not None and configmap_layout.output_of(found) != name:
            raise errors.OutputError(
                output=f"configmap {namespace}/{body['metadata']['name']}",
                reason=f"exists and is not part of output {name} (label "
                f"{configmap_layout.OUTPUT_LABEL}={configmap_layout.output_of(found)}); "
                "nothing was written: choose another output name, or delete that ConfigMap",
            )
    for body in order:
        _apply(api, body, current[body["metadata"]["name"]])
    written = [body["metadata"]["name"] for body in bodies]
    _delete_stale(api, name=name, namespace=namespace, keep=set(written))
    return written


def fetch(api: client.CoreV1Api, *, name: str, namespace: str) -> dict[str, bytes]:
    """The files of the output `name` in `namespace`, checked against their digests: what
    `outputs.directory.publish` takes.

    Raises `errors.OutputError` when the output is missing, incomplete or corrupt, or the API
    refuses or cannot be reached.
    """
    index = _read(api, name=name, namespace=namespace)
    if index is None:
        raise errors.OutputError(
            output=f"configmap {namespace}/{name}",
            reason="not found; check the name and namespace, and that the CodeGeneration "
            "has published (status.output)",
            status=404,
        )
    configmaps = [index]
    for chunk_name in configmap_layout.chunk_names(index):
        chunk = _read(api, name=chunk_name, namespace=namespace)
        if chunk is not None:
            configmaps.append(chunk)
    return decode(configmaps)


def _read(api: client.CoreV1Api, *, name: str, namespace: str) -> dict[str, Any] | None:
    """The ConfigMap as the API's JSON (camelCase), or None when there is none."""
    with _translated("read", namespace, name):
        try:
            found = api.read_namespaced_config_map(name, namespace)
        except client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        result: dict[str, Any] = api.api_client.sanitize_for_serialization(found)
        return result


def _apply(
    api: client.CoreV1Api, body: Mapping[str, Any], current: Mapping[str, Any] | None
) -> None:
    """Create the ConfigMap, or patch it to equal `body`; nothing when it already does.
    `current`: the object as just read (None: absent)."""
    name, namespace = body["metadata"]["name"], body["metadata"]["namespace"]
    for attempt in range(_ATTEMPTS):
        if attempt:
            current = _read(api, name=name, namespace=namespace)
        with _translated("write", namespace, name):
            try:
                if current is None:
                    api.create_namespaced_config_map(
                        namespace, client.V1ConfigMap.model_validate(dict(body))
                    )
                elif patch := _merge_patch(current, body):
                    api.patch_namespaced_config_map(
                        name, namespace, patch, _content_type=_MERGE_PATCH
                    )
                return
            except client.exceptions.ApiException as exc:
                # 409: created, or changed, by someone else since we read it; 404 on a patch:
                # deleted since. Look again. (A 404 on a create is a missing namespace.)
                if exc.status != 409 and (current is None or exc.status != 404):
                    raise
    raise errors.OutputError(
        output=f"configmap {namespace}/{name}",
        reason=f"kept changing under us ({_ATTEMPTS} attempts to create or patch it); "
        "is another writer publishing the same output? try again",
        status=409,
        retryable=True,
    )


def _merge_patch(current: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning `current` into `body` in every field `body`
    sets; empty when there is nothing to change."""
    have, want = current.get("metadata", {}), body["metadata"]
    metadata: dict[str, Any] = {}
    for field in ("labels", "annotations"):
        if changes := _map_patch(have.get(field) or {}, want.get(field) or {}):
            metadata[field] = changes
    if (have.get("ownerReferences") or None) != (want.get("ownerReferences") or None):
        metadata["ownerReferences"] = want.get("ownerReferences")
    patch: dict[str, Any] = {}
    for field in ("data", "binaryData"):
        if changes := _map_patch(current.get(field) or {}, body.get(field) or {}):
            patch[field] = changes
    if metadata:
        patch["metadata"] = metadata
    if patch and have.get("resourceVersion"):
        patch.setdefault("metadata", {})["resourceVersion"] = have["resourceVersion"]
    return patch


def _map_patch(have: Mapping[str, Any], want: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {key: value for key, value in want.items() if have.get(key) != value}
    changes.update({key: None for key in have if key not in want})
    return changes


def _delete_stale(api: client.CoreV1Api, *, name: str, namespace: str, keep: set[str]) -> None:
    """Delete the chunks of output `name` that are not in `keep` (a previous, larger output)."""
    output, role = configmap_layout.OUTPUT_LABEL, configmap_layout.ROLE_LABEL
    selector = f"{output}={name},{role}=chunk,{configmap_layout.MANAGED_BY}=kodegen"
    with _translated("list", namespace, f"-l {selector}"):
        found = api.list_namespaced_config_map(namespace, label_selector=selector).items
    for item in found:
        labels = (item.metadata.labels if item.metadata else None) or {}
        stale = item.metadata.name if item.metadata else None
        # the selector again: a server (or test double) ignoring it must not cost other objects
        if labels.get(output) != name or labels.get(role) != "chunk":
            continue
        if stale is None or stale in keep:
            continue
        with _translated("delete", namespace, stale):
            try:
                api.delete_namespaced_config_map(stale, namespace)
            except client.exceptions.ApiException as exc:
                if exc.status != 404:
                    raise


@contextlib.contextmanager
def _translated(action: str, namespace: str, name: str) -> Iterator[None]:
    """The Kubernetes client's failures as `errors.OutputError` (the cause is chained)."""
    output = f"configmap {namespace}/{name}"
    try:
        yield
    except client.exceptions.ApiException as exc:
        status = exc.status if isinstance(exc.status, int) else None
        raise errors.OutputError(
            output=output,
            reason=f"the Kubernetes API refused to {action} it: {status} {exc.reason}: "
            f"{_message(exc.body)}{_hint(status, namespace)}",
            status=status,
            retryable=status is None or status in (409, 429) or status >= 500,
        ) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise errors.OutputError(
            output=output,
            reason=f"the Kubernetes API could not be reached to {action} it: {exc}; "
            "check the kubeconfig or the in-cluster service account, then try again",
            retryable=True,
        ) from exc


def _message(body: str | None) -> str:
    """The `message` of the API's Status answer, or the start of the body."""
    try:
        message = json.loads(body or "").get("message")
    except (ValueError, AttributeError):
        message = None
    text = str(message or body or "no details")
    return text if len(text) <= 300 else text[:300] + "…"


def _hint(status: int | None, namespace: str) -> str:
    if status in (401, 403):
        return (
            f"; grant get, list, create, patch and delete on configmaps in namespace "
            f"{namespace} to the identity kodegen runs as"
        )
    if status == 404:
        return f"; does namespace {namespace} exist?"
    if status == 422:
        return "; is the ConfigMap marked immutable? delete it and publish again"
    return ""
