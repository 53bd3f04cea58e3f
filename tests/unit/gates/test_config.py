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
