"""JSON values that conform to a schema: the spec's own examples first, then built ones.

Used for answers of operations kodegen cannot implement, error bodies, and generated tests.
A spec's `example` or `default` is used only when it meets its schema (`conformance`) and is
not secret-shaped (`secret_shapes`): real specs carry examples their own schemas refuse, and
sample tokens; those are replaced by a built value (`conformance.invalid_examples` lists them
for the run's summary). Built strings honour `format`,
`pattern` (`patterns.example`), `enum` and the length bounds.
Deterministic: the same schema gives the same value.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from kodegen import errors
from kodegen.documents import limits as limits_
from kodegen.specs import conformance, model, patterns, schemas, secret_shapes

STRINGS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "c3RyaW5n",
}
MAX_DEPTH = 4
"""Depth past which optional properties and arrays without `minItems` are left empty."""
MAX_NESTING = 32
"""Depth past which a sample has no finite value: only required properties and `minItems`
lead this far, so they lead back to a schema already being built."""
SECRET_NAMES = re.compile(r"(?i)(key|token|secret|passw|credential|auth)")


def sample(
    schema: model.Schema,
    components: Mapping[str, model.Schema],
    *,
    hints: Mapping[str, Any] | None = None,
    writing: bool = False,
) -> Any:
    """A value for `schema`. `hints` give values by property name; `writing` leaves out readOnly.

    SpecError when the value would be larger than `limits.max_sample_bytes` as JSON (`minItems`
    times `minLength`, nested): generated code and tests hold it literally."""
    value = _Sampler(components, hints or {}, writing).value(schema, frozenset(), 0)
    size = _size(value, {})
    if size > limits_.DEFAULT.max_sample_bytes:
        raise errors.SpecError(
            pointer=schema.pointer,
            reason=f"a value that meets this schema (minItems, minLength, required "
            f"properties) takes {size} bytes as JSON; kodegen builds samples of at most "
            f"{limits_.DEFAULT.max_sample_bytes} (limits.max_sample_bytes): lower the minimums",
        )
    return value


def example_or_sample(
    given: Any, schema: model.Schema, components: Mapping[str, model.Schema]
) -> Any:
    """`given` (an operation's example of a parameter or response) when it meets `schema`, else
    a sample of `schema`."""
    if (
        given is not model.MISSING
        and conformance.conforms(given, schema, components)
        and not secret_shapes.contains(given)
    ):
        return given
    return sample(schema, components)


def _other_type(kind: str) -> Any:
    """A JSON value that is not of type `kind`; None for a schema of any type."""
    return {"string": 0, "boolean": "x", "integer": "x", "number": "x", "array": "x",
            "object": "x", "null": "x"}.get(kind)  # fmt: skip


def _size(value: Any, seen: dict[int, int]) -> int:
    """Bytes of `value` as JSON, about; shared parts (`[item] * count`) computed once."""
    known = seen.get(id(value))
    if known is not None:
        return known
    if isinstance(value, dict):
        size = 2 + sum(len(str(k)) + 4 + _size(v, seen) for k, v in value.items())
    elif isinstance(value, list):
        size = 2 + sum(1 + _size(v, seen) for v in value)
    else:
        size = len(str(value)) + 2
    if isinstance(value, dict | list):
        seen[id(value)] = size
    return size


class _Sampler:
    def __init__(
        self, components: Mapping[str, model.Schema], hints: Mapping[str, Any], writing: bool
    ):
        self.components, self.hints, self.writing = components, hints, writing

    def value(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        if depth > MAX_NESTING:
            raise errors.SpecError(
                pointer=schema.pointer,
                reason="no finite value meets this schema: required properties (or minItems) "
                "lead back to a schema that holds them; make one optional or nullable",
            )
        if schema.ref is not None:
            seen = seen | {schema.ref}
        resolved = schemas.resolve(schema, self.components)
        only = schemas.sole(resolved)
        if only is not None and not schemas.is_object(schema, self.components):
            return self.value(only, seen, depth + 1)
        choices = [  # `allOf: [{oneOf: [...]}, {properties: ...}]`: flattening drops the choice
            member
            for member in resolved.all_of
            if (inner := schemas.resolve(member, self.components)).one_of or inner.any_of
        ]
        found = self.flat(schemas.flatten(schema, self.components), seen, depth)
        for choice in choices:
            found = self.merged(found, choice, schema, seen, depth)
        return found

    def merged(
        self,
        found: Any,
        choice: model.Schema,
        whole: model.Schema,
        seen: frozenset[str],
        depth: int,
    ) -> Any:
        """`found` (an object) with the fields of a sample of `choice` (an `allOf` member that
        is a `oneOf`): the choice's own sample, else the first of its members' that leaves the
        whole value valid (exactly one member accepting it)."""
        if not isinstance(found, dict):
            return found
        inner = schemas.resolve(choice, self.components)
        first = None
        for option in (choice, *inner.one_of, *inner.any_of):
            try:
                chosen = self.value(option, seen, depth + 1)
            except errors.SpecError:  # a member with no finite value; the others may have one
                continue
            if not isinstance(chosen, dict):
                continue
            merged = {**chosen, **found}
            first = merged if first is None else first
            if conformance.conforms(merged, whole, self.components):
                return merged
        return first if first is not None else found

    def flat(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        """A value of a schema `flatten` made (its `allOf` merged)."""
        for given in (schema.example, schema.default):
            if (
                given is not model.MISSING
                and not (self.writing and schema.type == "object")
                and conformance.conforms(given, schema, self.components)
                and not secret_shapes.contains(given)
            ):
                return given
        if schema.enum:
            return next((v for v in schema.enum if v is not None), schema.enum[0])
        if schema.one_of and schema.properties and all(map(_constrains, schema.one_of)):
            return self.required_one(schema, seen, depth)
        if (schema.one_of or schema.any_of) and schema.properties:
            return self.beside(schema, seen, depth)
        if schema.one_of:
            return self.one_of(schema, seen, depth)
        if schema.any_of:
            return self.value(schema.any_of[0], seen, depth + 1)
        kind = schema.type
        if kind == "any":
            kind = "object" if schema.properties else "string"
        return getattr(self, kind)(schema, seen, depth)

    def beside(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        """An object whose `anyOf`/`oneOf` sits beside properties of its own
        (`{anyOf: [ScanReport, CommitReport], properties: {report-type: ...}, required: [...]}`):
        the first member's sample with the object's own fields added that leaves the whole
        valid; else the first member's sample with them."""
        own = self.object(dataclasses.replace(schema, one_of=(), any_of=()), seen, depth)
        first = None
        for member in (*schema.one_of, *schema.any_of):
            try:
                chosen = self.value(member, seen, depth + 1)
            except errors.SpecError:  # a member with no finite value; the others may have one
                continue
            merged = {**chosen, **own} if isinstance(chosen, dict) else chosen
            if conformance.conforms(merged, schema, self.components):
                return merged
            first = merged if first is None else first
        return own if first is None else first

    def required_one(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        """An object whose `oneOf` members only say which fields it requires
        (`oneOf: [{required: [a]}, {required: [b, c]}]`): its fields, less those only the
        other members require, for the first member that leaves exactly one matching."""
        whole = self.object(dataclasses.replace(schema, one_of=()), seen, depth)
        for member in schema.one_of:
            others = {name for o in schema.one_of if o is not member for name in o.required}
            candidate = {k: v for k, v in whole.items() if k not in others - set(member.required)}
            if conformance.conforms(candidate, schema, self.components):
                return candidate
        return whole

    def one_of(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        """A sample of the first member that no other member accepts too (`oneOf` means
        exactly one); else one made exclusive (`exclusive`); else the first member's."""
        first = self.value(schema.one_of[0], seen, depth + 1)
        if conformance.conforms(first, schema, self.components):
            return first
        made = [(schema.one_of[0], first)]
        for option in schema.one_of[1:]:
            try:
                candidate = self.value(option, seen, depth + 1)
            except errors.SpecError:  # this member has no finite value; the others may
                continue
            if conformance.conforms(candidate, schema, self.components):
                return candidate
            made.append((option, candidate))
        for member, candidate in made:
            mended = self.exclusive(candidate, member, schema)
            if mended is not None:
                return mended
        return first

    def exclusive(self, value: Any, member: model.Schema, schema: model.Schema) -> Any:
        """`value` (of `member`) with, for each other member that accepts it too, a property
        that member types and `member` leaves open, set to a value of another type; None when
        that does not make `value` valid under exactly one member. Members that overlap
        (`FileInfo` and `FolderInfo`, both a `GenericFileInfo` with more optional fields) are
        told apart this way; a spec whose members allow no such property keeps its ambiguity."""
        own = schemas.flatten(member, self.components)
        if not isinstance(value, dict) or own.additional_properties is False:
            return None
        result = dict(value)
        declared = {prop.name for prop in own.properties}
        for other in schema.one_of:
            if other is member or not conformance.conforms(result, other, self.components):
                continue
            for prop in schemas.flatten(other, self.components).properties:
                wrong = _other_type(schemas.resolve(prop.schema, self.components).type)
                if prop.name not in declared and prop.name not in result and wrong is not None:
                    result[prop.name] = wrong
                    break
        return result if conformance.conforms(result, schema, self.components) else None

    def object(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        result: dict[str, Any] = {}
        for prop in schema.properties:
            sub = prop.schema
            resolved = schemas.resolve(sub, self.components)
            if self.writing and resolved.read_only:
                continue
            if not self.writing and resolved.write_only:
                continue
            recursive = sub.ref in seen or (
                resolved.items is not None and resolved.items.ref in seen
            )
            if not prop.required and (recursive or depth >= MAX_DEPTH):
                continue
            hint = _cast(self.hints.get(prop.name, model.MISSING), resolved.type)
            if hint is not model.MISSING and conformance.conforms(hint, sub, self.components):
                result[prop.name] = hint
            elif _placeholder(prop.name, resolved) and conformance.conforms(
                f"<{prop.name}>", sub, self.components
            ):
                result[prop.name] = f"<{prop.name}>"
            else:
                value = self.value(sub, seen, depth + 1)
                if (
                    prop.required
                    or not resolved.one_of
                    or conformance.conforms(value, sub, self.components)
                ):
                    result[prop.name] = value
                # else: every member of its oneOf accepts the value (open objects that share
                # no property); an optional property no value can satisfy is left out
        return result

    def array(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        count = max(1, schema.min_items or 0)
        if schema.max_items is not None:
            count = min(count, schema.max_items)
        if schema.items is None or (depth >= MAX_DEPTH and not schema.min_items):
            return [] if schema.items is not None else ["string"] * count
        item = self.value(schema.items, seen, depth + 1)
        if schema.unique_items and count > 1 and isinstance(item, int):
            return [item + i for i in range(count)]
        return [item] * count

    def string(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        text = STRINGS.get(schema.format or "", "string")
        if schema.min_length is not None and len(text) < schema.min_length:
            text = text + "x" * (schema.min_length - len(text))
        if schema.max_length is not None:
            text = text[: schema.max_length]
        if schema.pattern is not None and patterns.search(schema.pattern, text) is False:
            bounds = (schema.pattern, schema.min_length, schema.max_length)
            text = patterns.example(*bounds) or text
            if secret_shapes.flagged(text):  # `^AC[0-9a-fA-F]{32}$`: "AC000..." reads as a key
                text = patterns.example(*bounds, last=True) or text
        return text

    def integer(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        return int(self.number(schema, seen, depth))

    def number(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        low = schema.minimum if schema.minimum is not None else schema.exclusive_minimum
        high = schema.maximum if schema.maximum is not None else schema.exclusive_maximum
        value: float = 1 if low is None or low <= 1 else math.ceil(low)
        if schema.exclusive_minimum is not None and value <= schema.exclusive_minimum:
            value = math.floor(schema.exclusive_minimum) + 1
        if high is not None and value > high:
            value = high if schema.exclusive_maximum is None else high - 1
        if schema.multiple_of and isinstance(schema.multiple_of, int | float):
            steps = value / schema.multiple_of
            if math.isfinite(steps):
                value = math.ceil(steps) * schema.multiple_of
        if isinstance(value, float) and not math.isfinite(value):
            return 1  # bounds past float range (the parser bounds integers, not their product)
        return int(value) if float(value).is_integer() else value

    def boolean(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        return True

    def null(self, schema: model.Schema, seen: frozenset[str], depth: int) -> Any:
        return None


def _constrains(member: model.Schema) -> bool:
    """Whether a `oneOf` member only lists required fields (no type, no fields of its own)."""
    return bool(member.required) and dataclasses.replace(
        member, required=(), pointer="", description=None
    ) == model.Schema(pointer="")


def _placeholder(name: str, schema: model.Schema) -> bool:
    """Secret-looking fields get a templated placeholder, never a plausible-looking value."""
    return (
        schema.type == "string"
        and schema.example is model.MISSING
        and not schema.enum
        and not schema.format
        and SECRET_NAMES.search(name) is not None
        and len(name) + 2 >= (schema.min_length or 0)
        and len(name) + 2 <= (schema.max_length or 1 << 30)
    )


def _cast(value: Any, kind: str) -> Any:
    if value is model.MISSING or isinstance(value, dict):
        return model.MISSING
    if kind == "string":
        return str(value)
    if kind in ("integer", "number") and isinstance(value, str) and value.isdigit():
        return int(value)
    return value
