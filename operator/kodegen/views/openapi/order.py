"""Models in the order Python needs them: each class after the classes its types name.

A class body runs when Python reaches it. With `from __future__ import annotations` the field
annotations of a `BaseModel` are strings that `model_rebuild()` resolves once every class
exists, but the type argument of `RootModel[list[Alert]]` is evaluated at once: `Alert` must
already be defined. So models are emitted dependencies first (a depth-first walk in the
order they were declared, each model's references visited in the order its types name them),
and a model that still names a class not yet defined (it is on a cycle: `Node` holds a list of
`Node`) is marked *forward*: a template declares its root type as a `root:` annotation in the
class body, which pydantic resolves later, instead of the eager type argument.

Deterministic: the order depends only on the declaration order and the type expressions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["dependencies_first", "names_in"]


def names_in(expressions: Iterable[str]) -> list[str]:
    """The identifiers Python evaluates in type expressions (`list[Pet] | None` -> `list`,
    `Pet`), in order of first appearance, without duplicates; the text inside string literals
    (`Literal["Pet"]`) names nothing."""
    found: dict[str, None] = {}
    for expression in expressions:
        try:
            tree = ast.parse(expression, mode="eval")
        except SyntaxError:  # not a Python expression: it names nothing Python would look up
            continue
        names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
        for node in sorted(names, key=lambda n: (n.lineno, n.col_offset)):
            found.setdefault(node.id, None)
    return list(found)


def dependencies_first(references: Mapping[str, Sequence[str]]) -> list[str]:
    """Every key of `references`, each after the keys it references (references to unknown
    names are ignored; on a cycle the one reached first comes last), declaration order kept
    where the references allow. Iterative: a long chain of references cannot overflow the
    stack."""
    done: set[str] = set()
    result: list[str] = []
    for start in references:
        if start in done:
            continue
        active = {start}
        stack: list[tuple[str, list[str]]] = [(start, _known(references, start))]
        while stack:
            name, pending = stack[-1]
            while pending and (pending[0] in done or pending[0] in active):
                pending.pop(0)
            if pending:
                following = pending.pop(0)
                active.add(following)
                stack.append((following, _known(references, following)))
                continue
            stack.pop()
            active.discard(name)
            done.add(name)
            result.append(name)
    return result


def _known(references: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [r for r in references[name] if r in references]
