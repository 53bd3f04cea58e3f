"""Injection corpus: metacharacters of every language the output holds, in every spec field.

Each case puts PAYLOAD (or, where the spec grammar allows only names, NAMES) into one field
of a valid spec, generates with the builtin template in-process (gates are run by
test_injection_gates.py), then parses every output file with the parser of its language and
asserts that nothing executable, no new key, heading or statement came from the spec:

- ``.py``: ``ast.parse``; the imports are those of the benign output, no call of an injected
  name (``__import__``, ``system``, ``exec``, ``eval``...), no statement count change;
- ``.toml``: ``tomllib``; the same table and key paths as the benign output;
- ``.json``: ``json.loads``; ``.graphql``: ``graphql.build_schema``;
- ``.md``: the same headings and code fences as the benign output, no raw HTML from the spec;
- everywhere: Jinja never evaluated spec text (``{{ 7*191 }}`` never became 1337).

A case whose input the spec layer refuses must fail with one line (kodegen's InputError).
"""

from __future__ import annotations

import ast
import collections
import copy
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import graphql
import markdown_it
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.pipeline import generate

ROOT = Path(__file__).parents[2]

PAYLOAD = (
    'pwn"\'\'\'"""\n__import__("os").system("id")  # \\\r\nexec("1")\u2028eval("2")'
    "\n{{ 7*191 }}{% if true %}x{% endif %}]] [tool.evil]\nkey = 1\n# heading\n"
    "<script>alert(1)</script> `tick` --- \t\x0b\x0c\x7f\u0085\x00 ${x} \\N{BULLET} '''"
)
"""Python, TOML, Markdown, YAML and Jinja metacharacters, with NUL and line separators."""

NAMES = ("__import__", "exec", "class", "None", "date", "self", "model_config", "_1x", "Pet")
"""Names for fields whose grammar allows only names (GraphQL): keywords, builtins, dunders."""

NAME_PAYLOAD = 'Pet"""\n__import__("os").system("id")#\\\r{{ 7*191 }}\u2028 class.None-1_x'
"""For names that end up in URLs and JSON pointers (component names): no ``/`` or ``~``."""

INJECTED_CALLS = frozenset({"__import__", "system", "exec", "eval", "alert"})
EVALUATED = "1337"  # 7 * 191: text Jinja would print had it evaluated spec text


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text("utf-8"))
    return data


Spec = dict[str, Any]
Mutator = Callable[[Spec, str], None]


def _openapi(mutate: Mutator, value: str) -> dict[str, Any]:
    manifest = _load("petstore.yaml")
    mutate(manifest["spec"]["specification"]["openapi"]["inline"], value)
    return manifest


def _op(spec: Spec, path: str = "/pets", method: str = "get") -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][path][method]
    return operation


def _rename_schema(spec: Spec, value: str) -> None:
    text = json.dumps(spec).replace(
        '"#/components/schemas/Pet"',
        json.dumps("#/components/schemas/" + value.replace("~", "~0").replace("/", "~1")),
    )
    spec.clear()
    spec.update(json.loads(text))
    spec["components"]["schemas"][value] = spec["components"]["schemas"].pop("Pet")


def _rename_property(spec: Spec, value: str) -> None:
    pet = spec["components"]["schemas"]["Pet"]
    pet["properties"][value] = pet["properties"].pop("tag")


