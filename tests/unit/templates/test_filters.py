from __future__ import annotations

import ast
import keyword
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodegen.templates import filters

NAMES: list[tuple[str, str, str, str, str]] = [
    # text, snake, pascal, camel, kebab
    ("listPets", "list_pets", "ListPets", "listPets", "list-pets"),
    ("find pet by id", "find_pet_by_id", "FindPetById", "findPetById", "find-pet-by-id"),
    ("list-data-sets", "list_data_sets", "ListDataSets", "listDataSets", "list-data-sets"),
    ("HTTPServer", "http_server", "HttpServer", "httpServer", "http-server"),
    ("getHTTPResponseCode", "get_http_response_code", "GetHttpResponseCode",
     "getHttpResponseCode", "get-http-response-code"),
    ("getV2Users", "get_v2_users", "GetV2Users", "getV2Users", "get-v2-users"),
    ("pet2", "pet2", "Pet2", "pet2", "pet2"),
    ("already_snake_case", "already_snake_case", "AlreadySnakeCase", "alreadySnakeCase",
     "already-snake-case"),
    ("  Spaces\tand\nlines  ", "spaces_and_lines", "SpacesAndLines", "spacesAndLines",
     "spaces-and-lines"),
    ("/pets/{petId}", "pets_pet_id", "PetsPetId", "petsPetId", "pets-pet-id"),
    ("café au lait", "cafe_au_lait", "CafeAuLait", "cafeAuLait", "cafe-au-lait"),
    ("2fa code", "_2fa_code", "_2faCode", "_2faCode", "2fa-code"),
    ("__init__", "init", "Init", "init", "init"),
    ("", "value", "Value", "value", ""),
    ("!!!", "value", "Value", "value", ""),
    ("日本", "value", "Value", "value", ""),
]  # fmt: skip


@pytest.mark.parametrize(("text", "snake", "pascal", "camel", "kebab"), NAMES)
def test_name_filters(text: str, snake: str, pascal: str, camel: str, kebab: str) -> None:
    assert filters.snake(text) == snake
    assert filters.pascal(text) == pascal
    assert filters.camel(text) == camel
    assert filters.kebab(text) == kebab


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("listPets", "list_pets"),
        ("class", "class_"),
        ("None", "none"),  # snake lowercases first: "none" is not a keyword
        ("import", "import_"),
        ("match", "match_"),
        ("case", "case_"),
        ("type", "type_"),
        ("id", "id"),  # builtins are fine as names
        ("list", "list"),
        ("123", "_123"),
        ("", "value"),
        ("async", "async_"),
    ],
)
def test_pyident(text: str, expected: str) -> None:
    assert filters.pyident(text) == expected


def test_pinned_keywords_cover_the_interpreters() -> None:
    assert set(keyword.kwlist) <= filters.KEYWORDS
    assert set(keyword.softkwlist) <= filters.SOFT_KEYWORDS


@given(st.text())
def test_names_are_always_valid_identifiers(text: str) -> None:
    for name in (filters.snake(text), filters.pascal(text), filters.camel(text)):
        assert name.isidentifier() and name.isascii()
    ident = filters.pyident(text)
    assert ident.isidentifier()
    assert not keyword.iskeyword(ident) and not keyword.issoftkeyword(ident)
    assert filters.snake(text) == filters.snake(text)  # deterministic


@given(st.text())
def test_kebab_is_lowercase_words_and_dashes(text: str) -> None:
    result = filters.kebab(text)
    assert (
        all(part and part.isalnum() and part.isascii() for part in result.split("-")) or not result
    )
    assert result == result.lower()


PYREPR: list[tuple[Any, str]] = [
    (None, "None"),
    (True, "True"),
    (False, "False"),
    (0, "0"),
    (-12, "-12"),
    (1.5, "1.5"),
    (1e100, "1e+100"),
    ("plain", '"plain"'),
    ("it's", '"it\'s"'),
    ('say "hi"', "'say \"hi\"'"),
    ("é\n\t\x00", '"é\\n\\t\\u0000"'),
    ([], "[]"),
    ({}, "{}"),
    ([1, "a", None], '[1, "a", None]'),
    ((1, 2), "[1, 2]"),
    ({"b": 1, "a": [True, {"c": None}]}, '{"b": 1, "a": [True, {"c": None}]}'),
    ({1: "int key"}, '{1: "int key"}'),
]


@pytest.mark.parametrize(("value", "expected"), PYREPR)
def test_pyrepr(value: Any, expected: str) -> None:
    assert filters.pyrepr(value) == expected


