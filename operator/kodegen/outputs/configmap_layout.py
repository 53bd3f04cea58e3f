"""How an output is laid out in ConfigMaps: `encode` files into bodies, `decode` them back.

Pure (no I/O); `outputs.configmaps` writes and reads the bodies through the API.

The layout of one output named N in a namespace, always the same whatever its size:

    ConfigMap N            the index: `data["index.json"]`, no file content
    ConfigMap N-1 … N-k    the chunks: the file content, k >= 0 (an empty tree has no chunk)

Every object carries the caller's labels plus `app.kubernetes.io/managed-by: kodegen`,
`kodegen.dev/output: N` and `kodegen.dev/role: index|chunk` (ours win over the caller's), the
annotation `kodegen.dev/digest: sha256:<tree digest>`, and `ownerReferences: [owner]` when an
owner is given.

`index.json` is compact JSON with sorted keys:

    {"chunks": ["N-1", …], "digest": "sha256:<tree digest>", "format": 1,
     "files": {"app/main.py": {"parts": [["N-1", "app.main.py"]], "sha256": "<hex>", "size": 120},
               …}}

A file's content is the concatenation of its parts, each a key of a chunk: in `data` when the
part is UTF-8 text, in `binaryData` (base64) otherwise. A key is the path with "/" turned into
".", every other character outside `[-._a-zA-Z0-9]` into "_", a leading ".." into "_.", cut to
200 characters; a file split over several chunks has the keys `<key>.part001`, `<key>.part002`…;
a key already taken gets "-2", "-3"… (in path order). Keys are only a readable convenience: the
index is the source of truth. The tree digest is the sha256 of, for every file in path order,
the UTF-8 path's length (8 bytes, big-endian), the path, and the file's sha256 (32 bytes).

Chunking: the files, in path order, fill chunk after chunk; a chunk holds at most
`CHUNK_BYTES` of `data` and `binaryData` as JSON (keys, quotes, escapes and base64 counted),
which leaves more than 100 KiB under the API's 1 MiB per object for the metadata. A file that
does not fit into an empty chunk is split into parts that fill whole chunks (text is cut between
characters, so every part stays readable). The same files, name, labels and owner always give
byte-identical bodies: sorted keys, no timestamps.

Limits: the index lists every file, so about 4,000 files at most (more raise
`errors.InputError`); `N` must be a DNS-1123 name of at most 63 characters (it is a label value).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kodegen import errors

__all__ = [
    "CHUNK_BYTES",
    "DIGEST_ANNOTATION",
    "FORMAT",
    "INDEX_KEY",
    "MANAGED_BY",
    "OUTPUT_LABEL",
    "ROLE_LABEL",
    "chunk_names",
    "decode",
    "encode",
    "output_of",
]

CHUNK_BYTES = 900 * 1024
"""Most bytes of `data` + `binaryData`, serialized as JSON, in one chunk. The API refuses
objects over 1 MiB; the rest is room for metadata (labels, annotations, ownerReferences)."""

INDEX_KEY = "index.json"
"""The key of the index in the ConfigMap named after the output."""

FORMAT = 1
"""The version of the layout; `decode` refuses any other."""

MANAGED_BY = "app.kubernetes.io/managed-by"
OUTPUT_LABEL = "kodegen.dev/output"
ROLE_LABEL = "kodegen.dev/role"
DIGEST_ANNOTATION = "kodegen.dev/digest"

_WRAPPER = len(json.dumps({"data": {}, "binaryData": {}}))
"""Bytes of the JSON around a chunk's content."""
_KEY_RESERVE = 300
"""Bytes set aside in a chunk for a key (at most 253 characters), its quotes, ': ' and ', ',
and the wrapper: a part of a split file never needs more than `chunk_bytes - _KEY_RESERVE`."""
_READABLE_MAX = 200
_INVALID_KEY_CHARS = re.compile(r"[^-._a-zA-Z0-9]")
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_MAX = 63


