"""The fuzzer's cases: hypothesis strategies for every spec type and raw YAML attacks.

OpenAPI 3.0/3.1 and Swagger 2.0 documents, JSON Schema documents (draft-07, 2020-12), GraphQL
SDL, built from plausible parts with hostile values mixed in (integer and date keys, NaN,
400-digit integers, huge counts, ReDoS and `\\p{L}` patterns, `$ref`s to anywhere, deep
nesting); the valid examples with hostile keywords set at random places; raw YAML attacks
(alias bombs, recursive aliases, tags, merges, duplicate keys); raw text and bytes. Each
becomes a `harness.Case`: a manifest file, or a ConfigMap-held document.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.security import test_fuzz_harness as harness

# -- values ------------------------------------------------------------------------------------

PATTERNS = [
    r"^[a-z]+$",
    r"^(a+)+$",
    r"^(a|a)*$",
    r"(x+x+)+y",
    r"^\p{L}+$",
    r"^\p{Lu}\p{Ll}*$",
    r"^(?=.*[A-Z]).{8,}$",
    r"(a)\1",
    r"[",
    r"\u00e9+",
    r"a{2000}",
    r"(?<name>x)",
    "",
    "(" * 300 + ")" * 300,
]
STRINGS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "héllo", "", "#/", "\x00", "'\"{{"]),
)
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.integers(min_value=10**30, max_value=10**420),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e11, 1e-300, 0.5, -1, 10**40, 5.0]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS, st.dates())
KEYS = st.one_of(
    st.text(max_size=10),
    st.integers(0, 999),
    st.dates(),
    st.sampled_from(["$ref", "type", "properties", "default", "pattern", "200", "x-a"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


DEEP = st.builds(nested, st.integers(1, 1200))
REFS = st.one_of(
    st.sampled_from(
        [
            "#/components/schemas/A",
            "#/components/schemas/B",
            "#/components/schemas/A/properties/self",
            "#/paths/~1a/get/responses/200/content/application~1json/schema",
            "#/$defs/A",
            "#/definitions/A",
            "#/properties/a",
            "#",
            "#/nowhere",
            "other.yaml#/A",
            "https://example.com/x.json",
        ]
    ),
    st.text(max_size=8),
)
TYPES = st.sampled_from(
    ["string", "integer", "number", "object", "array", "boolean", "null", "jsonb", 3]
) | st.lists(st.sampled_from(["string", "null", "integer"]), max_size=3)


def schemas() -> st.SearchStrategy[Any]:
    leaf = st.fixed_dictionaries(
        {},
        optional={
            "type": TYPES,
            "$ref": REFS,
            "pattern": st.sampled_from(PATTERNS),
            "minLength": NUMBERS,
            "maxLength": NUMBERS,
            "minItems": NUMBERS,
            "maxItems": NUMBERS,
            "minimum": NUMBERS,
            "maximum": NUMBERS,
            "multipleOf": NUMBERS,
            "exclusiveMinimum": st.booleans() | NUMBERS,
            "enum": st.lists(SCALARS, max_size=3),
            "format": st.sampled_from(["date", "email", "uuid", "regex", "int64", "x"]),
            "example": JSON | DEEP,
            "default": SCALARS,
            "nullable": st.booleans(),
            "required": st.lists(st.sampled_from(["a", "b", "self"]), max_size=2),
        },
    )
    return st.recursive(
        leaf | st.booleans(),
        lambda inner: st.fixed_dictionaries(
            {},
            optional={
                "type": TYPES,
                "properties": st.dictionaries(
                    st.sampled_from(["a", "b", "self", "date", "class"]) | KEYS, inner, max_size=3
                ),
                "items": inner,
                "additionalProperties": inner,
                "allOf": st.lists(inner, max_size=2),
                "oneOf": st.lists(inner, max_size=2),
                "required": st.lists(st.sampled_from(["a", "b", "self"]), max_size=2),
                "$defs": st.dictionaries(st.sampled_from(["A", "B"]), inner, max_size=2),
            },
        ),
        max_leaves=6,
    )


SCHEMA = schemas()
STATUS = st.one_of(
    st.sampled_from([200, 201, 404, "200", "default", "2XX", 99, "abc"]), st.dates(), st.integers()
)
RESPONSE = st.fixed_dictionaries(
    {"description": STRINGS},
    optional={
        "content": st.dictionaries(
            st.sampled_from(["application/json", "*/*", "text/plain", "application/x+json"]),
            st.fixed_dictionaries({}, optional={"schema": SCHEMA, "example": JSON | DEEP}),
            max_size=2,
        )
    },
)
PARAMETER = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["id", "limit", "q", "Accept"]) | STRINGS,
        "in": st.sampled_from(["path", "query", "header", "cookie", "body"]),
    },
    optional={"schema": SCHEMA, "required": st.booleans(), "$ref": REFS},
)
OPERATION = st.fixed_dictionaries(
    {"responses": st.dictionaries(STATUS, RESPONSE, max_size=3)},
    optional={
        "operationId": st.sampled_from(["listA", "getA", "class", "a\nb", ""]) | STRINGS,
        "parameters": st.lists(PARAMETER, max_size=2),
        "requestBody": st.fixed_dictionaries(
            {"content": st.dictionaries(st.just("application/json"), st.just({"schema": {}}))},
            optional={"required": st.booleans()},
        ),
    },
)
PATHS = st.dictionaries(
    st.sampled_from(["/a", "/a/{id}", "/b/{id}/c", "a", "/{", "/x/{y/}"]) | STRINGS,
    st.dictionaries(st.sampled_from(["get", "post", "put", "delete", "patch"]), OPERATION)
    | st.fixed_dictionaries({"$ref": REFS}),
    max_size=3,
)
INFO = st.fixed_dictionaries({"title": STRINGS, "version": STRINGS | NUMBERS}) | JSON


@st.composite
def openapi(draw: st.DrawFn) -> dict[Any, Any]:
    document: dict[Any, Any] = {
        "openapi": draw(st.sampled_from(["3.0.3", "3.1.0", "3.0.0", "3.1", "4.0.0", 3.0])),
        "info": draw(INFO),
        "paths": draw(PATHS),
    }
    if draw(st.booleans()):
        document["components"] = {
            "schemas": draw(st.dictionaries(st.sampled_from(["A", "B", "C"]) | KEYS, SCHEMA))
        }
    if draw(st.booleans()):
        document[draw(KEYS)] = draw(JSON)
    return document


@st.composite
def swagger(draw: st.DrawFn) -> dict[Any, Any]:
    return {
        "swagger": draw(st.sampled_from(["2.0", 2.0, "1.2"])),
        "info": draw(INFO),
        "paths": draw(PATHS),
        "definitions": draw(st.dictionaries(st.sampled_from(["A", "B"]), SCHEMA, max_size=2)),
    }


@st.composite
def json_schema(draw: st.DrawFn) -> dict[Any, Any]:
    document: dict[Any, Any] = draw(
        st.dictionaries(st.sampled_from(["title", "type", "properties", "items"]), SCHEMA)
    )
    document["$schema"] = draw(
        st.sampled_from(
            [
                "https://json-schema.org/draft/2020-12/schema",
                "http://json-schema.org/draft-07/schema#",
                "https://json-schema.org/draft-07/schema",
                "http://json-schema.org/draft-04/schema#",
            ]
        )
    )
    for keyword in draw(st.lists(st.sampled_from(["$defs", "definitions"]), max_size=2)):
        document[keyword] = draw(st.dictionaries(st.sampled_from(["A", "B", "C"]), SCHEMA))
    document["title"] = draw(st.sampled_from(["Root", "A", ""]) | STRINGS)
    return document


GRAPHQL_TYPES = st.sampled_from(["String", "Int!", "[Post!]!", "Post", "ID", "Float", "Nope"])


@st.composite
def graphql(draw: st.DrawFn) -> str:
    parts = ["type Query { " + " ".join(draw(st.lists(_field(), min_size=1, max_size=3))) + " }"]
    for name in draw(st.lists(st.sampled_from(["Post", "User", "Mutation", "Subscription"]))):
        fields = " ".join(draw(st.lists(_field(), min_size=1, max_size=3)))
        kind = draw(st.sampled_from(["type", "input", "interface", "extend type"]))
        parts.append(f"{kind} {name} {{ {fields} }}")
    parts += draw(
        st.lists(
            st.sampled_from(
                [
                    "directive @key(fields: String) on OBJECT",
                    'scalar Date @specifiedBy(url: "x")',
                    "enum E { A B }",
                    "union U = Post | User",
                    "schema { query: Query subscription: Subscription }",
                    '"""doc""" type Doc { a: String }',
                    "type Deep { a: " + "[" * 600 + "Int" + "]" * 600 + " }",
                    "{{ }} ###",
                ]
            ),
            max_size=2,
        )
    )
    text = "\n".join(parts)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=5)) + text[cut:]
    return text


@st.composite
def _field(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["a", "posts", "user", "__x", "class", "b"]))
    arguments = draw(st.sampled_from(["", "(id: ID!)", "(first: Int = 10)", "(x: [Int] = [1])"]))
    return f"{name}{arguments}: {draw(GRAPHQL_TYPES)}"


# -- raw YAML attacks --------------------------------------------------------------------------


@st.composite
def yaml_attack(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(["bomb", "recursive", "deep", "tags", "keys", "merge", "numbers", "text"])
    )
    if kind == "bomb":
        levels, fan = draw(st.integers(2, 12)), draw(st.integers(2, 12))
        lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan) + "]"]
        for level in range(1, levels):
            refs = ", ".join([f"*a{level - 1}"] * fan)
            lines.append(f"a{level}: &a{level} [{refs}]")
        return "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n" + "\n".join(lines)
    if kind == "recursive":
        return draw(
            st.sampled_from(
                [
                    "openapi: 3.0.3\ninfo: &i {title: t, version: '1', self: *i}\npaths: {}",
                    "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: &p {/a: *p}",
                    "a: &x [1, *x]",
                    "a: &x {b: *x}",
                    "a: *undefined",
                ]
            )
        )
    if kind == "deep":
        depth = draw(st.integers(10, 3000))
        style = draw(st.sampled_from(["flow-list", "flow-map", "block"]))
        if style == "flow-list":
            return "openapi: 3.0.3\nx: " + "[" * depth + "]" * depth
        if style == "flow-map":
            return "openapi: 3.0.3\nx: " + "{a: " * depth + "1" + "}" * depth
        return "openapi: 3.0.3\nx:\n" + "".join(" " * i + "a:\n" for i in range(1, depth))
    if kind == "tags":
        return draw(
            st.sampled_from(
                [
                    "openapi: !!python/object/apply:os.system ['true']",
                    "a: !!binary aGVsbG8=",
                    "a: !!set {x, y}",
                    "a: !custom 1",
                    "a: !!omap [{x: 1}]",
                    "? [a, b]\n: c",
                    "? {a: 1}\n: c",
                ]
            )
        )
    if kind == "keys":
        return draw(
            st.sampled_from(
                [
                    "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
                    "      responses:\n        200: {description: ok}\n"
                    "        '200': {description: x}",
                    "a: 1\na: 2",
                    "2024-01-01: x\non: y\n~: z\n1.5: w",
                    "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
                    "      responses:\n        2024-01-01: {description: ok}",
                ]
            )
        )
    if kind == "merge":
        return "base: &b {title: t, version: '1'}\ninfo:\n  <<: *b\n  <<: [*b, *b]\nopenapi: 3.0.3"
    if kind == "numbers":
        digits = draw(st.integers(1, 5000))
        return draw(
            st.sampled_from(
                [
                    f"a: {'9' * digits}",
                    f"a: -{'1' * digits}",
                    f"a: 0x{'f' * digits}",
                    "a: .nan\nb: .inf\nc: -.Inf",
                    f"a: 1.{'0' * digits}e999",
                    "a: 1_000\nb: 0o17\nc: 1:30",
                ]
            )
        )
    return draw(st.text(max_size=200))


# -- valid documents, mutated -----------------------------------------------------------------

EXAMPLES = Path(__file__).parents[2] / "examples"


def _inline(name: str) -> Any:
    spec = yaml.safe_load((EXAMPLES / name).read_text())["spec"]["specification"]
    member = spec[spec["type"]]
    return member.get("inline", member.get("schema"))


BASES = {
    "openapi": [_inline("petstore.yaml"), _inline("models-openapi.yaml")],
    "jsonSchema": [_inline("models-jsonschema.yaml")],
}
HOSTILE = st.one_of(JSON, DEEP, SCHEMA, REFS, NUMBERS, st.sampled_from(PATTERNS))
KEYWORDS = (
    st.sampled_from(
        [
            "$ref",
            "pattern",
            "minLength",
            "minItems",
            "maxItems",
            "multipleOf",
            "example",
            "examples",
            "default",
            "enum",
            "required",
            "properties",
            "items",
            "type",
            "nullable",
            "operationId",
            "format",
            "allOf",
        ]
    )
    | KEYS
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping in `node`."""
    found = []
    if isinstance(node, dict):
        found.append(path)
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, spec_type: str) -> Any:
    """A valid example document with one to three keywords set to hostile values."""
    document = json.loads(json.dumps(draw(st.sampled_from(BASES[spec_type]))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_places(document)))
        target = document
        for step in path:
            target = target[step]
        target[draw(KEYWORDS)] = draw(HOSTILE)
    return document


