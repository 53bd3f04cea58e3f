"""What every target's view builder returns: the template context, and what is honestly not
implemented (each with its reason). Prose specifications (an ADR, a user story) need no builder of
their own: the template gives the structure, the AI layer writes the rest (`for_text`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kodegen.api import codetemplate
from kodegen.templates import model as template_model
from kodegen.templates import render, untrusted


@dataclass(frozen=True)
class NotImplementedOp:
    operation_id: str
    method: str
    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Plan:
    context: dict[str, Any]
    not_implemented: tuple[NotImplementedOp, ...]
    entrypoints: codetemplate.Entrypoints


def for_text(
    kind: str,
    title: str,
    text: str,
    template: template_model.Template,
    variables: Mapping[str, Any],
) -> Plan:
    """The plan for a prose specification (an ADR, a user story): the template gives the
    structure, the AI layer writes the rest."""
    specification = untrusted.mark({"kind": kind, "title": title, "text": text})
    context = {**variables, "specification": specification}
    return Plan(context, (), entrypoints(template, context))


def entrypoints(
    template: template_model.Template, context: Mapping[str, Any]
) -> codetemplate.Entrypoints:
    entry = template.spec.entrypoints
    return codetemplate.Entrypoints(
        package=render.expand(entry.package, context),
        app=render.expand(entry.app, context) if entry.app else None,
        openapi=render.expand(entry.openapi, context) if entry.openapi else None,
    )
