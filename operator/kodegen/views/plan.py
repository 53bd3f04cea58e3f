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


CASES = {
    "invalid": "an invalid request",
    "not_found": "an unknown item",
    "unauthorized": "a request without credentials",
}


@dataclass(frozen=True, order=True)
class SpecGap:
    """A case the generated service must answer that the operation documents no status for
    (an invalid request, an unknown id, missing credentials): it answers the conventional
    `status`, which the contract gate is told to accept for this operation alone."""

    method: str
    """Upper case, as in `GET /pets/{petId}`."""
    path: str
    """The path as the specification spells it."""
    status: int
    case: str
    """`invalid`, `not_found` or `unauthorized`."""
    operation_id: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def message(self) -> str:
        case = CASES.get(self.case, self.case)
        return f"documents no status for {case}; the service answers {self.status}"


@dataclass(frozen=True, order=True)
class SpecWarning:
    """Something in the specification kodegen worked around: reported, not a failure."""

    kind: str
    """`spec-gap` (see SpecGap), `invalid-example` (its schema refuses it) or
    `secret-shaped-example` (the secrets gate would report it): both replaced by a sample;
    `repaired` (a slip with one reading, `specs.repairs`)."""
    where: str
    """A JSON pointer into the specification, or `METHOD /path`."""
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Plan:
    context: dict[str, Any]
    not_implemented: tuple[NotImplementedOp, ...]
    entrypoints: codetemplate.Entrypoints
    spec_gaps: tuple[SpecGap, ...] = ()
    """Told to the contract gate: exactly these (operation, status) answers are accepted."""
    warnings: tuple[SpecWarning, ...] = ()
    """For the run's summary and provenance: spec gaps and invalid examples, sorted."""


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
