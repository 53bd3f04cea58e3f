"""`order`: the identifiers a type expression evaluates, and dependencies before dependents."""

from __future__ import annotations

import pytest

from kodegen.views.openapi import order


@pytest.mark.parametrize(
    ("expressions", "names"),
    [
        (["list[Alert] | None"], ["list", "Alert"]),  # None is a constant
        (['Literal["Pet", "Alert"]'], ["Literal"]),  # text in a literal names nothing
        (["dict[str, Tree]", "Tree | int"], ["dict", "str", "Tree", "int"]),
        (['Annotated[str, Field(pattern="^A$")]'], ["Annotated", "str", "Field"]),
        (["not a type ("], []),
        ([""], []),
    ],
)
def test_names_in(expressions: list[str], names: list[str]) -> None:
    assert order.names_in(expressions) == names


def test_each_name_comes_after_what_it_references() -> None:
    references = {
        "Alerts": ["list", "Alert"],
        "Inventory": ["Alerts", "Level"],
        "Alert": ["Level"],
        "Level": ["Literal"],
    }
    assert order.dependencies_first(references) == ["Level", "Alert", "Alerts", "Inventory"]


def test_declaration_order_is_kept_where_references_allow() -> None:
    assert order.dependencies_first({"B": [], "A": [], "C": ["A"]}) == ["B", "A", "C"]


def test_cycles_end_and_keep_every_name_once() -> None:
    references = {"A": ["B"], "B": ["C"], "C": ["A", "C"], "D": ["B"]}
    assert order.dependencies_first(references) == ["C", "B", "A", "D"]


def test_a_long_chain_does_not_overflow_the_stack() -> None:
    count = 20_000
    references = {f"M{i}": [f"M{i + 1}"] for i in range(count)}
    references[f"M{count}"] = []
    result = order.dependencies_first(references)
    assert result[0] == f"M{count}" and result[-1] == "M0" and len(result) == count + 1
