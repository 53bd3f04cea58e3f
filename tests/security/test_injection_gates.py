"""One spec per builtin template with metacharacters and long text in many fields at once,
through every quality gate: the output must pass all of them (style included) and hold nothing
injected."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from kodegen.api import codegeneration
from kodegen.pipeline import generate

from . import test_injection as corpus

pytestmark = pytest.mark.slow

GATE_PAYLOAD = re.sub(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028]", "", corpus.PAYLOAD)
"""The corpus payload without control characters: the contract gate's own tools (schemathesis,
HTTP clients) refuse those in a spec; the in-process corpus covers them."""

LONG = "word " * 60 + "x" * 150 + " 'quoted' \"text\" end"
"""Long text copied from a spec: it must not break the style gate's line length."""


def _everything(
    build: Callable[..., dict[str, Any]], mutators: dict[str, Any], skip: set[str]
) -> dict[str, Any]:
    def apply(spec: Any, _: str) -> Any:
        for label, mutate in mutators.items():
            if label in skip:
                continue
            value = LONG if label.endswith(("title", "summary")) else GATE_PAYLOAD
            if build is corpus._graphql:
                spec = mutate(spec, value.replace("\x00", ""))
            else:
                mutate(spec, value)
        return spec

    return build(apply, "")


CASES = [
    pytest.param(
        corpus._openapi,
        corpus.OPENAPI,
        # names go through the in-process corpus; server URLs with braces are undeclared
        # server variables, which schemathesis rightly refuses
        {"schema.name", "operationId", "property.name", "servers.url", "servers.url(f-string)"},
        id="python-fastapi-service",
    ),
    pytest.param(
        corpus._jsonschema,
        corpus.JSONSCHEMA,
        # an example or default longer than the property's maxLength breaks the spec's own rule
        {"defs.name", "property.examples", "property.default"},
        id="python-pydantic-models",
    ),
    pytest.param(corpus._graphql, corpus.GRAPHQL, set(), id="python-graphql-service"),
]


@pytest.mark.parametrize(("build", "mutators", "skip"), CASES)
def test_every_gate_passes_and_nothing_is_injected(
    build: Callable[..., dict[str, Any]], mutators: dict[str, Any], skip: set[str]
) -> None:
    data = _everything(build, mutators, skip)
    manifest = codegeneration.CodeGeneration.model_validate(copy.deepcopy(data))
    result = generate.Generator().run(manifest)
    failed = {gate.name: gate.to_dict() for gate in result.gates if not gate.passed}
    assert result.passed, failed
    outputs = {
        path: content.decode("utf-8")
        for path, content in result.files.items()
        if not path.startswith(".kodegen/")
    }
    corpus.check(outputs, {})