OPENAPI: dict[str, Mutator] = {
    "info.title": lambda s, v: s["info"].__setitem__("title", v),
    "info.version": lambda s, v: s["info"].__setitem__("version", v),
    "info.description": lambda s, v: s["info"].__setitem__("description", v),
    "servers.url": lambda s, v: s["servers"][0].__setitem__("url", "http://h/" + v),
    "servers.url(f-string)": lambda s, v: s["servers"][0].__setitem__(
        "url", "http://h/{__import__('os').system('id')}/" + v.replace("\n", "")
    ),
    "operationId": lambda s, v: _op(s).__setitem__("operationId", v),
    "operationId(custom)": lambda s, v: _op(s, "/pets/{petId}").__setitem__("operationId", v),
    "summary": lambda s, v: _op(s).__setitem__("summary", v),
    "description": lambda s, v: _op(s).__setitem__("description", v),
    "tags": lambda s, v: _op(s).__setitem__("tags", [v]),
    "parameter.name": lambda s, v: _op(s)["parameters"][0].__setitem__("name", v),
    "parameter.description": lambda s, v: _op(s)["parameters"][0].__setitem__("description", v),
    "parameter.example": lambda s, v: _op(s, "/pets/{petId}")["parameters"][0].__setitem__(
        "example", v
    ),
    "response.description": lambda s, v: _op(s)["responses"]["200"].__setitem__("description", v),
    "schema.name": _rename_schema,
    "property.name": _rename_property,
    "property.description": lambda s, v: s["components"]["schemas"]["Pet"]["properties"][
        "name"
    ].__setitem__("description", v),
    "property.default": lambda s, v: s["components"]["schemas"]["Pet"]["properties"][
        "tag"
    ].__setitem__("default", v),
    "property.enum": lambda s, v: s["components"]["schemas"]["Pet"]["properties"][
        "tag"
    ].__setitem__("enum", [v, "other"]),
    "property.example": lambda s, v: s["components"]["schemas"]["Pet"]["properties"][
        "name"
    ].__setitem__("example", v),
    "schema.title": lambda s, v: s["components"]["schemas"]["Pet"].__setitem__("title", v),
    "schema.description": lambda s, v: s["components"]["schemas"]["Error"].__setitem__(
        "description", v
    ),
}


def _jsonschema(mutate: Mutator, value: str) -> dict[str, Any]:
    manifest = _load("models-jsonschema.yaml")
    mutate(manifest["spec"]["specification"]["jsonSchema"]["inline"], value)
    return manifest


def _rename_def(spec: Spec, value: str) -> None:
    pointer = json.dumps("#/$defs/" + value.replace("~", "~0").replace("/", "~1"))
    text = json.dumps(spec).replace('"#/$defs/Money"', pointer)
    spec.clear()
    spec.update(json.loads(text))
    spec["$defs"][value] = spec["$defs"].pop("Money")


JSONSCHEMA: dict[str, Mutator] = {
    "title": lambda s, v: s.__setitem__("title", v),
    "description": lambda s, v: s.__setitem__("description", v),
    "property.name": lambda s, v: s["properties"].__setitem__(v, {"type": "string"}),
    "property.title": lambda s, v: s["properties"]["name"].__setitem__("title", v),
    "property.description": lambda s, v: s["properties"]["name"].__setitem__("description", v),
    "property.default": lambda s, v: s["properties"]["name"].__setitem__("default", v),
    "property.examples": lambda s, v: s["properties"]["name"].__setitem__("examples", [v]),
    "enum": lambda s, v: s["properties"].__setitem__("status", {"enum": [v, "draft"]}),
    "const": lambda s, v: s["properties"].__setitem__("kind", {"const": v}),
    "defs.name": _rename_def,
}


def _graphql(mutate: Callable[[str, str], str], value: str) -> dict[str, Any]:
    manifest = _load("bookstore-graphql.yaml")
    specification = manifest["spec"]["specification"]["graphql"]
    specification["schema"] = mutate(specification["schema"], value)
    return manifest


def _block(text: str) -> str:
    """``text`` as a GraphQL block string (the only escape: ``\\\"\"\"``)."""
    return '"""' + text.replace('"""', '\\"""') + '"""'


def _gql_string(text: str) -> str:
    return json.dumps(text.replace("\x00", ""))  # a GraphQL string cannot hold NUL, even escaped


def _first_type(sdl: str, prefix: str) -> str:
    match = re.search(r"^type (\w+)", sdl, re.M)
    assert match, "the example schema has an object type"
    return sdl.replace(f"type {match[1]} ", f"{prefix}\ntype {match[1]} ", 1)


