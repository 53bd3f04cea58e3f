"""Regression tests for each hostile input named in issue 9 (and the readable-input ones of
issue 10): refused in one line naming where and why, or read correctly; never a crash, a
hang or a memory blow-up. Through the loader, the spec parsers, and `kodegen validate`."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import cli, errors
from kodegen.documents import limits, loading
from kodegen.pipeline import manifest
from kodegen.specs import graphql, jsonschema, openapi, patterns, samples
from kodegen.templates import registry
from tests.security import test_fuzz_harness as harness


def api(schema: Any = None, *, status: Any = "200", **extra: Any) -> dict[str, Any]:
    """An OpenAPI 3.0 document with one operation answering `schema`."""
    response: dict[str, Any] = {"description": "ok"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "getA", "responses": {status: response}}}},
        **extra,
    }


def refused(parse: Any, document: Any) -> str:
    with pytest.raises(errors.InputError) as caught:
        parse(document)
    message = str(caught.value)
    assert "\n" not in message
    assert not isinstance(caught.value, errors.UnexpectedInputError), message
    return message


# -- YAML: aliases, depth, keys, values --------------------------------------------------------


def bomb(levels: int = 9, fan: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * fan) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_in_milliseconds_without_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(errors.DocumentError, match=r"more than 100000 values.*max_nodes"):
        loading.load(bomb(), source="bomb.yaml")
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB


def test_an_alias_bomb_of_long_strings_is_refused_by_size() -> None:
    text = "s: &s " + "x" * 100_000 + "\n" + "l: [" + ", ".join(["*s"] * 200) + "]\n"
    with pytest.raises(errors.DocumentError, match=r"bytes of text with YAML aliases expanded"):
        loading.load(text, source="s.yaml")


def test_aliases_within_the_limits_still_work() -> None:
    assert loading.load("a: &x {b: 1}\nc: *x\nd: {<<: *x, e: 2}\n", source="x") == {
        "a": {"b": 1},
        "c": {"b": 1},
        "d": {"b": 1, "e": 2},
    }


@pytest.mark.parametrize("text", ["a: &x [1, *x]\n", "a: &x {b: *x}\n", "a: &x {b: [{c: *x}]}\n"])
def test_a_recursive_alias_is_refused(text: str) -> None:
    with pytest.raises(errors.DocumentError, match=r"x\.yaml:1:\d+: recursive alias \*x"):
        loading.load(text, source="x.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "x: " + "[" * 900 + "]" * 900,
        "x: " + "{a: " * 900 + "1" + "}" * 900,
        "".join(" " * i + "a:\n" for i in range(900)),
        json.dumps({"x": json.loads("[" * 900 + "]" * 900)}),
        "x: " + "[" * 100_000,  # never closed: refused by depth, never read to the end
    ],
    ids=["flow-list", "flow-map", "block", "json", "unclosed"],
)
def test_nesting_900_deep_is_refused_by_name(text: str) -> None:
    with pytest.raises(errors.DocumentError, match=r"nested more than 64 levels deep|nesting"):
        loading.load(text, source="deep.yaml")


def test_a_deep_alias_counts_at_its_full_depth() -> None:
    text = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    with pytest.raises(errors.DocumentError, match="nested more than 64"):
        loading.load(text, source="x")


@pytest.mark.parametrize("digits", [41, 400, 5000])
def test_long_integers_are_refused_by_name(digits: int) -> None:
    for text in (f"a: {'9' * digits}\n", f'{{"a": {"9" * digits}}}'):
        with pytest.raises(errors.DocumentError, match=rf"integer of {digits} digits"):
            loading.load(text, source="x")
    with pytest.raises(errors.DocumentError, match="at /a: integer of"):
        loading.plain({"a": 10 ** (digits - 1)})


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a: [.nan]", "NaN"),
        ("a: .inf", "Infinity"),
        ("a: -.Inf", "-Infinity"),
        ('{"a": [NaN]}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": 1e999}', "Infinity"),
    ],
)
def test_nan_and_infinity_are_refused_by_name(text: str, name: str) -> None:
    with pytest.raises(errors.DocumentError, match=rf"{name} is not a JSON number"):
        loading.load(text, source="x")


def test_keys_are_the_text_written_so_unquoted_status_codes_work() -> None:
    text = "200: a\n2024-01-01: b\non: c\n1.5: d\n~: e\n0x1F: f\n"
    assert loading.load(text, source="x") == {
        "200": "a",
        "2024-01-01": "b",
        "on": "c",
        "1.5": "d",
        "~": "e",
        "0x1F": "f",
    }
    assert loading.load("d: 2024-01-01\nt: 2024-01-01T10:00:00Z\n", source="x") == {
        "d": "2024-01-01",
        "t": "2024-01-01T10:00:00Z",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("? [a, b]\n: c\n", "a mapping key must be a string, not a list"),
        ("? {a: 1}\n: c\n", "a mapping key must be a string, not a mapping"),
        ("200: a\n'200': b\n", "duplicate key '200' \\(first at line 1\\)"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ("a: !!binary aGk=\n", "tag !!binary"),
        ("a: !!python/object/apply:os.system [true]\n", "tag !!python/object/apply:os.system"),
        ("a: !!set {x}\n", "tag !!set"),
        ("a: !custom 1\n", "tag !custom"),
    ],
)
def test_what_is_not_json_data_is_refused_by_name(text: str, reason: str) -> None:
    with pytest.raises(errors.DocumentError, match=reason):
        loading.load(text, source="x")


def test_data_parsed_elsewhere_is_checked_the_same_way() -> None:
    import datetime

    assert loading.plain({200: {"b": 1, "a": datetime.date(2024, 1, 1)}}) == {
        "200": {"a": "2024-01-01", "b": 1}
    }
    with pytest.raises(errors.DocumentError, match="mapping key True is not a string"):
        loading.plain({True: 1})
    with pytest.raises(errors.DocumentError, match="at /a/0: NaN"):
        loading.plain({"a": [float("nan")]})
    with pytest.raises(errors.DocumentError, match="nested more than 64"):
        loading.plain(harness_nested(450))


def harness_nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": [value]}
    return value


def test_limits_are_documented_constants() -> None:
    assert limits.DEFAULT.max_depth == 64 and limits.DEFAULT.max_integer_digits == 40
    smaller = limits.Limits(max_depth=2)
    with pytest.raises(errors.DocumentError, match="nested more than 2"):
        loading.load("a: {b: {c: 1}}", source="x", limits=smaller)


# -- OpenAPI -----------------------------------------------------------------------------------


def test_unquoted_status_codes_work() -> None:
    text = (
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        200: {description: ok}\n        404: {description: missing}\n"
    )
    spec = openapi.parse(loading.load(text, source="x"))
    assert [r.status for r in spec.operations[0].responses] == ["200", "404"]
    # and from data parsed by PyYAML (int keys), as tests and libraries hand it over
    spec = openapi.parse(yaml.safe_load(text))
    assert [r.status for r in spec.operations[0].responses] == ["200", "404"]


def test_a_date_key_where_status_codes_go_is_refused_by_the_validator() -> None:
    message = refused(openapi.parse, api(status="2024-01-01"))
    assert message.startswith(
        "specification at /paths/~1a/get/responses: unknown field '2024-01-01'"
    )


def test_nan_in_an_enum_is_refused_with_its_pointer() -> None:
    message = refused(openapi.parse, api({"type": "number", "enum": [1.0, float("nan")]}))
    assert "schema/enum/1: NaN is not a JSON number" in message


@pytest.mark.parametrize(
    "document",
    [
        api(
            {"$ref": "#/components/schemas/A/items"},
            components={
                "schemas": {
                    "A": {
                        "type": "array",
                        "items": {
                            "$ref": "#/paths/~1a/get/responses/200/content/application~1json/schema"
                        },
                    }
                }
            },
        ),
        api(
            {
                "type": "object",
                "properties": {
                    "self": {
                        "$ref": "#/paths/~1a/get/responses/200/content/application~1json/schema"
                    }
                },
            }
        ),
        api(
            {"$ref": "#/components/schemas/A/properties/b"},
            components={
                "schemas": {
                    "A": {
                        "type": "object",
                        "properties": {"b": {"$ref": "#/components/schemas/A/properties/b"}},
                    }
                }
            },
        ),
    ],
    ids=["through-a-component-member", "property-to-parent", "component-member-self"],
)
def test_ref_cycles_outside_named_schemas_are_refused(document: dict[str, Any]) -> None:
    assert "$ref cycle" in refused(openapi.parse, document)


def test_recursion_through_a_named_schema_is_fine() -> None:
    document = api(
        {"$ref": "#/components/schemas/Node"},
        components={
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        }
                    },
                }
            }
        },
    )
    assert "Node" in openapi.parse(document).schemas


@pytest.mark.parametrize(
    ("keyword", "value"), [("minLength", 10**11), ("minItems", 10**11), ("minLength", 10**9)]
)
def test_huge_lower_bounds_are_refused_by_name(keyword: str, value: Any) -> None:
    message = refused(openapi.parse, api({"type": "string", keyword: value}))
    assert f"schema/{keyword}:" in message and "limits.max_count" in message
    # JSON's 1e11 is a float: OpenAPI 3.0 wants an integer there, and says so
    message = refused(openapi.parse, api({"type": "string", keyword: float(value)}))
    assert f"schema/{keyword}:" in message


def test_huge_upper_bounds_and_tiny_multiples_are_read() -> None:
    spec = openapi.parse(
        api({"type": "number", "maxLength": 10**11, "multipleOf": 1e-300, "minimum": 1e300})
    )
    schema = spec.operations[0].responses[0].schema
    assert schema is not None and schema.max_length == 10**11
    assert isinstance(samples.sample(schema, spec.schemas), int | float)


def test_a_sample_too_large_to_write_is_refused() -> None:
    schema = {"type": "array", "minItems": 4000, "items": {"type": "string", "minLength": 1000}}
    spec = openapi.parse(api(schema))
    response = spec.operations[0].responses[0].schema
    assert response is not None
    with pytest.raises(errors.SpecError, match=r"limits\.max_sample_bytes"):
        samples.sample(response, spec.schemas)


def test_a_schema_without_a_finite_sample_is_refused() -> None:
    spec = openapi.parse(
        api(
            {"$ref": "#/components/schemas/A"},
            components={
                "schemas": {
                    "A": {
                        "type": "object",
                        "required": ["a"],
                        "properties": {"a": {"$ref": "#/components/schemas/A"}},
                    }
                }
            },
        )
    )
    with pytest.raises(errors.SpecError, match="no finite value"):
        samples.sample(spec.schemas["A"], spec.schemas)


def test_examples_nested_450_deep_are_refused_before_any_gate() -> None:
    message = refused(openapi.parse, api({"type": "object", "example": harness_nested(225)}))
    assert "nested more than 64 levels deep" in message


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_unicode_property_classes_work(version: str) -> None:
    document = api({"type": "string", "pattern": r"^\p{L}[\p{L}\p{N} ]*$"})
    document["openapi"] = version
    schema = openapi.parse(document).operations[0].responses[0].schema
    assert schema is not None and schema.pattern == r"^\p{L}[\p{L}\p{N} ]*$"
    assert patterns.search(schema.pattern, "Zoë 2") is True
    assert patterns.search(schema.pattern, "2") is False


def test_a_redos_pattern_is_judged_in_linear_time() -> None:
    started = time.perf_counter()
    document = api({"type": "string", "pattern": "^(a+)+$", "default": "a" * 5000 + "!"})
    assert "does not match the pattern" in refused(openapi.parse, document)
    assert patterns.search("(x+x+)+y", "x" * 100_000) is False
    assert time.perf_counter() - started < 2  # Python's re: about 49 s for 28 characters


def test_patterns_re2_cannot_run_stay_valid_and_unjudged() -> None:
    lookahead = "^(?=.*[A-Z]).{8,}$"
    openapi.parse(api({"type": "string", "pattern": lookahead, "default": "x"}))
    assert patterns.search(lookahead, "Abcdefgh") is None


@pytest.mark.parametrize("pattern", ["[", "a{2,1}", "x" * 5000])
def test_unreadable_patterns_are_refused_with_their_pointer(pattern: str) -> None:
    message = refused(openapi.parse, api({"type": "string", "pattern": pattern}))
    assert "schema/pattern:" in message


@pytest.mark.parametrize(
    ("schema", "where", "says"),
    [
        ({"type": "jsonb"}, "schema/type", "`type` 'jsonb' is not a type"),
        ({"type": ["string", "null"]}, "schema/type", "is not of type 'string'"),
        ({"type": "string", "minLength": -1}, "schema/minLength", "less than the minimum"),
    ],
)
def test_validator_messages_give_the_reason_and_the_pointer(
    schema: dict[str, Any], where: str, says: str
) -> None:
    message = refused(openapi.parse, api(schema))
    assert where + ":" in message and says in message
    assert "{" not in message  # no dump of the schema


def test_swagger_other_than_2_0_is_refused_cleanly() -> None:
    document = {"swagger": "1.2", "info": {"title": "T", "version": "1"}, "paths": {}}
    assert "/swagger" in refused(openapi.parse, document)


# -- JSON Schema -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2020-12/schema#",
    ],
)
def test_dialect_uris_as_people_write_them(uri: str) -> None:
    spec = jsonschema.parse({"$schema": uri, "title": "T", "type": "object", "properties": {}})
    assert "T" in spec.schemas


def test_draft_07_defs_are_checked_against_the_metaschema() -> None:
    document = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$defs": {"A": {"type": "object", "properties": {"n": {"minLength": "x"}}}},
    }
    message = refused(jsonschema.parse, document)
    assert "/$defs/A/properties/n/minLength" in message and "draft-07" in message


def test_json_schema_ref_cycles_are_refused() -> None:
    document = {
        "title": "T",
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": {"$ref": "#/properties/a"}}}},
    }
    assert "$ref cycle" in refused(jsonschema.parse, document)


def test_json_schema_unicode_patterns_and_limits() -> None:
    jsonschema.parse({"type": "string", "pattern": r"^\p{Lu}"})
    assert "limits.max_count" in refused(
        jsonschema.parse, {"$defs": {"A": {"type": "array", "minItems": 1e11}}}
    )


# -- GraphQL -----------------------------------------------------------------------------------


def test_graphql_nesting_and_size_are_bounded() -> None:
    deep = "type Query { a: " + "[" * 5000 + "Int" + "]" * 5000 + " }"
    assert "nested too deeply" in refused(graphql.parse, deep)
    long = "type Query {" + " a: Int" * 100_000 + " }"
    assert "200000 tokens" in refused(graphql.parse, long)


# -- every bad input through `kodegen validate`: exit 2, one line ------------------------------


def _inline(document_text: str, spec_type: str = "openapi") -> str:
    return harness.manifest_text(spec_type, document_text)


CLI_CASES = {
    "alias-bomb": bomb(),
    "recursive-alias": "a: &x [1, *x]\n",
    "deep": "x: " + "[" * 900 + "]" * 900 + "\n",
    "long-integer": _inline(json.dumps(api({"type": "integer", "minimum": 10**400}))),
    "nan-enum": _inline(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        200:\n          description: ok\n          content:\n"
        "            application/json: {schema: {type: number, enum: [.nan]}}\n"
    ),
    "date-key": _inline(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        2024-01-01: {description: ok}\n"
    ),
    "ref-loop": _inline(
        json.dumps(api({"$ref": "#/paths/~1a/get/responses/200/content/application~1json/schema"}))
    ),
    "min-length": _inline(json.dumps(api({"type": "string", "minLength": 1e11}))),
    "deep-example": _inline(json.dumps(api({"type": "object", "example": harness_nested(225)}))),
    "redos": _inline(json.dumps(api({"pattern": "^(a+)+$", "default": "a" * 40 + "!"}))),
    "jsonb": _inline(json.dumps(api({"type": "jsonb"}))),
    "defs-07": _inline(
        json.dumps(
            {"$schema": "http://json-schema.org/draft-07/schema#", "$defs": {"A": {"type": 3}}}
        ),
        "jsonSchema",
    ),
    "graphql": _inline("type Query { a: " + "[" * 3000 + "Int" + "]" * 3000 + " }", "graphql"),
    "not-utf8": "\udcff",
}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_validate_exits_2_with_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(CLI_CASES[name].encode("utf-8", "surrogateescape"))
    assert cli.main(["validate", str(path)]) == cli.BAD_INPUT
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "bug in kodegen" not in lines[0]


def test_unquoted_status_codes_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        _inline(
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a/{id}:\n    get:\n"
            "      operationId: getA\n      parameters:\n"
            "        - {name: id, in: path, required: true, schema: {type: string}}\n"
            "      responses:\n        200:\n          description: ok\n          content:\n"
            "            application/json:\n"
            "              schema: {type: string, pattern: '^\\p{L}+$'}\n"
            "        404: {description: missing}\n"
        )
    )
    assert cli.main(["validate", str(path)]) == cli.OK, capsys.readouterr().err


def test_an_unexpected_failure_is_one_line_never_a_traceback() -> None:
    with pytest.raises(errors.UnexpectedInputError) as caught, loading.guard("the thing"):
        {}["missing"]  # the bug kodegen might have
    assert str(caught.value).startswith("the thing: kodegen could not read it (KeyError")
    assert "\n" not in str(caught.value)


def test_manifests_and_template_files_use_the_bounded_loader(tmp_path: Path) -> None:
    with pytest.raises(errors.ManifestError, match="more than 100000 values"):
        manifest.parse(bomb(), source="m.yaml")
    folder = tmp_path / "demo" / "1.0.0"
    (folder / "files").mkdir(parents=True)
    (folder / "template.yaml").write_text(bomb())
    with pytest.raises(errors.TemplateError, match="more than 100000 values"):
        registry.load(folder)
