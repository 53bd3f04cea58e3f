"""The escaping check: every ``{{ }}`` of a template prints data through a context filter.

A template expression passes when what it prints is

- the result of a filter of :data:`kodegen.templates.filters.CONTEXT_FILTERS` (``{{ x|quote }}``),
- a literal (``{{ "Body()" }}``), or a conditional whose branches each pass,
- or a template variable by its bare name (``{{ packageName }}``): variables are typed and
  validated against the template's own patterns before rendering, they are not spec data.

Anything else (``{{ api.version }}``, ``{{ op.func }}``, ``{{ line }}``) is reported with its
file and line. ``make lint`` runs it over the builtin templates (``python -m
kodegen.templates.escaping templates``); the sandbox also refuses, at render time, to print
text from a specification that went through no context filter, for every template.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import jinja2
import jinja2.nodes

from kodegen.templates import filters, model, registry, sandbox

__all__ = ["Finding", "check", "main"]


@dataclasses.dataclass(frozen=True)
class Finding:
    file: str
    line: int
    expression: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {{{{ {self.expression} }}}} prints data without a "
            f"context filter; end it with one of {', '.join(filters.CONTEXT_FILTERS)}"
        )


def check(template: model.Template) -> list[Finding]:
    """Every expression of ``template`` (file paths included) that prints unescaped data."""
    variables = {variable.name for variable in template.spec.variables}
    env = sandbox.environment(template.files)
    found: list[Finding] = []
    for path, text in template.files.items():
        sources = [path, text] if ".j2" in path else [path]
        for source in sources:
            for node in _outputs(env.parse(source)):
                if not _escaped(node, variables):
                    found.append(Finding(path, node.lineno, _describe(node)))
    return found


def _outputs(tree: jinja2.nodes.Template) -> Iterator[jinja2.nodes.Expr]:
    for output in tree.find_all(jinja2.nodes.Output):
        for node in output.nodes:
            if not isinstance(node, jinja2.nodes.TemplateData):
                yield node


def _escaped(node: jinja2.nodes.Expr, variables: set[str]) -> bool:
    if isinstance(node, jinja2.nodes.Filter):
        return node.name in filters.CONTEXT_FILTERS
    if isinstance(node, jinja2.nodes.Const):
        return True
    if isinstance(node, jinja2.nodes.CondExpr):
        return _escaped(node.expr1, variables) and (
            node.expr2 is None or _escaped(node.expr2, variables)
        )
    if isinstance(node, jinja2.nodes.Name):
        return node.name in variables
    return False


def _describe(node: jinja2.nodes.Node) -> str:
    """A short spelling of an expression, for the report."""
    if isinstance(node, jinja2.nodes.Name):
        return node.name
    if isinstance(node, jinja2.nodes.Getattr):
        return f"{_describe(node.node)}.{node.attr}"
    if isinstance(node, jinja2.nodes.Getitem):
        return f"{_describe(node.node)}[{_describe(node.arg)}]"
    if isinstance(node, jinja2.nodes.Filter):
        inner = _describe(node.node) if node.node is not None else ""
        return f"{inner}|{node.name}"
    if isinstance(node, jinja2.nodes.Call):
        return f"{_describe(node.node)}(...)"
    if isinstance(node, jinja2.nodes.Const):
        return repr(node.value)
    return f"<{type(node).__name__.lower()}>"


def check_folders(roots: Iterable[Path]) -> list[str]:
    """Findings for every template version under each ``<family>/<version>/`` root."""
    problems: list[str] = []
    for root in roots:
        for folder in sorted(root.glob("*/*/template.yaml")):
            template = registry.load(folder.parent)
            problems += [f"{template.name} {finding}" for finding in check(template)]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kodegen.templates.escaping [ROOT...]``: exit 1 and one line per finding."""
    roots = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])] or [
        Path("templates")
    ]
    problems = check_folders(roots)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
