"""schema.structural: pydantic JSON schema in, Kubernetes structural schema out."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import Field

from kodegen.api import base, schema


class Leaf(base.KodegenModel):
    """A leaf."""

    size: int = Field(default=3, gt=0)
    """How big."""


class Sample(base.KodegenModel):
    """A sample."""

    name: str
    """Its name."""
    color: Literal["red", "blue"] = "red"
    """Its color."""
    leaf: Leaf | None = None
    """An optional leaf."""
    leaves: list[Leaf] = Field(default_factory=list)
    """Leaves."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels."""
    anything: Any = None
    """Free-form."""
    fixed: Literal["only"] = "only"
    """A constant."""


def test_converts_a_model() -> None:
    converted = schema.structural(Sample)

    assert converted == {
        "type": "object",
        "description": "A sample.",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "Its name."},
            "color": {
                "type": "string",
                "enum": ["red", "blue"],
                "default": "red",
                "description": "Its color.",
            },
            "leaf": {
                "type": "object",
                "nullable": True,
                "description": "An optional leaf.",
                "properties": {
                    "size": {
                        "type": "integer",
                        "default": 3,
                        "minimum": 0,
                        "exclusiveMinimum": True,
                        "description": "How big.",
                    }
                },
            },
            "leaves": {
                "type": "array",
                "description": "Leaves.",
                "items": {
                    "type": "object",
                    "description": "A leaf.",
                    "properties": {
                        "size": {
                            "type": "integer",
                            "default": 3,
                            "minimum": 0,
                            "exclusiveMinimum": True,
                            "description": "How big.",
                        }
                    },
                },
            },
            "labels": {
                "type": "object",
                "description": "Labels.",
                "additionalProperties": {"type": "string"},
            },
            "anything": {"description": "Free-form.", "x-kubernetes-preserve-unknown-fields": True},
            "fixed": {
                "type": "string",
                "enum": ["only"],
                "default": "only",
                "description": "A constant.",
            },
        },
    }


def test_field_description_wins_over_the_model_docstring() -> None:
    converted = schema.structural(Sample)

    assert converted["properties"]["leaf"]["description"] == "An optional leaf."
    assert converted["properties"]["leaves"]["items"]["description"] == "A leaf."


class Node(base.KodegenModel):
    """A tree."""

    children: list[Node] = Field(default_factory=list)
    """Subtrees."""


def test_refuses_a_recursive_model() -> None:
    with pytest.raises(TypeError, match="Node is recursive"):
        schema.structural(Node)


class Either(base.KodegenModel):
    """A union."""

    value: int | str
    """One or the other."""


def test_refuses_a_union() -> None:
    with pytest.raises(TypeError, match=r"Either\.value: a union has no Kubernetes form"):
        schema.structural(Either)


class Unique(base.KodegenModel):
    """A set."""

    tags: set[str]
    """Unique tags."""


def test_refuses_a_keyword_kubernetes_lacks() -> None:
    with pytest.raises(TypeError, match="'uniqueItems' has no Kubernetes form"):
        schema.structural(Unique)


class Bag(base.KodegenModel):
    """A bag."""

    items: list[dict[str, Any]] = Field(default_factory=lambda: [{"a": 1}])
    """Things."""
    note: str | None = None
    """Maybe."""


def test_keeps_only_scalar_non_null_defaults() -> None:
    converted = schema.structural(Bag)

    assert "default" not in converted["properties"]["items"]
    assert "default" not in converted["properties"]["note"]
    assert converted["properties"]["items"]["items"] == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_descriptions_are_one_line() -> None:
    converted = schema.structural(base.KodegenModel)

    assert "\n" not in converted["description"]
