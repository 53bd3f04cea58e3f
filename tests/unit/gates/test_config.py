from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools

import pytest

from kodegen.gates import config


def test_defaults() -> None:
    settings = config.GateConfig(package="petstore", app=None, openapi=None)
    assert settings.min_coverage == 95.0
    assert settings.fail_on_severity == "medium"
    assert settings.contract is True
    assert settings.timeout_seconds == 180.0
    assert settings.memory_mb == 2048
    assert settings.max_examples == 25
    assert (settings.max_cases, settings.contract_min_examples) == (400, 5)


def test_is_frozen() -> None:
    settings = config.GateConfig(package="petstore", app=None, openapi=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.memory_mb = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_coverage", 101.0),
        ("min_coverage", -1.0),
        ("fail_on_severity", "critical"),
        ("timeout_seconds", 0.0),
        ("memory_mb", 0),
        ("max_examples", 0),
        ("max_cases", 0),
        ("contract_min_examples", 0),
    ],
)
def test_rejects_out_of_range_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"GateConfig.{field}="):
        config.GateConfig(package="petstore", app=None, openapi=None, **{field: value})  # type: ignore[arg-type]


def test_every_field_has_a_docstring() -> None:
    tree = ast.parse(inspect.getsource(config.GateConfig))
    body = tree.body[0].body  # type: ignore[attr-defined]
    documented = {
        node.target.id
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    }
    assert documented == {field.name for field in dataclasses.fields(config.GateConfig)}


@pytest.mark.parametrize(
    "values",
    [
        {"min_coverage": 0.0},
        {"min_coverage": 100.0},
        {"timeout_seconds": 0.5},
        {"memory_mb": 1},
        {"max_examples": 1},
        {"max_cases": 1},
        {"contract_min_examples": 1},
        {"isolation": "required"},
    ],
)
def test_bounds_are_inclusive(values: dict[str, object]) -> None:
    settings = config.GateConfig(package="petstore", app=None, openapi=None, **values)  # type: ignore[arg-type]
    assert {key: getattr(settings, key) for key in values} == values


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "min_coverage",
            100.5,
            "GateConfig.min_coverage=100.5: expected a percentage from 0 to 100",
        ),
        (
            "fail_on_severity",
            "none",
            "GateConfig.fail_on_severity='none': expected 'low', 'medium' or 'high'",
        ),
        (
            "timeout_seconds",
            0.0,
            "GateConfig.timeout_seconds=0.0: expected a positive number of seconds",
        ),
        ("memory_mb", 0, "GateConfig.memory_mb=0: expected a positive number of MiB"),
        ("max_examples", 0, "GateConfig.max_examples=0: expected at least 1"),
        ("max_cases", 0, "GateConfig.max_cases=0: expected at least 1"),
        ("contract_min_examples", 0, "GateConfig.contract_min_examples=0: expected at least 1"),
        (
            "isolation",
            "strict",
            "GateConfig.isolation='strict': expected 'required' or 'best-effort'",
        ),
    ],
)
def test_a_value_out_of_range_is_refused_with_what_is_expected(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        config.GateConfig(package="petstore", app=None, openapi=None, **{field: value})  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (
            {"contract": False, "app": "a:app", "openapi": "o.json"},
            "disabled: spec.qualityGates.contract is false",
        ),
        (
            {"contract": True, "app": None, "openapi": "o.json"},
            "not applicable: the template declares no app (entrypoints.app), so there is no "
            "served API to test (a models-only or library project)",
        ),
        (
            {"contract": True, "app": "a:app", "openapi": None},
            "not applicable: the template declares no OpenAPI document (entrypoints.openapi) "
            "to test the app against",
        ),
        ({"contract": True, "app": "a:app", "openapi": "o.json"}, None),
    ],
)
def test_contract_skipped_says_why_the_contract_gate_does_not_run(
    values: dict[str, object], reason: str | None
) -> None:
    settings = config.GateConfig(package="petstore", **values)  # type: ignore[arg-type]
    assert settings.contract_skipped() == reason
