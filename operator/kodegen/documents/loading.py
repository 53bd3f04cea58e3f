"""Untrusted YAML and JSON text -> plain JSON data, within `limits.Limits`.

    load(text, source=...)       one document (JSON first when it looks like JSON, else YAML)
    load_all(text, source=...)   every document of a YAML stream (`---` separated)
    plain(data, limits=...)      already-parsed data checked the same way, as a sorted copy

YAML is composed here from libyaml's event stream (PyYAML's C parser, which keeps its own
stack and does not recurse) instead of by PyYAML's composer, because the limits must hold
*while composing*: the expanded size of every anchor is known when it closes, so each alias
adds its full expanded weight at once and an alias bomb (a few lines, billions of nodes) is
refused after reading a few lines, in milliseconds, before any Python object is built; an
alias to an anchor still open (a recursive alias) is refused there too. PyYAML's composer
offers no such hook (its `SafeLoader` builds the shared node graph and leaves the blow-up
to whoever walks the result).

The result is JSON data: mapping keys are the text the author wrote (`200:` gives "200",
`2024-01-01:` gives "2024-01-01", as Kubernetes' own YAML reader does), timestamps stay text,
NaN/Infinity, `!!binary`, `!!set` and unknown tags are refused by name, duplicate keys are
refused (YAML forbids them; PyYAML would keep the last silently), integers are bounded in
digits. Every refusal is one `errors.DocumentError` naming the line, column and JSON pointer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import math
from collections.abc import Iterator
from typing import Any

import yaml

from kodegen import errors
from kodegen.documents import limits as limits_

__all__ = ["compose", "construct", "decode", "guard", "load", "load_all", "plain"]

_Parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SCALARS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    _STR,
}
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


def decode(data: bytes, *, source: str, limits: limits_.Limits = limits_.DEFAULT) -> str:
    """`data` as text: UTF-8 (a byte order mark is dropped)."""
    if len(data) > limits.max_bytes:
        raise _too_big(source, len(data), limits)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.DocumentError(
            source=source, reason=f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc


def load(text: str | bytes, *, source: str, limits: limits_.Limits = limits_.DEFAULT) -> Any:
    """The one document in `text` (None when it is empty)."""
    text = _text(text, source, limits)
    stripped = text.lstrip(" \t\r\n\ufeff")
    if stripped[:1] in ("{", "["):
        # not JSON: a YAML flow collection (`{a: 1}`), or broken; the YAML reader says which
        with contextlib.suppress(json.JSONDecodeError):
            return _json(stripped, source, limits)
    node = compose(text, source=source, limits=limits)
    return None if node is None else construct(node, source=source, limits=limits)


def compose(
    text: str | bytes, *, source: str, limits: limits_.Limits = limits_.DEFAULT
) -> yaml.Node | None:
    """The node tree of the one YAML document in `text` (positions for messages), composed
    within `limits`; None when `text` holds no document."""
    composer = _Composer(_text(text, source, limits), source, limits)
    documents = list(composer.documents(single=True))
    return documents[0] if documents else None


def construct(node: yaml.Node, *, source: str, limits: limits_.Limits = limits_.DEFAULT) -> Any:
    """The JSON data of a node tree from `compose`."""
    return _Constructor(source, limits).build(node)


def load_all(
    text: str | bytes, *, source: str, limits: limits_.Limits = limits_.DEFAULT
) -> list[Any]:
    """Every document of a YAML stream, empty ones left out."""
    text = _text(text, source, limits)
    constructor = _Constructor(source, limits)
    built = [constructor.build(node) for node in _Composer(text, source, limits).documents()]
    return [document for document in built if document is not None]


def plain(data: Any, *, source: str = "", limits: limits_.Limits = limits_.DEFAULT) -> Any:
    """A copy of `data` (parsed elsewhere: the API server, `yaml.safe_load`, Python code) that
    is JSON data within `limits`, mapping keys sorted (the API server hands documents back with
    sorted keys, so output must not depend on the order an author wrote them in). Integer keys
    become their text; dates their ISO text; anything else is refused by JSON pointer."""
    return _Plain(source, limits).copy(data)


@contextlib.contextmanager
def guard(what: str) -> Iterator[None]:
    """Reading `what` (a spec, a manifest) ends in a value or in one `InputError`: kodegen's
    own errors pass; running out of stack or memory is refused as too large; anything else is
    a bug in kodegen, reported as `errors.UnexpectedInputError` rather than a traceback, so no
    document crashes the CLI or stalls the operator."""
    try:
        yield
    except errors.KodegenError:
        raise
    except RecursionError as exc:
        raise errors.SpecError(
            pointer="", reason=f"{what} is nested too deeply for kodegen to read"
        ) from exc
    except MemoryError as exc:
        raise errors.SpecError(
            pointer="", reason=f"{what} is too large for kodegen to read in memory"
        ) from exc
    except Exception as exc:
        raise errors.UnexpectedInputError(what=what, exception=exc) from exc


# -- text and JSON ---------------------------------------------------------------------------


def _text(text: str | bytes, source: str, limits: limits_.Limits) -> str:
    if isinstance(text, bytes):
        return decode(text, source=source, limits=limits)
    if len(text) > limits.max_bytes or len(text.encode("utf-8", "surrogatepass")) > (
        limits.max_bytes
    ):
        raise _too_big(source, len(text.encode("utf-8", "surrogatepass")), limits)
    return text


def _too_big(source: str, size: int, limits: limits_.Limits) -> errors.DocumentError:
    return errors.DocumentError(
        source=source,
        reason=f"{size} bytes is more than the {limits.max_bytes} kodegen reads "
        "(limits.max_bytes); split the document or shorten it",
    )


def _json(text: str, source: str, limits: limits_.Limits) -> Any:
    def constant(name: str) -> Any:
        raise errors.DocumentError(
            source=source, reason=f"{name} is not a JSON number; use a number or a string"
        )

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > limits.max_integer_digits:
            raise errors.DocumentError(
                source=source, reason=_long_integer(digits, limits), line=None
            )
        return int(digits)

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise errors.DocumentError(source=source, reason=f"duplicate key {key!r}; keep one")
            result[key] = value
        return result

    try:
        data = json.loads(text, parse_constant=constant, parse_int=integer, object_pairs_hook=pairs)
    except RecursionError as exc:
        raise errors.DocumentError(source=source, reason=_too_deep(limits)) from exc
    return plain(data, source=source, limits=limits)


def _long_integer(digits: str, limits: limits_.Limits) -> str:
    return (
        f"integer of {len(digits.lstrip('-+'))} digits; kodegen reads at most "
        f"{limits.max_integer_digits} (limits.max_integer_digits): write it as a string"
    )


def _too_deep(limits: limits_.Limits) -> str:
    return (
        f"nested more than {limits.max_depth} levels deep (limits.max_depth); "
        "flatten it with $ref to named schemas"
    )


class _Plain:
    def __init__(self, source: str, limits: limits_.Limits) -> None:
        self.source, self.limits, self.nodes = source, limits, 0

    def fail(self, pointer: str, reason: str) -> errors.DocumentError:
        return errors.DocumentError(source=self.source, pointer=pointer, reason=reason)

    def copy(self, value: Any, pointer: str = "", depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self.fail(pointer, _too_many(self.limits))
        if isinstance(value, dict | list) and depth >= self.limits.max_depth:
            raise self.fail(pointer, _too_deep(self.limits))
        if isinstance(value, dict):
            keys = {self.key(key, pointer): key for key in value}
            if len(keys) != len(value):
                raise self.fail(pointer, "two keys have the same text; keep one")
            return {
                name: self.copy(value[keys[name]], _join(pointer, name), depth + 1)
                for name in sorted(keys)
            }
        if isinstance(value, list | tuple):
            return [
                self.copy(item, _join(pointer, index), depth + 1)
                for index, item in enumerate(value)
            ]
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            digits = _digits(value)
            if digits > self.limits.max_integer_digits:
                raise self.fail(pointer, _long_integer("9" * digits, self.limits))
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(pointer, _not_finite(value))
            return value
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        raise self.fail(pointer, f"a {type(value).__name__} value is not JSON data")

    def key(self, key: Any, pointer: str) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
        if isinstance(key, datetime.date):
            return key.isoformat()
        raise self.fail(
            pointer, f"mapping key {key!r} is not a string; quote it (keys are JSON strings)"
        )


def _digits(value: int) -> int:
    """Decimal digits of `value`, without writing it out when it is huge (Python refuses to
    write an integer of more than 4300 digits)."""
    bits = abs(value).bit_length()
    if bits > 4000:
        return int(bits * 0.30103) + 1
    return len(str(abs(value)))


def _too_many(limits: limits_.Limits) -> str:
    return (
        f"more than {limits.max_nodes} values (limits.max_nodes, YAML aliases expanded); "
        "shorten the document"
    )


def _not_finite(value: float) -> str:
    name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return f"{name} is not a JSON number; use a number or a string"


# -- YAML: composing within the limits -------------------------------------------------------


@dataclasses.dataclass
class _Open:
    """A collection being composed: its node, children so far, and what its anchor weighs."""

    event: Any
    tag: str
    items: list[yaml.Node]
    nodes_before: int
    bytes_before: int
    height: int = 0


@dataclasses.dataclass(frozen=True)
class _Anchored:
    node: yaml.Node
    nodes: int
    size: int
    height: int


class _Composer:
    def __init__(self, text: str, source: str, limits: limits_.Limits) -> None:
        self.text, self.source, self.limits = text, source, limits

    def fail(self, mark: Any, reason: str) -> errors.DocumentError:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return errors.DocumentError(source=self.source, reason=reason, line=line, column=column)

    def documents(self, *, single: bool = False) -> Iterator[yaml.Node]:
        parser: Any = _Parser(self.text)
        started = False
        try:
            while not parser.check_event(yaml.StreamEndEvent):
                event = parser.get_event()
                if isinstance(event, yaml.DocumentStartEvent):
                    if single and started:
                        raise self.fail(
                            event.start_mark,
                            "malformed YAML: expected a single document, but `---` starts "
                            "another; keep one",
                        )
                    started = True
                    node = self.compose(parser)
                    parser.get_event()  # DocumentEndEvent
                    if node is not None:
                        yield node
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if exc.context and problem.startswith("but "):
                problem = f"{exc.context}, {problem}"
            raise self.fail(mark, f"malformed YAML: {problem}") from exc
        except yaml.reader.ReaderError as exc:
            line = self.text.count("\n", 0, exc.position) + 1
            column = exc.position - (self.text.rfind("\n", 0, exc.position) + 1) + 1
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            raise errors.DocumentError(
                source=self.source,
                reason=f"malformed YAML: control character U+{code:04X} is not allowed",
                line=line,
                column=column,
            ) from exc
        except yaml.YAMLError as exc:
            reason = "malformed YAML: " + " ".join(str(exc).split())
            raise errors.DocumentError(source=self.source, reason=reason) from exc
        finally:
            parser.dispose()

    def compose(self, parser: Any) -> yaml.Node | None:
        """One document's node tree, from its events, without recursion."""
        stack: list[_Open] = []
        anchors: dict[str, _Anchored] = {}
        open_anchors: set[str] = set()
        nodes = size = aliases = 0
        root: yaml.Node | None = None
        while True:
            if parser.check_event(yaml.DocumentEndEvent):
                return root
            event: Any = parser.get_event()
            added: yaml.Node
            height = 0
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > self.limits.max_aliases:
                    raise self.fail(
                        event.start_mark,
                        f"more than {self.limits.max_aliases} aliases (limits.max_aliases)",
                    )
                anchored = anchors.get(str(event.anchor))
                if anchored is None:
                    reason = (
                        f"recursive alias *{event.anchor}: it refers to the node that holds "
                        "it, which has no finite JSON form"
                        if event.anchor in open_anchors
                        else f"alias *{event.anchor} has no anchor &{event.anchor} before it"
                    )
                    raise self.fail(event.start_mark, reason)
                nodes += anchored.nodes
                size += anchored.size
                added, height = anchored.node, anchored.height
            elif isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = parser.resolve(yaml.ScalarNode, event.value, event.implicit)
                begin: Any = event.start_mark
                end: Any = event.end_mark
                added = yaml.ScalarNode(tag, event.value, begin, end, style=event.style)
                nodes += 1
                size += len(event.value)
                if event.anchor is not None:
                    anchors[event.anchor] = _Anchored(added, 1, len(event.value), 0)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else None
                tag = event.tag
                if tag is None or tag == "!":
                    tag = parser.resolve(kind or yaml.MappingNode, None, event.implicit)
                nodes += 1
                stack.append(_Open(event, tag, [], nodes - 1, size))
                if len(stack) > self.limits.max_depth:
                    raise self.fail(event.start_mark, _too_deep(self.limits))
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                self.check(event.start_mark, nodes, size)
                continue
            else:  # SequenceEndEvent, MappingEndEvent
                opened = stack.pop()
                start: Any = opened.event
                begin, finish = start.start_mark, event.end_mark
                if isinstance(opened.event, yaml.SequenceStartEvent):
                    added = yaml.SequenceNode(
                        opened.tag,
                        opened.items,
                        begin,
                        finish,
                        flow_style=start.flow_style,
                    )
                else:
                    pairs = list(zip(opened.items[::2], opened.items[1::2], strict=True))
                    added = yaml.MappingNode(
                        opened.tag,
                        pairs,
                        begin,
                        finish,
                        flow_style=start.flow_style,
                    )
                height = opened.height
                if start.anchor is not None:
                    open_anchors.discard(start.anchor)
                    anchors[start.anchor] = _Anchored(
                        added, nodes - opened.nodes_before, size - opened.bytes_before, height
                    )
            self.check(event.start_mark, nodes, size)
            if not stack:
                root = added
                continue
            parent = stack[-1]
            parent.items.append(added)
            parent.height = max(parent.height, height + 1)
            if len(stack) + height > self.limits.max_depth:
                raise self.fail(event.start_mark, _too_deep(self.limits))

    def check(self, mark: Any, nodes: int, size: int) -> None:
        if nodes > self.limits.max_nodes:
            raise self.fail(mark, _too_many(self.limits))
        if size > self.limits.max_bytes:
            raise self.fail(
                mark,
                f"more than {self.limits.max_bytes} bytes of text with YAML aliases expanded "
                "(limits.max_bytes)",
            )