GRAPHQL: dict[str, Callable[[str, str], str]] = {
    "type.description": lambda sdl, v: _first_type(sdl, _block(v)),
    "schema.description": lambda sdl, v: re.sub(r'^"""[^"]*"""', lambda m: _block(v), sdl),
    "field.description": lambda sdl, v: sdl.replace(
        "  title: String!\n", f"  {_block(v)}\n  title: String!\n", 1
    ),
    "input.default": lambda sdl, v: sdl.replace(
        "input ReviewInput {\n  rating: Int!\n  comment: String\n",
        f"input ReviewInput {{\n  rating: Int!\n  comment: String = {_gql_string(v)}\n",
    ),
    "deprecation.reason": lambda sdl, v: sdl.replace(
        '@deprecated(reason: "Use NONFICTION.")', f"@deprecated(reason: {_gql_string(v)})"
    ),
    "enum.description": lambda sdl, v: sdl.replace('"Use NONFICTION."', _block(v), 1),
}


NAME_FIELDS: list[Any] = []  # filled below: the mutators of component names


def _manifest_cases() -> Iterator[Any]:
    for label, mutate in OPENAPI.items():
        yield pytest.param(_openapi, mutate, id=f"openapi-{label}")
    NAME_FIELDS.extend([OPENAPI["schema.name"], JSONSCHEMA["defs.name"]])
    for label, mutate in JSONSCHEMA.items():
        yield pytest.param(_jsonschema, mutate, id=f"jsonschema-{label}")
    for label, gmutate in GRAPHQL.items():
        yield pytest.param(_graphql, gmutate, id=f"graphql-{label}")


def render(data: Mapping[str, Any]) -> dict[str, str]:
    """Parse, plan, render and format in-process: the files a run would publish."""
    manifest = codegeneration.CodeGeneration.model_validate(copy.deepcopy(dict(data)))
    generator = generate.Generator()
    prepared = generator.validate(manifest)
    rendered = generator.format(prepared, generator.render(prepared))
    return {path: content.decode("utf-8") for path, content in rendered.items()}


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"  # types.exec(...) is a class of the schema
    if isinstance(func, ast.Attribute):
        return func.attr  # __import__("os").system(...)
    return ""


def python_shape(text: str, path: str) -> dict[str, Any]:
    tree = ast.parse(text, filename=path)
    imports = set()
    statements: collections.Counter[str] = collections.Counter()
    calls = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and "." in (node.module or ""):
            imports.add(f"{node.module}")  # the generated package's own modules: names vary
        elif isinstance(node, ast.ImportFrom):
            imports |= {f"{node.module}.{alias.name}" for alias in node.names}
        if isinstance(node, ast.stmt):
            statements[type(node).__name__] += 1
        if isinstance(node, ast.Call):
            calls.add(_callee(node))
    return {"imports": imports, "statements": statements, "calls": calls}


