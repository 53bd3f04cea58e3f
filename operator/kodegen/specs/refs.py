"""Internal `$ref` handling: JSON pointers, a check that every reference resolves, deref."""

from __future__ import annotations

import bisect
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from kodegen import errors

COMPONENT_SCHEMA = "#/components/schemas/"


def escape(segment: object) -> str:
    return str(segment).replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    """One segment of a `$ref` fragment as the key it names: percent-decoded (it is a URI
    fragment), then `~1` -> `/` and `~0` -> `~` (RFC 6901)."""
    return urllib.parse.unquote(segment).replace("~1", "/").replace("~0", "~")


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
        segment = unescape(raw)
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise errors.SpecError(pointer=at, reason=f"$ref {ref!r} points to nothing")
    return node


NAME_MAPS = frozenset(
    {
        "$defs",
        "callbacks",
        "content",
        "definitions",
        "dependencies",
        "dependentSchemas",
        "encoding",
        "examples",
        "headers",
        "links",
        "parameters",
        "pathItems",
        "paths",
        "patternProperties",
        "properties",
        "requestBodies",
        "responses",
        "schemas",
        "securityDefinitions",
        "securitySchemes",
        "webhooks",
    }
)
"""Members whose keys are names the author chose (a property `default`, a response
`default`, a schema `x-rate`), not keywords: every member of theirs may hold references."""


def referable(names: bool, key: str, value: Any) -> bool:
    """Whether the member `key` of an object may hold references: always when the object is
    a map of names (`names`: a member of one of `NAME_MAPS`, itself not a name); else not a
    vendor extension (`x-*`: its content is the vendor's, kodegen neither resolves nor refuses
    a `$ref` in it) and not data (`example`, `enum`, `const`, a schema's `default`, the list
    of `examples`): a `$ref` key there is a value like any other."""
    if names:
        return True
    if key.startswith("x-") or key in ("example", "enum", "const", "default"):
        return False
    return not (key == "examples" and isinstance(value, list))


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every `$ref` in the document with the pointer of the object that holds it, in
    document order, leaving out vendor extensions and data (`referable`); iterative: the
    depth of a document is bounded, but not by the stack."""
    stack: list[tuple[str, bool, Any]] = [(pointer, False, node)]
    while stack:
        where, names, current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and not names:
                yield where, ref
            stack.extend(
                (join(where, k), not names and k in NAME_MAPS, v)
                for k, v in reversed(list(current.items()))
                if referable(names, k, v)
            )
        elif isinstance(current, list):
            stack.extend((join(where, i), False, v) for i, v in reversed(list(enumerate(current))))


def check_cycles(document: Any, *, named: Callable[[str], bool]) -> None:
    """SpecError for a `$ref` that reaches itself again through references that are not
    `named`. A named schema (`#/components/schemas/Pet`) becomes a class, so recursion
    through it is finite; any other reference is read in place, so a loop of them (in
    `paths`, in a property of a schema, anywhere) would never end."""
    holders = sorted(walk(document))  # (pointer of the object holding a $ref, the $ref)
    pointers = [pointer for pointer, _ in holders]

    def inside(ref: str) -> Iterator[tuple[str, str]]:
        """The references inside the node `ref` points to."""
        target = ref[1:]
        start = bisect.bisect_left(pointers, target)
        for pointer, inner in holders[start:]:
            if pointer != target and not pointer.startswith(target + "/"):
                break
            yield pointer, inner

    state: dict[str, int] = {}  # 1: being followed, 2: done
    for holder, first in holders:
        if named(first) or not first.startswith("#") or state.get(first):
            continue
        path: list[tuple[str, str, Iterator[tuple[str, str]]]] = [(holder, first, inside(first))]
        state[first] = 1
        while path:
            _, ref, children = path[-1]
            step = next(children, None)
            if step is None:
                state[ref] = 2
                path.pop()
                continue
            where, inner = step
            if named(inner) or not inner.startswith("#"):
                continue
            if state.get(inner) == 1:
                loop = [r for _, r, _ in path]
                loop = [*loop[loop.index(inner) :], inner]
                raise errors.SpecError(
                    pointer=join(where, "$ref"),
                    reason=f"$ref cycle {' -> '.join(loop)}: a schema that contains itself "
                    "needs a name; move it under components/schemas (or $defs) and refer to "
                    "it by that name",
                )
            if not state.get(inner):
                state[inner] = 1
                path.append((where, inner, inside(inner)))


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
