"""Read a CodeGeneration manifest: YAML text in, `api.codegeneration.CodeGeneration` out.

Every problem becomes one `errors.ManifestError` whose message fits on one line and names the
place: `file:line:column` for malformed YAML, the dotted camelCase path of the first bad field
otherwise (`spec.template.famly: unknown field; did you mean 'family'? (at x.yaml:14:5)`).
`apiVersion` and `kind` are checked before anything else, so a manifest of another kind gets
that one message instead of a list of fields it lacks.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic_core import ErrorDetails

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.documents import loading
from kodegen.specs import inlining

__all__ = ["API_VERSION", "KIND", "load", "parse"]

API_VERSION = "kodegen.dev/v1alpha1"
KIND = "CodeGeneration"
_INPUT_REPR = 60  # characters of a bad value quoted back to the user


def load(path: Path) -> codegeneration.CodeGeneration:
    """Read and parse the manifest file at `path`; a `file:` spec is read from its folder
    and inlined with the files it refers to (`specs.inlining.from_folder`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = f"cannot read it: {exc.strerror or exc}"
        raise errors.ManifestError(field=str(path), reason=reason) from exc
    try:
        text = loading.decode(data, source=str(path))
    except errors.DocumentError as exc:
        raise errors.ManifestError(field=str(path), reason=exc.reason) from exc
    generation = parse(text, source=str(path))
    # a `file:` spec (and the files it refers to) is read beside the manifest, now
    return inlining.from_folder(generation, path.parent)


def parse(text: str, *, source: str = "<manifest>") -> codegeneration.CodeGeneration:
    """Parse manifest `text`; `source` names it in messages (a file name)."""
    with loading.guard(f"the manifest {source}"):
        return _parse(text, source)


def _parse(text: str, source: str) -> codegeneration.CodeGeneration:
    document, node = _yaml(text, source)
    if not isinstance(document, dict):
        got = "an empty document" if document is None else f"a {_kind_of(document)}"
        raise errors.ManifestError(
            field=source, reason=f"must be a mapping (a {KIND} object), got {got}"
        )
    _check_type_meta(document)
    try:
        return codegeneration.CodeGeneration.model_validate(document)
    except pydantic.ValidationError as exc:
        first = _first(exc.errors(include_url=False))
        field, reason = _explain(first)
        mark = _mark(node, first["loc"], missing=first["type"] == "missing")
        if mark is not None:
            reason = f"{reason} (at {source}:{mark.line + 1}:{mark.column + 1})"
        raise errors.ManifestError(field=field or "(top level)", reason=reason) from exc
    except RecursionError as exc:
        raise errors.ManifestError(field=source, reason="nested too deeply") from exc


# -- YAML --------------------------------------------------------------------------------------


def _yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (for positions), read within `specs.limits`: aliases,
    depth, size and integers bounded, keys as written, duplicate keys refused."""
    try:
        node = loading.compose(text, source=source)
        document = None if node is None else loading.construct(node, source=source)
    except errors.DocumentError as exc:
        where = source if exc.line is None else f"{source}:{exc.line}:{exc.column}"
        at = f" at {_dotted(exc.pointer)}" if exc.pointer else ""
        raise errors.ManifestError(field=where, reason=f"{exc.reason}{at}") from exc
    return document, node


def _dotted(pointer: str) -> str:
    """A JSON pointer as the dotted path messages use (`spec.variables['a/b']`)."""
    path = ""
    for raw in pointer.split("/")[1:]:
        segment = raw.replace("~1", "/").replace("~0", "~")
        path = f"{path}[{segment}]" if segment.isdigit() else _join(path, _key(segment))
    return path


def _mark(node: yaml.Node | None, loc: Sequence[int | str], *, missing: bool) -> Any:
    """The position of `loc` in the YAML tree: the key of a bad field, the mapping that lacks
    a missing one. Segments the tree does not know (union member labels) are skipped."""
    if node is None:
        return None
    mark = node.start_mark
    for segment in loc[:-1] if missing else loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(segment):
                    mark, node = key_node.start_mark, value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(segment, int)
            and 0 <= segment < len(node.value)
        ):
            node = node.value[segment]
            mark = node.start_mark
    if missing:
        mark = node.start_mark
    return mark


# -- apiVersion and kind -----------------------------------------------------------------------


def _check_type_meta(document: Mapping[Any, Any]) -> None:
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if api_version != API_VERSION:
        got = "it is missing" if api_version is None else f"got {_quote(api_version)}"
        raise errors.ManifestError(field="apiVersion", reason=f"must be {API_VERSION}, {got}")
    if kind != KIND:
        got = "it is missing" if kind is None else f"got {_quote(kind)}"
        hint = ""
        if kind in ("CodeTemplate", "ClusterCodeTemplate"):
            hint = f"; a {kind} is applied to the cluster, `kodegen generate` takes a {KIND}"
        raise errors.ManifestError(field="kind", reason=f"must be {KIND}, {got}{hint}")


# -- pydantic errors -> one line ---------------------------------------------------------------


def _first(details: Sequence[ErrorDetails]) -> ErrorDetails:
    """The error to report: an unknown field before anything else, because a misspelled field
    also makes the field it was meant to be "missing", and the misspelling is the news."""
    return next((e for e in details if e["type"] == "extra_forbidden"), details[0])


def _explain(error: ErrorDetails) -> tuple[str, str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        path, parents = _walk(loc[:-1])
        name = str(loc[-1])
        return _join(path, _key(name)), _unknown(name, parents)
    path, _ = _walk(loc)
    if kind == "missing":
        return path, "required field is missing"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message[:1].lower() + message[1:]
    value = error.get("input")
    if not isinstance(value, dict | list) and kind not in ("value_error", "assertion_error"):
        message = f"{message}, got {_quote(value)}"
    return path, message


def _unknown(name: str, parents: Sequence[type[pydantic.BaseModel]]) -> str:
    known = [alias for model in parents for alias in _aliases(model)]
    if not known:
        return "unknown field"
    by_lower = {alias.lower(): alias for alias in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return f"unknown field; did you mean {by_lower[close[0]]!r}?"
    return "unknown field; expected one of " + ", ".join(dict.fromkeys(known))


def _aliases(model: type[pydantic.BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _walk(loc: Sequence[int | str]) -> tuple[str, list[type[pydantic.BaseModel]]]:
    """Follow `loc` through the CodeGeneration model: the dotted camelCase path, and the
    models found at its end (several when the field is a union of models)."""
    path = ""
    current: list[Any] = [codegeneration.CodeGeneration]
    for segment in loc:
        leaves = list(_leaves(current))
        models = [leaf for leaf in leaves if _is_model(leaf)]
        field = _field(models, segment) if isinstance(segment, str) else None
        if field is not None:
            alias, annotation = field
            path, current = _join(path, alias), [annotation]
            continue
        sequences = [args[0] for leaf in leaves if (args := _container(leaf, list, tuple))]
        if isinstance(segment, int) and sequences:
            path, current = f"{path}[{segment}]", sequences
            continue
        mappings = [args[-1] for leaf in leaves if (args := _container(leaf, dict))]
        if mappings or (not models and not sequences):
            path, current = _join(path, _key(str(segment))), mappings or [Any]
            continue
        # a label pydantic adds for a union member or a validator: not part of the path
    return path, [leaf for leaf in _leaves(current) if _is_model(leaf)]


def _field(models: Sequence[type[pydantic.BaseModel]], segment: str) -> tuple[str, Any] | None:
    for model in models:
        for name, info in model.model_fields.items():
            if segment in (name, info.alias):
                return info.alias or name, info.annotation
    return None


def _leaves(annotations: Sequence[Any]) -> Iterator[Any]:
    for annotation in annotations:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            yield from _leaves([typing.get_args(annotation)[0]])
        elif origin in (typing.Union, types.UnionType):
            yield from _leaves(typing.get_args(annotation))
        else:
            yield annotation


def _container(annotation: Any, *kinds: type) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, kinds):
        return typing.get_args(annotation) or (Any,)
    return ()


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def _join(path: str, name: str) -> str:
    if name.startswith("["):
        return path + name
    return f"{path}.{name}" if path else name


def _key(name: str) -> str:
    return name if name.replace("_", "a").replace("-", "a").isalnum() else f"[{name!r}]"


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _INPUT_REPR else text[: _INPUT_REPR - 3] + "..."


def _kind_of(value: Any) -> str:
    names = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(type(value), type(value).__name__)


def _one_line(text: str) -> str:
    return " ".join(text.split())
