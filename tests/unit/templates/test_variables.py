from __future__ import annotations

import time
from typing import Any

import pytest

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.templates import variables


def var(name: str, **fields: Any) -> codetemplate.TemplateVariable:
    return codetemplate.TemplateVariable(name=name, **fields)


DECLARED = [
    var("packageName", required=True, pattern=r"^[a-z_][a-z0-9_]*$"),
    var("port", type="integer", default=8000),
    var("debug", type="boolean", default=False),
    var("ratio", type="number"),
    var("tags", type="array", default=["api"]),
    var("labels", type="object"),
    var("flavour", enum=["sync", "async"], default="sync"),
]


def test_defaults_applied_in_declared_order() -> None:
    result = variables.validate(DECLARED, {"ratio": 0.5, "packageName": "petstore"})
    assert list(result) == [v.name for v in DECLARED]
    assert result == {
        "packageName": "petstore",
        "port": 8000,
        "debug": False,
        "ratio": 0.5,
        "tags": ["api"],
        "labels": None,
        "flavour": "sync",
    }


def test_defaults_are_copies() -> None:
    first = variables.validate(DECLARED, {"packageName": "a"})
    first["tags"].append("mutated")
    assert variables.validate(DECLARED, {"packageName": "a"})["tags"] == ["api"]
    assert DECLARED[4].default == ["api"]


def test_given_values_win_and_null_means_not_given() -> None:
    result = variables.validate(
        DECLARED, {"packageName": "p", "port": 9000, "debug": None, "labels": {"a": "b"}}
    )
    assert (result["port"], result["debug"], result["labels"]) == (9000, False, {"a": "b"})


def test_integer_is_a_number() -> None:
    assert variables.validate(DECLARED, {"packageName": "p", "ratio": 2})["ratio"] == 2


def error(
    declared: list[codetemplate.TemplateVariable], given: dict[str, Any]
) -> errors.VariableError:
    with pytest.raises(errors.VariableError) as caught:
        variables.validate(declared, given)
    return caught.value


def test_unknown_variable_suggests_the_closest_name() -> None:
    caught = error(DECLARED, {"packagename": "p"})
    assert caught.variable == "packagename"
    assert "did you mean 'packageName'?" in caught.reason
    assert "packageName, port, debug" in caught.reason


def test_unknown_variable_without_declared_variables() -> None:
    assert "declares no variables" in error([], {"x": 1}).reason


def test_required_missing() -> None:
    caught = error(DECLARED, {})
    assert caught.variable == "packageName"
    assert "is required but not given; add it to spec.variables" in caught.reason
    assert "^[a-z_][a-z0-9_]*$" in caught.reason


def test_required_given_as_null_is_missing() -> None:
    assert "is required" in error(DECLARED, {"packageName": None}).reason


def test_pattern_must_match_the_whole_value() -> None:
    caught = error(DECLARED, {"packageName": "Pet-Store"})
    assert caught.variable == "packageName"
    assert caught.reason == "must match ^[a-z_][a-z0-9_]*$, got 'Pet-Store'"
    assert "must match" in error([var("x", pattern="[a-z]+")], {"x": "abc1"}).reason


def test_a_backtracking_pattern_runs_in_linear_time() -> None:
    # Python's re takes minutes on this value; RE2 answers at once
    started = time.monotonic()
    caught = error([var("x", pattern="(a+)+$")], {"x": "a" * 40 + "!"})
    assert caught.reason.startswith("must match (a+)+$")
    assert time.monotonic() - started < 5


def test_a_pattern_re2_cannot_run_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not a regular expression RE2 can run"):
        var("x", pattern="(?=a)a")
    assert variables.validate([var("x", pattern=r"\p{L}+")], {"x": "été"}) == {"x": "été"}


@pytest.mark.parametrize(
    ("declared_type", "value", "expected"),
    [
        ("string", 5, "must be a string, got 5 (integer)"),
        ("integer", "8000", "must be an integer, got '8000' (string)"),
        ("integer", True, "must be an integer, got True (boolean)"),
        ("integer", 8000.0, "must be an integer, got 8000.0 (number)"),
        ("number", False, "must be a number, got False (boolean)"),
        ("number", "1.5", "must be a number, got '1.5' (string)"),
        ("boolean", "true", "must be a boolean (true or false), got 'true' (string)"),
        ("boolean", 1, "must be a boolean (true or false), got 1 (integer)"),
        ("array", "a,b", "must be an array (a YAML list), got 'a,b' (string)"),
        ("array", {"a": 1}, "must be an array (a YAML list), got {'a': 1} (object)"),
        ("object", [1], "must be an object (a YAML mapping), got [1] (array)"),
    ],
)
def test_type_mismatch(declared_type: str, value: Any, expected: str) -> None:
    caught = error([var("x", type=declared_type)], {"x": value})
    assert (caught.variable, caught.reason) == ("x", expected)


def test_enum() -> None:
    caught = error(DECLARED, {"packageName": "p", "flavour": "threads"})
    assert caught.variable == "flavour"
    assert caught.reason == "must be one of 'sync', 'async', got 'threads'"


def test_enum_keeps_booleans_apart_from_numbers() -> None:
    declared = [var("level", type="integer", enum=[0, 1])]
    assert variables.validate(declared, {"level": 1}) == {"level": 1}
    declared = [var("flag", type="boolean", enum=[True])]
    assert "must be one of True" in error(declared, {"flag": False}).reason


def test_an_invalid_default_is_reported_as_the_templates() -> None:
    caught = error([var("port", type="integer", default="80")], {})
    assert caught.reason == "must be an integer, got the template's default '80' (string)"


def test_message_names_variable() -> None:
    assert str(error(DECLARED, {})).startswith("variable 'packageName': ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "null"), (True, "boolean"), (1, "integer"), (1.0, "number"), ("", "string"),
     ([], "array"), ((), "array"), ({}, "object"), ({1}, "set")],
)  # fmt: skip
def test_json_type(value: Any, expected: str) -> None:
    assert variables.json_type(value) == expected


def test_unknown_variable_without_a_close_name_lists_the_declared_ones() -> None:
    declared = [var("packageName"), var("port", type="integer")]
    assert error(declared, {"zzz": 1}).reason == (
        "unknown variable; the template declares packageName, port"
    )
    assert error(declared, {"prot": 1}).reason == (
        "unknown variable; did you mean 'port'? the template declares packageName, port"
    )


def test_unknown_variable_of_a_template_without_variables_is_to_be_removed() -> None:
    assert error([], {"x": 1}).reason == "unknown: this template declares no variables; remove it"


def test_a_missing_required_variable_is_described_in_full() -> None:
    declared = [
        var("mode", required=True, enum=["sync", "async"], description="how handlers run"),
        var("name", required=True, pattern="^[a-z]+$"),
    ]
    assert error(declared, {}).reason == (
        "is required but not given; add it to spec.variables "
        "(string; one of 'sync', 'async'; how handlers run)"
    )
    assert error(declared, {"mode": "sync"}).reason == (
        "is required but not given; add it to spec.variables (string; matching ^[a-z]+$)"
    )


def test_nested_defaults_are_copies_too() -> None:
    declared = [var("limits", type="object", default={"paths": ["/a"]})]
    first = variables.validate(declared, {})
    first["limits"]["paths"].append("/mutated")
    assert variables.validate(declared, {}) == {"limits": {"paths": ["/a"]}}
    assert declared[0].default == {"paths": ["/a"]}