def _toml_keys(table: Mapping[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in table.items():
        keys.add(prefix + key)
        if isinstance(value, Mapping):
            keys |= _toml_keys(value, f"{prefix}{key}.")
    return keys


def markdown_shape(text: str) -> list[tuple[str, str]]:
    """Block structure: headings, fences, lists, HTML blocks, with the content of fences and
    code spans (what a reader would copy and run)."""
    shape = []
    for token in markdown_it.MarkdownIt("commonmark").parse(text):
        if token.type in (
            "heading_open",
            "fence",
            "code_block",
            "html_block",
            "bullet_list_open",
            "hr",
            "table_open",
        ):
            shape.append((token.type, token.content if token.type != "heading_open" else token.tag))
        for child in token.children or []:
            if child.type == "html_inline":
                shape.append(("html_inline", child.content))
    return shape


def check(outputs: Mapping[str, str], benign: Mapping[str, str]) -> None:
    for path, text in outputs.items():
        assert EVALUATED not in text or EVALUATED in benign.get(path, ""), (
            f"{path}: Jinja evaluated text from the spec"
        )
        assert "\x00" not in text, f"{path}: holds a NUL byte"
        if path.endswith(".py"):
            shape = python_shape(text, path)
            assert not shape["calls"] & INJECTED_CALLS, (
                f"{path}: calls {shape['calls'] & INJECTED_CALLS}"
            )
            if path in benign:
                before = python_shape(benign[path], path)
                assert shape["imports"] <= before["imports"], f"{path}: new imports"
                extra = shape["statements"] - before["statements"]
                assert not {
                    k: v
                    for k, v in extra.items()
                    if k
                    not in (
                        "ClassDef",
                        "AnnAssign",
                        "FunctionDef",
                        "Assign",
                        "Return",
                        "Expr",
                        "If",
                        "For",
                        "Assert",
                    )
                }, f"{path}: new statements {extra}"
        elif path.endswith(".toml"):
            parsed = tomllib.loads(text)
            if path in benign:
                assert _toml_keys(parsed) == _toml_keys(tomllib.loads(benign[path])), path
        elif path.endswith(".json"):
            json.loads(text)
        elif path.endswith(".graphql"):
            graphql.build_schema(text)
        elif path.endswith(".md") and path in benign:
            shape, before = markdown_shape(text), markdown_shape(benign[path])
            assert [k for k, _ in shape] == [k for k, _ in before], f"{path}: structure changed"
            assert [c.count("\n") for k, c in shape if k != "html_inline"] == [
                c.count("\n") for k, c in before if k != "html_inline"
            ], f"{path}: lines added to a code block"
            assert not [c for k, c in shape if k == "html_inline"], (
                f"{path}: raw HTML from the spec"
            )


BENIGN = "plain"
"""What a field holds in the baseline each case is compared with (same field, harmless text)."""


@pytest.mark.parametrize(("build", "mutate"), list(_manifest_cases()))
def test_no_field_injects_code(build: Callable[..., dict[str, Any]], mutate: Any) -> None:
    benign = render(build(mutate, BENIGN))
    payload = NAME_PAYLOAD if mutate in NAME_FIELDS else PAYLOAD
    if build is _graphql:
        payload = payload.replace("\x00", "")  # GraphQL source text cannot hold NUL
    assert build(mutate, payload) != build(lambda *args: args[0], payload), "the field was not set"
    try:
        outputs = render(build(mutate, payload))
    except errors.InputError as exc:
        message = str(exc)
        assert "\n" not in message and "Traceback" not in message, message
        pytest.fail(f"a valid spec with metacharacters was refused: {message}")
    check(outputs, benign)


GRAPHQL_NAMES = [name for name in NAMES if not name.startswith("__")]  # __x: introspection's


@pytest.mark.parametrize("name", GRAPHQL_NAMES)
@pytest.mark.parametrize(
    "rename",
    [
        pytest.param(lambda sdl, n: re.sub(r"\bAuthor\b", n, sdl), id="type"),
        pytest.param(lambda sdl, n: re.sub(r"\btitle\b", n, sdl), id="field"),
        pytest.param(lambda sdl, n: re.sub(r"\bFICTION\b", n, sdl), id="enum-value"),
        pytest.param(lambda sdl, n: re.sub(r"\brating\b", n, sdl), id="input-field"),
    ],
)
def test_graphql_names_become_safe_identifiers(
    rename: Callable[[str, str], str], name: str
) -> None:
    benign = render(_graphql(rename, "Plain"))
    outputs = render(_graphql(rename, name))
    check(outputs, benign)


METACHARACTERS = "\"'\\#{}%[]()`*_<>|\n\r\t\x00\x0b\x7f\u2028\u0085 :=;.,-/$@!~&abcXYZ"
FUZZED = ["info.title", "info.version", "operationId(custom)", "summary", "property.name",
          "parameter.description", "property.enum", "tags"]  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(FUZZED),
    text=st.text(alphabet=METACHARACTERS, min_size=1, max_size=60),
)
def test_fuzzed_metacharacters_never_break_the_output(field: str, text: str) -> None:
    """Random mixtures of metacharacters: every Python, TOML and JSON file still parses and
    calls nothing injected (a refusal must be one line)."""
    try:
        outputs = render(_openapi(OPENAPI[field], text))
    except errors.InputError as exc:
        assert "\n" not in str(exc)
        return
    check(outputs, {})