def test_pyrepr_indented_uses_magic_trailing_commas() -> None:
    value = {"a": [1, 2], "b": {}, "c": {"d": "e"}}
    assert filters.pyrepr(value, indent=4) == (
        '{\n    "a": [\n        1,\n        2,\n    ],\n    "b": {},\n'
        '    "c": {\n        "d": "e",\n    },\n}'
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "has no Python literal"),
        (float("inf"), "has no Python literal"),
        ({1, 2}, "set is not JSON-like data"),
        (object(), "object is not JSON-like data"),
    ],
)
def test_pyrepr_rejects_what_is_not_json_like(value: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        filters.pyrepr(value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(JSON)
def test_pyrepr_is_a_python_literal_of_the_value(value: Any) -> None:
    assert ast.literal_eval(filters.pyrepr(value)) == value
    assert ast.literal_eval(filters.pyrepr(value, indent=4)) == value


def test_pyrepr_output_is_stable_under_ruff_format() -> None:
    values = [
        {"name": "Pet", "tags": ["a", 'b"c', "d'e"], "n": 1.5, "ok": True, "none": None},
        [{"id": 1}, {"id": 2}],
        {"deep": {"deeper": {"deepest": []}}},
    ]
    source = "".join(
        f"X{index} = {filters.pyrepr(value, indent=4)}\n" for index, value in enumerate(values)
    )
    source += "Y = " + filters.pyrepr({"short": [1, 2]}) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "-"],
        input=source, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout == source


@given(st.text())
def test_quote_is_a_python_literal_of_the_text(text: str) -> None:
    literal = filters.quote(text)
    assert ast.literal_eval(literal) == text
    if len(text) > filters.LONG_STRING:  # pieces in parentheses: the line length holds
        assert literal[0] == "(" and literal[-1] == ")"
    else:
        assert literal[0] == ('"' if text.count('"') <= text.count("'") else "'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'),
        ("back\\slash", '"back\\\\slash"'),
        ('"', "'\"'"),
        ("'\"", '"\'\\""'),
        ("\ud800", '"\\ud800"'),  # a lone surrogate is escaped, so the file stays UTF-8
        # more double quotes than single: single-quoted, its single quotes escaped, its
        # double quotes bare (backslashes stay doubled)
        ('""\'', "'\"\"\\''"),
        ('a"b"c\'d', "'a\"b\"c\\'d'"),
        ('"\\"x', "'\"\\\\\"x'"),
        (42, '"42"'),
    ],
)
def test_quote(text: Any, expected: str) -> None:
    assert filters.quote(text) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ({"b": 1, "a": "é"}, {}, '{"b": 1, "a": "é"}'),
        ([1, 2], {"separators": [",", ":"]}, "[1,2]"),
        ({"a": 1}, {"separators": (",", ": ")}, '{"a": 1}'),
        ({"a": [1]}, {"indent": 2}, '{\n  "a": [\n    1\n  ]\n}'),
        ("<script>&'", {}, '"<script>&\'"'),  # no HTML escaping, unlike jinja2's tojson
        ("\udfff", {}, '"\\udfff"'),
    ],
)
def test_tojson(value: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert filters.tojson(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("Lists  the\n\npets.", {}, "Lists the pets."),
        ('He said """hi"""', {}, 'He said \\"\\"\\"hi\\"\\"\\"'),
        ('ends with a quote "', {}, 'ends with a quote \\"'),
        ('a "quoted" word', {}, 'a "quoted" word'),
        ("C:\\path\\n", {}, "C:\\\\path\\\\n"),
        ("bell\x07", {}, "bell\\x07"),
        ("one two three four five six", {"width": 15}, "one two..."),
        ("x" * 30, {"width": 10}, "xxxxxxx..."),
        ("", {}, ""),
        (None, {}, "None"),
    ],
)
def test_docstring(text: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert filters.docstring(text, **kwargs) == expected


@given(st.text())
def test_docstring_is_always_safe_between_triple_quotes(text: str) -> None:
    escaped = filters.docstring(text, width=10_000)
    module = f'def f() -> None:\n    """{escaped}"""\n'
    compile(module, "<docstring>", "exec")
    assert ast.literal_eval(f'"""{escaped}"""') == " ".join(text.split())
    assert "\n" not in escaped


def test_filters_table_names_every_filter() -> None:
    assert set(filters.FILTERS) == {
        "camel", "code", "comment", "docstring", "ident", "kebab", "md", "mdcode", "pascal",
        "pep440", "pyident", "pyrepr", "quote", "snake", "tojson", "toml", "yaml",
    }  # fmt: skip
