"""Multi-file specs -> one self-contained document (`bundle`), before any parser sees them.

    bundle(document, name=..., source=..., remote=...)  the entry document with every
                                                         `$ref` to another document inlined

A `$ref` that names another document (`paths/menu.yaml`, `./common.yaml#/components/schemas/
Pet`, `spdx.schema.json`, `https://geojson.org/schema/Feature.json`) is resolved against the
document that holds it (so a file refers to its own siblings), read from the `source` (a
folder, a ConfigMap's keys, a Git checkout: `documents.sources`) or, for an allowed URL prefix
only, fetched (`documents.remote`); the well-known JSON Schema metaschemas are read from the
copies the `jsonschema` package ships, never fetched. Each target is placed once:

- where the entry document already names it (`components: {schemas: {Pet: {$ref: Pet.yaml}}}`,
  `definitions`, `$defs`, any `components/<kind>/<name>`): there;
- a schema (any `$ref` inside a schema) gets a name of its own in the document's schema
  section (`components/schemas`, Swagger's `definitions`, JSON Schema's `$defs` or
  `definitions`), named after its pointer's last segment or its file (`Pet.yaml` -> `Pet`,
  `spdx.schema.json` -> `spdx`), so recursion through it stays finite and it becomes a model;
- anything else (a path item, a response, a parameter) is inlined where it is first used;

and every other `$ref` to it becomes a local one (`#/components/schemas/Pet`). A `$ref` to a
place inside a document placed whole points into that place. An `example` that is a `$ref`
to a file (a common habit: `example: {$ref: examples/order.json}`) becomes that file's content.
Members beside a `$ref` outside schemas are dropped but `summary` and `description` (an
OpenAPI Reference Object ignores the others). Vendor extensions (`x-*`) and data (`enum`,
`const`, `default`, `examples` lists) are copied as they are, `$ref`s included. JSON Schema's
`$recursiveRef: "#"` (2019-09) and `$dynamicRef` (2020-12) become plain `$ref`s where the
dynamic scope is known statically (the entry document's anchor, else the holding document's).

Refused, with one line naming the reference and the fix: a reference that leaves the source's
root (`../../etc/passwd`, an absolute path, a symlink out), a document or fragment that is
missing, a remote URL nobody allowed, other URI schemes, a chain of references that returns
to itself, more than `Limits.max_documents` documents or `Limits.max_bytes` bytes in all, a
bundled document nested deeper than `Limits.max_depth`. Without a `source` (an inline
document), a reference to a file is refused with how to give the files.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import posixpath
import re
import urllib.parse
from typing import Any

from kodegen import errors
from kodegen.documents import limits as limits_
from kodegen.documents import loading, sources
from kodegen.documents import remote as remote_
from kodegen.specs import metaschemas, refs

__all__ = ["Target", "bundle"]

SUFFIXES = (".json", ".yaml", ".yml")
"""Tried in turn when a reference names a file without its suffix (`meta/core`), as the
JSON Schema metaschemas refer to each other."""

TEXTS = (".md", ".markdown", ".txt", ".html")
"""Files read as text, not as YAML: `description: {$ref: intro.md}` (a Redocly habit) is
that file's text."""

ENTRY = ""
"""The key of the entry document among the loaded ones."""

_OWN = "urn:kodegen:"
"""References the bundler writes itself (a dynamic reference resolved to the entry or to a
file), so that they name a loaded document whatever document holds them."""


@dataclasses.dataclass(frozen=True, order=True)
class Target:
    """A place a `$ref` names: a document (ENTRY, a file name in the source, or a URL) and
    a JSON pointer in it."""

    document: str
    pointer: str


def bundle(
    document: dict[str, Any],
    *,
    name: str = "",
    source: sources.Source | None = None,
    remote: remote_.Remote | None = None,
    limits: limits_.Limits = limits_.DEFAULT,
) -> dict[str, Any]:
    """`document` (the entry, called `name` in `source`) with every reference to another
    document inlined as described in the module doc."""
    return _Bundler(document, name, source, remote, limits).run()


