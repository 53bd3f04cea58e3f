"""What `implemented / total` counts: operations only (GraphQL root fields), not the object
fields with arguments or callbacks the not-implemented list also names."""

from __future__ import annotations

from kodegen.api import codegeneration
from kodegen.cli import summary
from kodegen.pipeline import generate

SDL = """
type Item { id: ID!, title: String!, words(max: Int): [String!]! }
type Query { item(id: ID!): Item, search(text: String!): [Item!]! }
"""


def test_fields_with_arguments_are_no_operations() -> None:
    manifest = codegeneration.CodeGeneration.model_validate(
        {
            "apiVersion": "kodegen.dev/v1alpha1",
            "kind": "CodeGeneration",
            "metadata": {"name": "items"},
            "spec": {
                "specification": {"type": "graphql", "graphql": {"schema": SDL}},
                "template": {"family": "python-graphql-service", "version": "^1.0"},
                "variables": {"packageName": "items"},
            },
        }
    )
    prepared = generate.Generator().validate(manifest)
    methods = sorted(op.method for op in prepared.plan.not_implemented)
    assert methods == ["field", "query"]  # Item.words, and search
    assert summary.operations(prepared) == (1, 2)