def encode(
    files: Mapping[str, bytes],
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str] = types.MappingProxyType({}),
    owner: Mapping[str, Any] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> list[dict[str, Any]]:
    """The ConfigMap bodies of `files` (relative POSIX path -> content): the index first, then
    the chunks in order. `chunk_bytes` lowers the chunk size (tests, stricter clusters).

    Raises `errors.InputError` for a path that is not a plain relative path, an invalid `name`,
    or more files than one index can list.
    """
    _check_name(name)
    if chunk_bytes < _KEY_RESERVE + 64:
        raise ValueError(f"chunk_bytes={chunk_bytes} leaves no room for content")
    paths = sorted(files)
    for path in paths:
        _check_path(path)

    used: set[str] = set()
    chunks: list[dict[str, dict[str, str]]] = []
    room = 0
    entries: dict[str, dict[str, Any]] = {}
    for path in paths:
        content = files[path]
        parts = []
        for key, value, binary in _pieces(path, content, chunk_bytes - _KEY_RESERVE, used):
            cost = _cost(key, value)
            if not chunks or cost > room:
                chunks.append({"data": {}, "binaryData": {}})
                room = chunk_bytes - _WRAPPER
            chunks[-1]["binaryData" if binary else "data"][key] = value
            room -= cost
            parts.append([_chunk_name(name, len(chunks)), key])
        entries[path] = {
            "parts": parts,
            "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
        }

    digest = _tree_digest({path: bytes.fromhex(entries[path]["sha256"]) for path in paths})
    index = {
        "chunks": [_chunk_name(name, number) for number in range(1, len(chunks) + 1)],
        "digest": digest,
        "files": entries,
        "format": FORMAT,
    }
    index_text = json.dumps(index, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if _cost(INDEX_KEY, index_text) > CHUNK_BYTES:
        raise errors.InputError(
            f"output {namespace}/{name}: {len(paths)} files are too many for one ConfigMap index "
            f"({len(index_text.encode())} bytes, at most {CHUNK_BYTES}); "
            "publish to Git instead, or generate fewer files"
        )

    def body(object_name: str, role: str, content: Mapping[str, dict[str, str]]) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "annotations": {DIGEST_ANNOTATION: digest},
            "labels": {**labels, MANAGED_BY: "kodegen", OUTPUT_LABEL: name, ROLE_LABEL: role},
            "name": object_name,
            "namespace": namespace,
        }
        if owner is not None:
            metadata["ownerReferences"] = [dict(owner)]
        result: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}
        result.update(
            {field: dict(sorted(items.items())) for field, items in content.items() if items}
        )
        ordered: dict[str, Any] = _sorted(result)
        return ordered

    bodies = [body(name, "index", {"data": {INDEX_KEY: index_text}})]
    for number, chunk in enumerate(chunks, start=1):
        bodies.append(body(_chunk_name(name, number), "chunk", chunk))
    return bodies


