"""kopf's diff-base (the last handled copy of an object) in `status.kopf`, compressed: it reads
back as it was stored, a copy kopf stored uncompressed still reads, and kopf's own diff of a
changed spec is unchanged."""

from __future__ import annotations

import json
import random
import string
from typing import Any

import kopf

from kodegen.controller import diffbase, handlers

FIELD = f"status.{handlers.STATUS_FIELD}.last-handled-configuration"


def _body(spec: dict[str, Any], status: dict[str, Any] | None = None) -> kopf.Body:
    raw = {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": "petstore-api", "namespace": "team-a", "uid": "u"},
        "spec": spec,
        "status": status or {},
    }
    return kopf.Body(raw)  # type: ignore[arg-type]


def _spec(size: int) -> dict[str, Any]:
    """An OpenAPI-like document of about `size` bytes, of varied words (compressible as real
    specs are, not as one repeated letter)."""
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(400)]
    paths: dict[str, Any] = {}
    written = 0
    while written < size:
        path = "/" + "/".join(rng.choices(words, k=3))
        paths[path] = {"get": {"summary": " ".join(rng.choices(words, k=12))}}
        written += len(json.dumps({path: paths[path]}))
    return {"specification": {"type": "openapi", "openapi": {"inline": {"paths": paths}}}}


def _stored(storage: diffbase.CompressedStatusDiffBase, body: kopf.Body) -> dict[str, Any]:
    patch = kopf.Patch()
    storage.store(body=body, patch=patch, essence=storage.build(body=body))
    return dict(patch)


def test_the_copy_reads_back_as_stored_and_is_compressed() -> None:
    storage = diffbase.CompressedStatusDiffBase(field=FIELD)
    body = _body(_spec(600 * 1024))
    patch = _stored(storage, body)
    text = patch["status"]["kopf"]["last-handled-configuration"]
    assert text.startswith(diffbase.PREFIX)
    assert len(text) < len(json.dumps(body["spec"])) / 2
    stored = _body(body["spec"], status=patch["status"])
    assert storage.fetch(body=stored) == storage.build(body=body)


def test_an_uncompressed_copy_kopf_stored_still_reads() -> None:
    plain = kopf.StatusDiffBaseStorage(field=FIELD)
    body = _body(_spec(2000))
    patch = kopf.Patch()
    plain.store(body=body, patch=patch, essence=plain.build(body=body))
    stored = _body(body["spec"], status=dict(patch)["status"])
    assert diffbase.CompressedStatusDiffBase(field=FIELD).fetch(body=stored) == plain.fetch(
        body=stored
    )


def test_no_copy_is_none() -> None:
    storage = diffbase.CompressedStatusDiffBase(field=FIELD)
    assert storage.fetch(body=_body({"a": 1})) is None
    assert storage.fetch(body=_body({"a": 1}, status={"kopf": {}})) is None


def test_a_spec_change_is_seen_through_the_stored_copy() -> None:
    storage = diffbase.CompressedStatusDiffBase(field=FIELD)
    before = _body({"suspend": False})
    patch = _stored(storage, before)
    after = _body({"suspend": True}, status=patch["status"])
    old = storage.fetch(body=after)
    new = storage.build(body=after)
    assert old is not None and old["spec"] == {"suspend": False}
    assert new["spec"] == {"suspend": True}