class _Bundler:
    def __init__(
        self,
        entry: dict[str, Any],
        name: str,
        source: sources.Source | None,
        fetcher: remote_.Remote | None,
        limits: limits_.Limits,
    ) -> None:
        self.entry, self.name, self.source, self.remote = entry, name, source, fetcher
        self.limits = limits
        self.kind = "openapi" if "openapi" in entry else "swagger" if "swagger" in entry else ""
        self.section = _section(entry, self.kind)
        self.documents: dict[str, Any] = {ENTRY: entry}
        self.aliases: dict[str, str] = {}  # a name written without suffix -> the file read
        self.total = self.nodes = 0
        self.homes: dict[Target, str] = {}
        self.pending: collections.deque[tuple[Target, str, str]] = collections.deque()
        existing = _get(entry, self.section)
        self.taken = set(existing) if isinstance(existing, dict) else set()
        self.chain: list[Target] = []
        self.base_id = None if self.kind else _base_id(entry)

    # -- the walk ------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.home_named_entries()
        out = self.copy(ENTRY, self.entry, "", 0, not self.kind)
        while self.pending:
            target, home, name = self.pending.popleft()
            content = self.copy(target.document, self.find(target, at=home), home, 2, True)
            holder = out
            for segment in self.section:
                child = holder.setdefault(segment, {})
                if not isinstance(child, dict):
                    raise errors.SpecError(
                        pointer=refs.join("", *self.section), reason="must be a mapping"
                    )
                holder = child
            holder[name] = content
        return out  # type: ignore[no-any-return]

    def home_named_entries(self) -> None:
        """Targets the entry names in its own component sections are placed there."""
        for pointer, ref in refs.walk(self.entry):
            parts = pointer.split("/")[1:]
            named = (
                (len(parts) == 3 and parts[0] == "components")
                or (len(parts) == 2 and parts[0] in ("definitions", "$defs", "parameters"))
                or (len(parts) == 2 and parts[0] == "responses" and self.kind == "swagger")
            )
            if named and not ref.startswith("#"):
                target = self.target(ENTRY, ref, at=pointer)
                if target.document != ENTRY:
                    self.homes.setdefault(target, pointer)

    def copy(
        self, document: str, node: Any, pointer: str, depth: int, schema: bool, names: str = ""
    ) -> Any:
        """`node` of `document`, placed at `pointer` of the output, references rewritten;
        `schema`: it is (in) a schema; `names`: it is a map of names (`properties`, `paths`,
        ...: the keyword that holds it), whose keys are never keywords."""
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise errors.SpecError(pointer=pointer, reason=_too_many(self.limits))
        if depth > self.limits.max_depth and isinstance(node, dict | list):
            raise errors.SpecError(
                pointer=pointer,
                reason=f"nested more than {self.limits.max_depth} levels deep once the "
                "documents it refers to are inlined (limits.max_depth); give the deepest "
                "schemas names (components/schemas, $defs) and refer to them",
            )
        if isinstance(node, list):
            return [
                self.copy(document, item, refs.join(pointer, index), depth + 1, schema)
                for index, item in enumerate(node)
            ]
        if not isinstance(node, dict):
            return node
        if names:
            return {
                key: self.copy(
                    document, value, refs.join(pointer, key), depth + 1, self.named(schema, names)
                )
                for key, value in node.items()
            }
        if not self.kind:
            node = self.dynamic(document, node, pointer)
        members = self.members(document, node, pointer, depth, schema)
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self.reference(document, ref, members, pointer, depth, schema)
        return members

    def named(self, schema: bool, names: str) -> bool:
        """Whether the members of the map of names `names` are schemas."""
        return (
            schema
            or (names == "schemas" and self.kind == "openapi")
            or (names == "definitions" and self.kind == "swagger")
        )

    def members(
        self, document: str, node: dict[str, Any], pointer: str, depth: int, schema: bool
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in node.items():
            at = refs.join(pointer, key)
            if key == "$ref" and isinstance(value, str):
                continue  # `reference` writes it
            if key == "example":
                result[key] = self.example(document, value, at)
            elif not refs.referable(False, key, value):
                result[key] = value
            else:
                inside = schema or key == "schema"
                names = key if key in refs.NAME_MAPS else ""
                result[key] = self.copy(document, value, at, depth + 1, inside, names)
        return result

    def reference(
        self,
        document: str,
        ref: str,
        siblings: dict[str, Any],
        pointer: str,
        depth: int,
        schema: bool,
    ) -> Any:
        target = self.target(document, ref, at=pointer)
        if not schema and self.kind:
            # an OpenAPI Reference Object: other members "SHALL be ignored" (3.0 and 3.1);
            # 3.1's summary and description replace the target's
            siblings = {k: v for k, v in siblings.items() if k in ("summary", "description")}
        if target.document == ENTRY:
            return {"$ref": "#" + target.pointer, **siblings}
        home = self.home(target, pointer, schema)
        if home != pointer:
            return {"$ref": "#" + home, **siblings}
        # placed here: the target's content instead of the reference
        if target in self.chain:
            loop = " -> ".join(_show(t) for t in [*self.chain[self.chain.index(target) :], target])
            raise errors.SpecError(
                pointer=refs.join(pointer, "$ref"),
                reason=f"$ref cycle {loop}: each document refers to the next and none holds "
                "content; remove one of the references",
            )
        self.chain.append(target)
        try:
            content = self.copy(
                target.document, self.find(target, at=pointer), pointer, depth, schema
            )
        finally:
            self.chain.pop()
        if isinstance(content, dict) and siblings:
            return {**content, **siblings}
        return content

    def home(self, target: Target, pointer: str, schema: bool) -> str:
        """Where `target` is placed in the output (chosen on its first use)."""
        if target in self.homes:
            return self.homes[target]
        for placed, at in self.homes.items():  # inside a document placed whole
            if placed.document == target.document and target.pointer.startswith(
                placed.pointer + "/"
            ):
                return at + target.pointer[len(placed.pointer) :]
        if not schema:
            self.homes[target] = pointer
            return pointer
        name = self.fresh(_name(target))
        home = refs.join("", *self.section, name)
        self.homes[target] = home
        self.pending.append((target, home, name))
        return home

    def fresh(self, name: str) -> str:
        candidate, number = name, 2
        while candidate in self.taken:
            candidate, number = f"{name}_{number}", number + 1
        self.taken.add(candidate)
        return candidate

    def example(self, document: str, value: Any, pointer: str) -> Any:
        """An `example` that is only a `$ref` to another document: that document, as data."""
        if (
            isinstance(value, dict)
            and len(value) == 1
            and isinstance(value.get("$ref"), str)
            and not value["$ref"].startswith("#")
        ):
            return self.find(self.target(document, value["$ref"], at=pointer), at=pointer)
        return value

    # -- JSON Schema's dynamic references ------------------------------------------------------

    def dynamic(self, document: str, node: dict[str, Any], pointer: str) -> dict[str, Any]:
        """`$recursiveRef` and `$dynamicRef` as the `$ref` they statically mean."""
        found = next((k for k in ("$recursiveRef", "$dynamicRef") if k in node), None)
        if found is None:
            return node
        value = node[found]
        where = refs.join(pointer, found)
        if not isinstance(value, str):
            raise errors.SpecError(pointer=where, reason=f"{found} must be a string")
        if found == "$recursiveRef":
            if value != "#":
                raise errors.SpecError(
                    pointer=where, reason="$recursiveRef must be '#' (JSON Schema 2019-09)"
                )
            own = self.documents.get(document)
            outer = (
                self.entry.get("$recursiveAnchor") is True
                and isinstance(own, dict)
                and own.get("$recursiveAnchor") is True
            )
            ref = _uri(ENTRY if outer else document) + "#"
        else:
            ref = self.dynamic_target(document, value, where)
        rest = {k: v for k, v in node.items() if k != found}
        if "$ref" in rest:
            return {**rest, "allOf": [*rest.get("allOf", []), {"$ref": ref}]}
        return {**rest, "$ref": ref}

    def dynamic_target(self, document: str, value: str, where: str) -> str:
        uri, _, anchor = value.partition("#")
        if uri or not anchor or anchor.startswith("/"):
            return value  # a plain reference in all but name
        for holder in (ENTRY, document):
            pointer = _anchor(self.documents.get(holder), anchor, "$dynamicAnchor")
            if pointer is not None:
                return _uri(holder) + "#" + pointer
        pointer = _anchor(self.documents.get(document), anchor, "$anchor")
        if pointer is not None:
            return _uri(document) + "#" + pointer
        raise errors.SpecError(
            pointer=where,
            reason=f"$dynamicRef {value!r} names no $dynamicAnchor {anchor!r}; add the anchor "
            "or use $ref",
        )

    # -- documents -----------------------------------------------------------------------------

    def target(self, document: str, ref: str, *, at: str) -> Target:
        """The place `ref` (held by `document`) names."""
        uri, _, fragment = ref.partition("#")
        if not uri:
            name = document
        elif uri.startswith(_OWN) and uri[len(_OWN) :] in self.documents:
            name = uri[len(_OWN) :]
        elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri):
            name = self.absolute(uri, at)
        elif document.startswith(("http://", "https://")):
            name = remote_.join(document, uri)
        else:
            name = self.local(document, uri, at)
        name, loaded = self.load(name, at)
        if fragment and not fragment.startswith("/"):
            pointer = _anchor(loaded, urllib.parse.unquote(fragment), "$anchor")
            if pointer is None:
                raise errors.SpecError(
                    pointer=refs.join(at, "$ref"),
                    reason=f"$ref {ref!r}: no $anchor {fragment!r} in {_show_doc(name)}",
                )
            return Target(name, pointer)
        if not uri and name != ENTRY and not _has(loaded, fragment) and _has(self.entry, fragment):
            return Target(ENTRY, fragment)  # go-swagger's reading of `#/definitions/X` in a file
        return Target(name, fragment)

    def local(self, document: str, uri: str, at: str) -> str:
        if self.source is None:
            raise errors.SpecError(
                pointer=refs.join(at, "$ref"),
                reason=f"$ref {uri!r} names another file, and an inline document has no "
                "folder; give the files: a spec file on disk (the CLI), a ConfigMap with one "
                "key per file (`/` written as `__`), or a Git source",
            )
        path = urllib.parse.unquote(urllib.parse.urlsplit(uri).path)
        try:
            name = sources.resolve(self.name if document == ENTRY else document, path)
        except errors.SpecError as exc:
            raise errors.SpecError(pointer=refs.join(at, "$ref"), reason=exc.reason) from exc
        return ENTRY if name == self.name else name

    def absolute(self, uri: str, at: str) -> str:
        """A URL: a file of the source when it lies under the entry's `$id`, a metaschema
        kodegen ships, or a remote document (fetched when allowed)."""
        url = urllib.parse.urldefrag(uri).url
        if url.split(":", 1)[0].lower() not in ("http", "https"):
            raise errors.SpecError(
                pointer=refs.join(at, "$ref"),
                reason=f"$ref {uri!r}: only relative file paths and http(s) URLs can be "
                "referred to",
            )
        if self.base_id and url.startswith(self.base_id) and self.source is not None:
            relative = url[len(self.base_id) :]
            # not a file beside the entry: a document of its own, kept as its URL
            with contextlib.suppress(errors.InputError):
                return self.load(self.local(ENTRY, relative, at), at)[0]
        return url

    def load(self, name: str, at: str) -> tuple[str, Any]:
        """The loaded document `name` (its name may gain a suffix: `meta/core.json`)."""
        name = self.aliases.get(name, name)
        if name in self.documents:
            return name, self.documents[name]
        if len(self.documents) >= self.limits.max_documents:
            raise errors.SpecError(
                pointer=at,
                reason=f"refers to more than {self.limits.max_documents} documents "
                "(limits.max_documents); merge some of them",
            )
        if name.startswith(("http://", "https://")):
            data, label, found = self.fetch(name, at), name, name
        else:
            found, data = self.read(name, at)
            self.aliases[name] = found
            if found in self.documents:
                return found, self.documents[found]
            label = self.source.where(found) if self.source else found
        self.total += len(data)
        if self.total > self.limits.max_bytes:
            raise errors.SpecError(
                pointer=at,
                reason=f"the documents it refers to hold more than {self.limits.max_bytes} "
                "bytes in all (limits.max_bytes); shorten them",
            )
        try:
            if posixpath.splitext(urllib.parse.urlsplit(found).path)[1].lower() in TEXTS:
                document: Any = loading.decode(data, source=label, limits=self.limits)
            else:
                document = loading.load(data, source=label, limits=self.limits)
        except errors.DocumentError as exc:
            raise errors.SpecError(pointer=refs.join(at, "$ref"), reason=str(exc)) from exc
        self.documents[found] = document
        return found, document

    def read(self, name: str, at: str) -> tuple[str, bytes]:
        assert self.source is not None
        candidates = [name]
        if not posixpath.splitext(name)[1]:
            candidates += [name + suffix for suffix in SUFFIXES]
        for candidate in candidates:
            try:
                return candidate, self.source.read(candidate)
            except errors.DocumentError as exc:
                if candidate == candidates[-1] or "no such file" not in exc.reason:
                    raise errors.SpecError(
                        pointer=refs.join(at, "$ref"), reason=f"{exc.source}: {exc.reason}"
                    ) from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def fetch(self, url: str, at: str) -> bytes:
        known = metaschemas.text(url)
        if known is not None:
            return known
        if self.remote is None:
            raise errors.SpecError(
                pointer=refs.join(at, "$ref"),
                reason=f"remote $ref {url!r} is not fetched; {remote_.HOW_TO_ALLOW}",
            )
        try:
            return self.remote.fetch(url)
        except errors.SpecError as exc:
            raise errors.SpecError(pointer=refs.join(at, "$ref"), reason=exc.reason) from exc

    def find(self, target: Target, *, at: str) -> Any:
        """The node `target` names. The root of another document loses `$id` and `$schema`:
        inlined, it is no resource of its own, and its references now point into the bundled
        document."""
        _, document = self.load(target.document, at)
        try:
            found = refs.lookup(document, "#" + target.pointer, at=at)
        except errors.SpecError as exc:
            raise errors.SpecError(
                pointer=refs.join(at, "$ref"),
                reason=f"{_show(target)} points to nothing; check the file and the JSON "
                "pointer after '#'",
            ) from exc
        if not target.pointer and isinstance(found, dict) and target.document != ENTRY:
            return {k: v for k, v in found.items() if k not in ("$id", "$schema")}
        return found