def decode(configmaps: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """The files (path -> content, in path order) stored in `configmaps`: one index and its
    chunks, as `encode` makes them or as the API returns them. Extra ConfigMaps are ignored.

    Raises `errors.OutputError` when there is not exactly one index, a chunk or key is missing,
    or a file or the tree does not match its recorded sha256 (retryable when a chunk belongs to
    a newer output: a publish is in progress).
    """
    indexes = [cm for cm in configmaps if _labels(cm).get(ROLE_LABEL) == "index"]
    if len(indexes) != 1:
        names = sorted(_where(cm) for cm in indexes)
        raise errors.OutputError(
            output="configmaps",
            reason=f"expected exactly one index ConfigMap (label {ROLE_LABEL}=index), "
            f"found {len(indexes)}: {names or 'none'}",
        )
    index_cm = indexes[0]
    output = f"configmap {_where(index_cm)}"
    index = _read_index(index_cm, output)
    namespace = index_cm.get("metadata", {}).get("namespace")
    chunks = {
        cm.get("metadata", {}).get("name"): cm
        for cm in configmaps
        if cm.get("metadata", {}).get("namespace") == namespace
    }
    for chunk_name in index["chunks"]:
        _check_chunk(chunks.get(chunk_name), chunk_name, index["digest"], output)

    files: dict[str, bytes] = {}
    for path in sorted(index["files"]):
        entry = index["files"][path]
        try:
            _check_path(path)
        except errors.InputError as exc:
            raise errors.OutputError(output=output, reason=f"the index is corrupt: {exc}") from exc
        content = b"".join(_part(chunks, chunk, key, path, output) for chunk, key in entry["parts"])
        if len(content) != entry["size"] or hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise errors.OutputError(
                output=output,
                reason=f"file {path!r} is corrupt: {len(content)} bytes with sha256 "
                f"{hashlib.sha256(content).hexdigest()}, the index records {entry['size']} bytes "
                f"with sha256 {entry['sha256']}; publish the output again",
            )
        files[path] = content
    digest = _tree_digest({path: hashlib.sha256(files[path]).digest() for path in files})
    if digest != index["digest"]:
        raise errors.OutputError(
            output=output,
            reason=f"the tree digest is {digest}, the index records {index['digest']}; "
            "publish the output again",
        )
    return files


def chunk_names(index: Mapping[str, Any]) -> list[str]:
    """The chunks the index ConfigMap `index` lists, in order; `errors.OutputError` when it is
    not a well-formed index."""
    chunks: list[str] = _read_index(index, f"configmap {_where(index)}")["chunks"]
    return chunks


def output_of(configmap: Mapping[str, Any]) -> str | None:
    """The output a ConfigMap belongs to (its `kodegen.dev/output` label), None if none."""
    return _labels(configmap).get(OUTPUT_LABEL)


def _check_name(name: str) -> None:
    if len(name) > _NAME_MAX or not _NAME.fullmatch(name):
        raise errors.InputError(
            f"output ConfigMap name {name!r} is invalid: it must be lowercase letters, digits, "
            f"'-' and '.', start and end with a letter or digit, and have at most {_NAME_MAX} "
            "characters (it is also a label value)"
        )


def _check_path(path: str) -> None:
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in path.split("/")):
        raise errors.InputError(
            f"output path {path!r} is not a plain relative path; "
            "a template may only write inside the output folder"
        )


def _chunk_name(name: str, number: int) -> str:
    return f"{name}-{number}"


def _cost(key: str, value: str) -> int:
    """Bytes of `"key": "value", ` in the JSON the client sends (ASCII-escaped)."""
    return len(json.dumps(key)) + len(json.dumps(value)) + 4


def _pieces(
    path: str, content: bytes, limit: int, used: set[str]
) -> Iterator[tuple[str, str, bool]]:
    """(key, value, binary) of each part of one file; every value's JSON fits in `limit`."""
    try:
        text: str | None = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    values: list[str]
    if text is not None:
        values = [text] if len(json.dumps(text)) <= limit else _split_text(text, limit)
    else:
        step = (limit - 2) // 4 * 3  # base64: 4 characters per 3 bytes, plus the quotes
        encoded = base64.b64encode(content).decode("ascii")
        if len(encoded) + 2 <= limit:
            values = [encoded]
        else:
            values = [
                base64.b64encode(content[start : start + step]).decode("ascii")
                for start in range(0, len(content), step)
            ]
    readable = _readable(path)
    if len(values) == 1:
        yield _unique(readable, used), values[0], text is None
        return
    for number, value in enumerate(values, start=1):
        yield _unique(f"{readable}.part{number:03d}", used), value, text is None


