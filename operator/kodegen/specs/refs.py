"""Internal `$ref` handling: JSON pointers, a check that every reference resolves, deref."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kodegen import errors

COMPONENT_SCHEMA = "#/components/schemas/"


def escape(segment: object) -> str:
    return str(segment).replace("~", "~0").replace("/", "~1")


def join(pointer: str, *segments: object) -> str:
    return pointer + "".join("/" + escape(s) for s in segments)


def lookup(document: Any, ref: str, *, at: str) -> Any:
    """The node a local reference (`#/a/b`) points to; SpecError naming `at` when it doesn't."""
    if not ref.startswith("#"):
        raise errors.SpecError(
            pointer=at, reason=f"external $ref {ref!r} is not supported; inline the document"
        )
    node = document
    for raw in ref[1:].split("/")[1:]:
        segment = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise errors.SpecError(pointer=at, reason=f"$ref {ref!r} points to nothing")
    return node


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every `$ref` in the document with the pointer of the object that holds it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield pointer, ref
        for key, value in node.items():
            yield from walk(value, join(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, join(pointer, index))


def check(document: dict[str, Any]) -> None:
    """Every reference must resolve; chains of references must not loop."""
    for pointer, ref in walk(document):
        deref(document, {"$ref": ref}, at=pointer)


def deref(document: dict[str, Any], node: Any, *, at: str) -> Any:
    """Follow a chain of references to a node that is not one."""
    seen: list[str] = []
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise errors.SpecError(pointer=at, reason=f"$ref cycle {' -> '.join([*seen, ref])}")
        seen.append(ref)
        node = lookup(document, ref, at=at)
    return node