# -- documents to text -------------------------------------------------------------------------


def as_text(document: Any, style: str) -> str | None:
    """`document` as YAML (int and date keys stay YAML's) or JSON (keys become strings, NaN
    the bare word); None when it cannot be written that way (the emitter is recursive)."""
    try:
        if style == "yaml":
            return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return json.dumps(document, default=str)
    except (RecursionError, ValueError, TypeError):
        return None


@st.composite
def cases(draw: st.DrawFn) -> harness.Case:
    case = draw(_cases())
    if case.kind != "configmap" and draw(st.integers(0, 7)) != 0:  # 1 in 8 via cli.main
        return dataclasses.replace(case, via_cli=False)
    return case


@st.composite
def _cases(draw: st.DrawFn) -> harness.Case:
    spec_type = draw(st.sampled_from(["openapi", "swagger", "jsonSchema", "graphql", "raw"]))
    if spec_type == "raw":
        payload = draw(st.one_of(yaml_attack(), st.text(max_size=300)))
        target = draw(st.sampled_from(["openapi", "jsonSchema", "graphql", "manifest"]))
        if target == "manifest":
            if draw(st.booleans()):
                return harness.Case("manifest-bytes", draw(st.binary(max_size=300)))
            return harness.Case("manifest-text", payload)
        if target != "graphql" and draw(st.booleans()):
            return harness.Case("configmap", payload, target)
        return harness.Case("manifest-text", harness.manifest_text(target, payload))
    if spec_type == "graphql":
        return harness.Case("manifest-text", harness.manifest_text("graphql", draw(graphql())))
    built = {"openapi": openapi(), "swagger": swagger(), "jsonSchema": json_schema()}
    if spec_type in BASES and draw(st.booleans()):
        document = draw(mutated(spec_type))
    else:
        document = draw(built[spec_type])
    text = as_text(document, draw(st.sampled_from(["yaml", "json"])))
    if text is None:
        text = json.dumps(str(document)[:1000])
    if draw(st.booleans()):
        return harness.Case("configmap", text, spec_type)
    return harness.Case("manifest-text", harness.manifest_text(spec_type, text))


def test_dates_survive_as_text() -> None:
    """A guard on the fuzzer itself: YAML-written date keys reach kodegen as YAML dates."""
    text = as_text({datetime.date(2024, 1, 1): 1}, "yaml")
    assert text == "2024-01-01: 1\n"
