"""templates.filters, the rules its first tests left open (found by `make mutate`): where long
strings are cut, the limits and defaults of the escaping filters, text that cannot be UTF-8,
and the messages of the errors a template author reads."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen.templates import filters, untrusted


def literal(*pieces: str) -> str:
    """The parenthesized implicit concatenation `quote` writes for a long text."""
    return "(" + " ".join(f'"{piece}"' for piece in pieces) + ")"


# -- quote: a text of more than LONG_STRING characters is cut into pieces of at most _PIECE,
# after the last space in the second half of each piece


def test_a_text_of_exactly_the_long_string_length_stays_one_literal() -> None:
    assert filters.quote("x" * 64) == '"' + "x" * 64 + '"'
    assert filters.quote("x" * 65) == literal("x" * 48, "x" * 17)


def test_a_last_piece_of_exactly_the_piece_length_is_not_cut_again() -> None:
    assert filters.quote("x" * 96) == literal("x" * 48, "x" * 48)


def test_a_long_text_is_cut_after_the_last_space_within_the_piece() -> None:
    text = "a" * 26 + " " + "b" * 10 + " " + "c" * 15 + " " + "d" * 20  # spaces at 26, 37, 53
    assert filters.quote(text) == literal(
        "a" * 26 + " " + "b" * 10 + " ", "c" * 15 + " " + "d" * 20
    )


@pytest.mark.parametrize("space", [10, 20])  # before the piece's second half (24 of 48)
def test_a_space_early_in_the_piece_does_not_cut_it_short(space: int) -> None:
    text = "a" * space + " " + "b" * (70 - space)
    assert filters.quote(text) == literal(text[:48], text[48:])


def test_a_cut_never_falls_before_a_low_surrogate() -> None:
    # a cut at character 48 would separate "\udc00" from the character before it: cut at 47
    for low in ("\udc00", "\udfff"):
        assert filters._pieces("a" * 48 + low + "b" * 30) == ["a" * 47, "a" + low + "b" * 30]
    assert filters._pieces("a" * 48 + "\ue000" + "b" * 30) == ["a" * 48, "\ue000" + "b" * 30]


# -- pyrepr: strings inside collections are cut at NESTED_STRING, top-level ones as quote does


def test_a_top_level_string_is_cut_as_quote_cuts_it_a_nested_one_shorter() -> None:
    assert filters.pyrepr("s" * 50) == '"' + "s" * 50 + '"'
    assert filters.pyrepr(["s" * 50]) == "[" + literal("s" * 32, "s" * 18) + "]"


def test_a_key_inside_a_nested_dict_is_cut_as_a_nested_string() -> None:
    assert filters.pyrepr([{"k" * 40: 1}]) == "[{" + literal("k" * 32, "k" * 8) + ": 1}]"


def test_an_indented_list_splits_the_collections_inside_it() -> None:
    assert filters.pyrepr([[1]], indent=2) == "[\n  [\n    1,\n  ],\n]"


def test_indents_from_zero_to_max_indent_are_taken_others_refused() -> None:
    assert filters.pyrepr([1], indent=0) == "[\n1,\n]"
    assert filters.pyrepr([1], indent=16) == "[\n" + " " * 16 + "1,\n]"
    for indent in (-1, 17):
        with pytest.raises(ValueError) as refused:
            filters.pyrepr([1], indent=indent)
        assert str(refused.value) == f"indent {indent} is outside 0..16"


def test_what_is_not_json_like_is_refused_naming_what_to_pass() -> None:
    with pytest.raises(TypeError) as refused:
        filters.pyrepr({1, 2})
    assert str(refused.value) == (
        "pyrepr: set is not JSON-like data; pass dicts, lists, strings, numbers, booleans or None"
    )


# -- tojson: text that cannot be UTF-8 is written with ASCII escapes, keeping indent and separators


def test_tojson_with_a_lone_surrogate_keeps_indent_and_separators() -> None:
    value: dict[str, Any] = {"a": "\udc80", "b": [1]}
    assert filters.tojson(value, indent=2, separators=(",", ":")) == (
        '{\n  "a":"\\udc80",\n  "b":[\n    1\n  ]\n}'
    )


# -- docstring


def test_docstring_is_88_characters_wide_by_default() -> None:
    assert filters.docstring("x" * 88) == "x" * 88
    assert filters.docstring("x" * 89) == "x" * 85 + "..."


def test_a_text_that_fits_is_kept_even_when_it_is_three_dots() -> None:
    assert filters.docstring("...") == "..."
    assert filters.docstring("...", width=3) == "..."


def test_one_word_longer_than_a_narrow_width_is_cut_inside_it() -> None:
    assert filters.docstring("x" * 20, width=8) == "xxxxx..."
    assert filters.docstring("x" * 8, width=4) == "x..."


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [("\\ abc", 5, "\\\\..."), ("a\\ abc", 6, "a\\\\...")],
)
def test_escapes_that_lengthen_the_text_shorten_it_until_it_fits(
    text: str, width: int, expected: str
) -> None:
    assert filters.docstring(text, width=width) == expected
    assert len(expected) == width


def test_docstring_escapes_lone_surrogates() -> None:
    assert filters.docstring("a\udc80b") == "a\\udc80b"


# -- comment


def test_comment_is_64_characters_wide_by_default() -> None:
    assert filters.comment("x" * 64) == "x" * 64
    assert filters.comment("x" * 65) == "x" * 61 + "..."


def test_a_comment_narrower_than_the_dots_keeps_one_character() -> None:
    assert filters.comment("abcdef", width=3) == "a..."


def test_comment_escapes_characters_beyond_latin_1_as_u_escapes() -> None:
    assert filters.comment("a\ufeffb\x85c") == "a\\ufeffb c"
    assert filters.comment("a\x7fb") == "a\\x7fb"


# -- toml


def test_toml_writes_newline_and_tab_as_short_escapes_and_keeps_spaces() -> None:
    assert filters.toml("a\nb\tc d") == '"a\\nb\\tc d"'


def test_toml_escapes_controls_and_replaces_every_surrogate() -> None:
    assert filters.toml("\x1f\x7f") == '"\\u001F\\u007F"'
    assert filters.toml("\ud800\udfff\ue000") == '"\\uFFFD\\uFFFD\ue000"'


# -- md, mdcode, pep440


def test_md_turns_every_line_break_into_one_space() -> None:
    assert filters.md("a\r\nb\u2028c") == "a b c"


def test_mdcode_pads_a_text_that_ends_in_a_backtick() -> None:
    assert filters.mdcode("a`") == "`` a` ``"


def test_pep440_drops_a_leading_capital_v() -> None:
    assert filters.pep440("V1.2.3") == "1.2.3"


# -- the messages a template author reads


def test_ident_names_the_bad_text_and_the_filters_to_use() -> None:
    name = "not an identifier " * 5
    with pytest.raises(ValueError) as refused:
        filters.ident(name)
    assert str(refused.value) == (
        f"ident: {name[:60]!r} is not a Python identifier; "
        "build names from spec text with pyident, snake or pascal"
    )


def test_code_names_the_spec_text_and_the_filters_to_use() -> None:
    with pytest.raises(ValueError) as refused:
        filters.code(untrusted.SpecText("x" * 100))
    assert str(refused.value) == (
        "code: '" + "x" * 59 + " is text from the specification, not code; "
        "use quote, ident, docstring or comment"
    )