def _split_text(text: str, limit: int) -> list[str]:
    """`text` cut between characters into the longest pieces whose JSON fits in `limit`."""
    pieces = []
    start = 0
    while start < len(text):
        low, high = start + 1, min(len(text), start + limit)
        while low < high:  # the longest end whose piece fits
            middle = (low + high + 1) // 2
            if len(json.dumps(text[start:middle])) <= limit:
                low = middle
            else:
                high = middle - 1
        pieces.append(text[start:low])
        start = low
    return pieces


def _readable(path: str) -> str:
    key = _INVALID_KEY_CHARS.sub("_", path.replace("/", "."))[:_READABLE_MAX]
    return "_" + key[1:] if key.startswith("..") else key


def _unique(wanted: str, used: set[str]) -> str:
    key, number = wanted, 1
    while key in used:
        number += 1
        key = f"{wanted}-{number}"
    used.add(key)
    return key


def _tree_digest(digests: Mapping[str, bytes]) -> str:
    tree = hashlib.sha256()
    for path in sorted(digests):
        encoded = path.encode("utf-8")
        tree.update(len(encoded).to_bytes(8, "big"))
        tree.update(encoded)
        tree.update(digests[path])
    return f"sha256:{tree.hexdigest()}"


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _labels(configmap: Mapping[str, Any]) -> Mapping[str, str]:
    return configmap.get("metadata", {}).get("labels") or {}


def _where(configmap: Mapping[str, Any]) -> str:
    metadata = configmap.get("metadata", {})
    return f"{metadata.get('namespace')}/{metadata.get('name')}"


def _read_index(configmap: Mapping[str, Any], output: str) -> dict[str, Any]:
    text = (configmap.get("data") or {}).get(INDEX_KEY)
    try:
        index = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        index = None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise errors.OutputError(
            output=output,
            reason=f"data[{INDEX_KEY!r}] is missing or not a kodegen index of format {FORMAT}; "
            "publish the output again (with this version of kodegen)",
        )
    if not _well_formed(index):
        raise errors.OutputError(
            output=output,
            reason=f"data[{INDEX_KEY!r}] is corrupt (fields missing or of the wrong type); "
            "publish the output again",
        )
    return index


def _well_formed(index: Mapping[str, Any]) -> bool:
    chunks, digest, files = index.get("chunks"), index.get("digest"), index.get("files")
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        return False
    if not isinstance(digest, str) or not isinstance(files, dict):
        return False
    for entry in files.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("parts"), list):
            return False
        if not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("size"), int):
            return False
        for part in entry["parts"]:
            if not (isinstance(part, list) and len(part) == 2 and part[0] in chunks):
                return False
            if not isinstance(part[1], str):
                return False
    return True


def _check_chunk(chunk: Mapping[str, Any] | None, name: str, digest: str, output: str) -> None:
    if chunk is None:
        raise errors.OutputError(
            output=output,
            reason=f"chunk ConfigMap {name} is missing; publish the output again",
        )
    annotations = chunk.get("metadata", {}).get("annotations") or {}
    if annotations.get(DIGEST_ANNOTATION) != digest:
        raise errors.OutputError(
            output=output,
            reason=f"chunk ConfigMap {name} belongs to output "
            f"{annotations.get(DIGEST_ANNOTATION)}, not {digest}: the output is being replaced; "
            "try again",
            retryable=True,
        )


def _part(
    chunks: Mapping[str, Mapping[str, Any]], chunk: str, key: str, path: str, output: str
) -> bytes:
    configmap = chunks[chunk]  # present: the index's chunks are checked first
    text = (configmap.get("data") or {}).get(key)
    if isinstance(text, str):
        return text.encode("utf-8")
    encoded = (configmap.get("binaryData") or {}).get(key)
    try:
        if isinstance(encoded, str):
            return base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise errors.OutputError(
            output=output,
            reason=f"key {key!r} of chunk {chunk} (file {path!r}) is not valid base64; "
            "publish the output again",
        ) from exc
    raise errors.OutputError(
        output=output,
        reason=f"key {key!r} of chunk {chunk} (file {path!r}) is missing; publish the output again",
    )
