"""Run a template's own tests: each fixture of `spec.tests` rendered and put through the gates.

    run(template, generator=...) -> [api.codetemplate.TemplateTestResult, ...]

Each fixture becomes a CodeGeneration (its specification and variables, the template's family
and exact version, AI off, default quality gates) that `Generator.run` renders with `template`
itself, never a resolved one. A fixture's failure is a result, not an exception: a render error
(the message names the file and line), invalid variables, or failed gates (the message names
each failed gate and its reason). What is not the template's fault raises instead:

- a template with no tests (`errors.TemplateError`: a template without tests is never Ready);
- a fixture whose specification is not inline (the operator inlines ConfigMaps first);
- a fixture whose specification type needs AI (adr, userStory): template tests are
  deterministic and free, they never call a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kodegen import errors
from kodegen.api import codegeneration, codetemplate
from kodegen.api import specification as spec_api
from kodegen.gates import report
from kodegen.pipeline import generate
from kodegen.templates import model

__all__ = ["MESSAGE_LIMIT", "manifest", "run"]

MESSAGE_LIMIT = 4096
"""Characters of `TemplateTestResult.message` (the API's limit)."""

_FINDINGS_NAMED = 3  # per failed gate, in the message


def run(
    template: model.Template, *, generator: generate.Generator | None = None
) -> list[codetemplate.TemplateTestResult]:
    """One result per fixture of `template.spec.tests`, in their order. `generator`: settings
    (gate timeout, gate runner, progress); a default `Generator()` when None."""
    tests = template.spec.tests
    if not tests:
        raise errors.TemplateError(
            template=template.name,
            file="spec.tests",
            reason="the template has no tests; a template without tests is never Ready: add "
            "one (a name, a specification and variables) that it must render and pass the "
            "gates with",
        )
    for test in tests:
        _check_fixture(template, test)
    runner = generator or generate.Generator()
    return [_one(runner, template, test) for test in tests]


def manifest(
    template: model.Template, test: codetemplate.TemplateTest
) -> codegeneration.CodeGeneration:
    """The CodeGeneration a fixture stands for."""
    name = f"{template.spec.family}-{test.name}"[:63].rstrip("-")
    document: dict[str, Any] = {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": name},
        "spec": {
            "specification": test.specification.model_dump(
                mode="json", by_alias=True, exclude_none=True
            ),
            "template": {"family": template.spec.family, "version": template.spec.version},
            "variables": test.variables,
        },
    }
    return codegeneration.CodeGeneration.model_validate(document)


def _check_fixture(template: model.Template, test: codetemplate.TemplateTest) -> None:
    specification = test.specification
    where = f"spec.tests[{test.name}].specification"
    if specification.type in spec_api.AI_ONLY_SPEC_TYPES:
        raise errors.TemplateError(
            template=template.name,
            file=where,
            reason=f"type {specification.type!r} needs AI, and template tests never call a "
            "provider (they are deterministic and free); test the template with an openapi, "
            "jsonSchema or graphql fixture",
        )
    for member in ("openapi", "json_schema"):
        source = getattr(specification, member, None)
        if source is None:
            continue
        for field, alias in (("config_map_ref", "configMapRef"), ("git", "git"), ("file", "file")):
            if getattr(source, field, None) is not None:
                raise errors.TemplateError(
                    template=template.name,
                    file=f"{where}.{_alias(member)}.{alias}",
                    reason="template tests read inline specifications only; the operator "
                    "inlines a ConfigMap before the tests run, the CLI cannot: paste the "
                    "document under inline",
                )


def _alias(member: str) -> str:
    return {"json_schema": "jsonSchema"}.get(member, member)


def _one(
    runner: generate.Generator, template: model.Template, test: codetemplate.TemplateTest
) -> codetemplate.TemplateTestResult:
    try:
        result = runner.run(manifest(template, test), template=template)
    except errors.InputError as exc:
        return _result(test, passed=False, message=str(exc))
    except errors.GateError as exc:
        return _result(test, passed=False, message=f"a gate could not run: {exc}")
    failed = [gate for gate in result.gates if not gate.passed]
    return _result(
        test,
        passed=result.passed,
        coverage=result.counts.coverage,
        findings=_by_severity(result.gates),
        message="; ".join(_explain(gate) for gate in failed) or None,
    )


def _result(
    test: codetemplate.TemplateTest,
    *,
    passed: bool,
    message: str | None,
    coverage: float | None = None,
    findings: Mapping[str, int] | None = None,
) -> codetemplate.TemplateTestResult:
    if message is not None and len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 3] + "..."
    if coverage is not None:
        coverage = min(max(coverage, 0.0), 100.0)
    return codetemplate.TemplateTestResult(
        name=test.name,
        passed=passed,
        coverage=coverage,
        findings=dict(findings or {}),
        message=message,
    )


def _by_severity(gates: tuple[report.GateReport, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for gate in gates:
        for finding in gate.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return dict(sorted(counts.items()))


def _explain(gate: report.GateReport) -> str:
    """`gate pytest failed: <reason> (file:line code message, ...)`."""
    text = f"gate {gate.name} failed"
    if gate.reason:
        text += f": {gate.reason}"
    named = [
        f"{finding.file}:{finding.line} {finding.code}"
        if finding.line
        else f"{finding.file or '-'} {finding.code}"
        for finding in gate.findings[:_FINDINGS_NAMED]
    ]
    if named:
        more = len(gate.findings) - len(named)
        text += f" ({', '.join(named)}{f' and {more} more' if more else ''})"
    return text
