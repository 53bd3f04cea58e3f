"""The context filters: whatever the text, the output parses back to it in its language."""

from __future__ import annotations

import ast
import tomllib

import markdown_it
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kodegen.templates import filters, untrusted

NASTY = 'a"b\'c\\d\ne\rf\x00g\x7fh\u2028i\u0085j\ufeff"""\'\'\'#{{ x }}{% y %}]]`*_<b>|'
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]))


@given(texts)
def test_toml_parses_back_to_the_text(text: str) -> None:
    assert tomllib.loads(f"key = {filters.toml(text)}\n") == {"key": text}


def test_toml_escapes_every_metacharacter() -> None:
    literal = filters.toml(NASTY)
    assert tomllib.loads(f"k = {literal}\n[table]\n") == {"k": NASTY, "table": {}}
    assert "\n" not in literal and "\r" not in literal and "\x00" not in literal


def test_toml_replaces_lone_surrogates() -> None:
    literal = filters.toml("a\udc80b")
    assert tomllib.loads(f"k = {literal}") == {"k": "a\ufffdb"}


@given(texts)
def test_yaml_parses_back_to_the_text(text: str) -> None:
    parsed = yaml.safe_load(f"key: {filters.yaml(text)}\nother: 1\n")
    assert parsed == {"key": text, "other": 1}


@given(texts)
def test_comment_is_one_line_and_compiles(text: str) -> None:
    comment = filters.comment(text)
    compile(f"x = 1  # {comment}\ny = 2\n", "<comment>", "exec")
    tree = ast.parse(f"x = 1  # {comment}\ny = 2\n")
    assert len(tree.body) == 2


def test_comment_shortens_and_escapes() -> None:
    assert filters.comment("a\nb\x00c\u2028d") == "a b\\x00c d"
    assert filters.comment("x" * 100, width=10) == "xxxxxxx..."


@given(texts)
def test_md_renders_as_one_paragraph_of_the_same_text(text: str) -> None:
    escaped = filters.md(text)
    tokens = markdown_it.MarkdownIt("commonmark").parse(f"intro {escaped} end\n")
    kinds = [token.type for token in tokens]
    assert kinds == ["paragraph_open", "inline", "paragraph_close"]
    children = {child.type for child in tokens[1].children or []}
    assert children <= {"text", "softbreak"}, children


def test_md_escapes_markup() -> None:
    assert filters.md("# *a* <b>") == "\\# \\*a\\* \\<b\\>"


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "`plain`"), ("a`b", "``a`b``"), ("`x", "`` `x ``"), ("a\nb", "`a b`"),
])  # fmt: skip
def test_mdcode_fences_with_more_backticks_than_the_text(text: str, expected: str) -> None:
    assert filters.mdcode(text) == expected


@given(texts)
def test_mdcode_is_one_code_span(text: str) -> None:
    tokens = markdown_it.MarkdownIt("commonmark").parse(f"see {filters.mdcode(text)} here\n")
    kinds = [child.type for child in tokens[1].children or []]
    assert kinds.count("code_inline") == 1 and "html_inline" not in kinds


@pytest.mark.parametrize("name", ["pet", "Pet", "_x", "list_pets_2", "class_"])
def test_ident_passes_identifiers_unchanged(name: str) -> None:
    assert filters.ident(name) == name


@pytest.mark.parametrize("name", ["", "class", "2x", "a b", "a-b", "é", "x\n", "__import__('os')"])
def test_ident_refuses_anything_else(name: str) -> None:
    with pytest.raises(ValueError, match="not a Python identifier"):
        filters.ident(name)


def test_code_passes_built_source_and_refuses_spec_text() -> None:
    assert filters.code("list[Pet] | None") == "list[Pet] | None"
    with pytest.raises(ValueError, match="text from the specification"):
        filters.code(untrusted.SpecText('x"); import os'))
    with pytest.raises(ValueError, match="text from the specification"):
        filters.code(["ok", untrusted.SpecText("bad")])


@pytest.mark.parametrize(("text", "expected"), [
    ("1.0.0", "1.0.0"), ("v2.1", "2.1"), ("1.0.0-beta", "1.0.0-beta"), ("2024-01-01", "2024"),
    ("", "0.0.0"), ("latest", "0.0.0"), ('1.0"\n[tool.x]', "1.0"), ("1.0rc1", "1.0rc1"),
])  # fmt: skip
def test_pep440_keeps_valid_versions_and_salvages_the_rest(text: str, expected: str) -> None:
    assert filters.pep440(text) == expected


@given(texts, st.integers(min_value=12, max_value=120))
def test_docstring_and_comment_fit_their_width(text: str, width: int) -> None:
    assert len(filters.docstring(text, width)) <= width
    assert len(filters.comment(text, width)) <= width


@given(texts)
def test_long_quoted_strings_are_short_pieces_of_the_same_text(text: str) -> None:
    literal = filters.quote(text * 3)
    assert ast.literal_eval(literal) == text * 3
    assert all(len(piece) <= 2 + 6 * 48 for piece in literal.split('" "'))