# -- YAML: nodes -> JSON data ------------------------------------------------------------------


class _Constructor:
    def __init__(self, source: str, limits: limits_.Limits) -> None:
        self.source, self.limits = source, limits
        self.values = _Parser("")  # PyYAML's safe constructors for bool, int and float text
        self.built: dict[int, Any] = {}

    def fail(self, node: yaml.Node, pointer: str, reason: str) -> errors.DocumentError:
        mark = node.start_mark
        return errors.DocumentError(
            source=self.source,
            pointer=pointer,
            reason=reason,
            line=mark.line + 1,
            column=mark.column + 1,
        )

    def build(self, node: yaml.Node) -> Any:
        try:
            return self.value(node, "")
        finally:
            self.values.dispose()

    def value(self, node: yaml.Node, pointer: str) -> Any:
        if id(node) in self.built:  # an alias: the same value, as PyYAML gives it
            return self.built[id(node)]
        if isinstance(node, yaml.ScalarNode):
            result = self.scalar(node, pointer)
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(node, pointer, _tag(node.tag))
            result = [
                self.value(item, _join(pointer, index)) for index, item in enumerate(node.value)
            ]
        else:
            assert isinstance(node, yaml.MappingNode)
            if node.tag != _MAP:
                raise self.fail(node, pointer, _tag(node.tag))
            result = self.mapping(node, pointer)
        self.built[id(node)] = result
        return result

    def mapping(self, node: yaml.MappingNode, pointer: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        where: dict[str, yaml.Node] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.update(self.merge(value_node, pointer, merged))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(
                    key_node,
                    pointer,
                    "a mapping key must be a string, not a "
                    + ("list" if isinstance(key_node, yaml.SequenceNode) else "mapping"),
                )
            if key_node.tag not in _SCALARS:
                raise self.fail(key_node, pointer, _tag(key_node.tag))
            key = key_node.value  # the text written: `200:` is "200", as JSON needs
            if key in where:
                first = where[key].start_mark.line + 1
                raise self.fail(
                    key_node,
                    pointer,
                    f"malformed YAML: duplicate key {key!r} (first at line {first})",
                )
            where[key] = key_node
            result[key] = self.value(value_node, _join(pointer, key))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def merge(self, node: yaml.Node, pointer: str, merged: dict[str, Any]) -> dict[str, Any]:
        """`<<: *base` or `<<: [*a, *b]`: keys of the mappings, earlier ones first."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        result: dict[str, Any] = {}
        for source in sources:
            value = self.value(source, pointer)
            if not isinstance(value, dict):
                raise self.fail(source, pointer, "`<<` merges mappings only")
            for key, item in value.items():
                if key not in merged:
                    result.setdefault(key, item)
        return result

    def scalar(self, node: yaml.ScalarNode, pointer: str) -> Any:
        tag = node.tag
        if tag == _STR or tag == "tag:yaml.org,2002:timestamp":
            return node.value  # a date stays the text written
        if tag == "tag:yaml.org,2002:int":
            digits = node.value.lstrip("+-").replace("_", "")
            if len(digits) > self.limits.max_integer_digits:
                raise self.fail(node, pointer, _long_integer(digits, self.limits))
            number: int = self.values.construct_yaml_int(node)
            if _digits(number) > self.limits.max_integer_digits:
                raise self.fail(node, pointer, _long_integer("9" * _digits(number), self.limits))
            return number
        if tag == "tag:yaml.org,2002:float":
            real: float = self.values.construct_yaml_float(node)
            if not math.isfinite(real):
                raise self.fail(node, pointer, _not_finite(real))
            return real
        if tag == "tag:yaml.org,2002:bool":
            return self.values.construct_yaml_bool(node)
        if tag == "tag:yaml.org,2002:null":
            return None
        raise self.fail(node, pointer, _tag(tag))


def _tag(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return f"malformed YAML: no constructor for the tag {short} (JSON data only); remove it"


def _join(pointer: str, segment: object) -> str:
    """`pointer` and one more segment, escaped as JSON pointers are (RFC 6901)."""
    return pointer + "/" + str(segment).replace("~", "~0").replace("/", "~1")