# -- helpers -------------------------------------------------------------------------------------


def _section(entry: dict[str, Any], kind: str) -> tuple[str, ...]:
    if kind == "openapi":
        return ("components", "schemas")
    if kind == "swagger":
        return ("definitions",)
    if "$defs" in entry or ("definitions" not in entry and _modern(entry)):
        return ("$defs",)
    return ("definitions",)


def _modern(entry: dict[str, Any]) -> bool:
    """Whether the entry's dialect knows `$defs` (2019-09 and later; no `$schema`: 2020-12)."""
    declared = str(entry.get("$schema", "2020-12"))
    return "2019-09" in declared or "2020-12" in declared


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for segment in path:
        node = node.get(segment) if isinstance(node, dict) else None
    return node


def _base_id(entry: dict[str, Any]) -> str | None:
    """The folder URL of the entry's `$id` (`id` in draft-04): references under it are files
    beside the entry."""
    declared = entry.get("$id", entry.get("id"))
    if not isinstance(declared, str) or not declared.startswith(("http://", "https://")):
        return None
    return urllib.parse.urldefrag(declared).url.rsplit("/", 1)[0] + "/"


def _anchor(document: Any, anchor: str, keyword: str) -> str | None:
    """The pointer of the outermost schema holding `keyword: anchor` (for `$anchor`, also an
    `$id`/`id` of `#anchor`, as draft-07 and earlier wrote it)."""
    queue: collections.deque[tuple[str, Any]] = collections.deque([("", document)])
    while queue:
        pointer, node = queue.popleft()
        if isinstance(node, dict):
            if node.get(keyword) == anchor or (
                keyword == "$anchor" and f"#{anchor}" in (node.get("$id"), node.get("id"))
            ):
                return pointer
            queue.extend((refs.join(pointer, k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend((refs.join(pointer, i), v) for i, v in enumerate(node))
    return None


def _has(document: Any, pointer: str) -> bool:
    try:
        refs.lookup(document, "#" + pointer, at="")
    except errors.SpecError:
        return False
    return True


def _uri(document: str) -> str:
    """A reference prefix naming the loaded `document` from any other."""
    return _OWN + document


def _name(target: Target) -> str:
    if target.pointer:
        raw = refs.unescape(target.pointer.rsplit("/", 1)[1])
    else:
        raw = posixpath.basename(urllib.parse.urlsplit(target.document).path) or "Schema"
        for suffix in SUFFIXES:
            raw = raw.removesuffix(suffix)
        raw = raw.removesuffix(".schema")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("_.") or "Schema"


def _show(target: Target) -> str:
    return _show_doc(target.document) + ("#" + target.pointer if target.pointer else "")


def _show_doc(document: str) -> str:
    return document or "the entry document"


def _too_many(limits: limits_.Limits) -> str:
    return (
        f"more than {limits.max_nodes} values once the documents it refers to are inlined "
        "(limits.max_nodes); shorten them"
    )
