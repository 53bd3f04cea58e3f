"""pipeline.template_tests: a template's fixtures rendered with the template itself and put
through the real gates (two runs: one passing, one failing), and the failures that need no
gates (render errors with file:line, no tests, AI-only or non-inline fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.gates import config, report
from kodegen.pipeline import generate, template_tests
from kodegen.templates import model, registry, scaffold

pytestmark = pytest.mark.slow

UNTESTED = '''

def untested(value: int) -> int:
    """Lines no test reaches: the coverage gate fails."""
    if value > 1:
        value = value * 2
        value = value + 3
        value = value - 4
        value = value * 5
        value = value + 6
    return value
'''


def scaffolded(tmp_path: Path, **changes: str) -> model.Template:
    """The scaffold of `kodegen template new`, with files appended to or replaced."""
    template = registry.load(scaffold.write("demo", tmp_path))
    files = dict(template.files)
    for path, text in changes.items():
        files[path] = text
    return model.build(template.spec, files, folder=template.folder)


def test_the_scaffold_passes_every_gate(tmp_path: Path) -> None:
    (result,) = template_tests.run(scaffolded(tmp_path))
    assert result == codetemplate.TemplateTestResult(
        name="hello", passed=True, coverage=100.0, findings={}, message=None
    )


def test_a_failing_gate_is_named_in_the_message(tmp_path: Path) -> None:
    original = scaffold.files("demo")["{{ packageName }}/operations.py.j2"]
    template = scaffolded(tmp_path, **{"{{ packageName }}/operations.py.j2": original + UNTESTED})
    (result,) = template_tests.run(template)
    assert not result.passed
    assert result.coverage is not None and result.coverage < 95
    assert result.message is not None and result.message.startswith("gate tests failed: ")
    assert "coverage" in result.message


def test_a_render_error_names_the_file_and_line(tmp_path: Path) -> None:
    broken = '"""{{ api.title|docstring }}."""\n\nVALUE = 1\nOTHER = {{ no_such_variable }}\n'
    template = scaffolded(tmp_path, **{"{{ packageName }}/__init__.py.j2": broken})
    (result,) = template_tests.run(template)
    assert not result.passed and result.coverage is None
    assert result.message is not None
    assert "{{ packageName }}/__init__.py.j2:4" in result.message
    assert "no_such_variable" in result.message


def test_invalid_fixture_variables_fail_the_test(tmp_path: Path) -> None:
    template = scaffolded(tmp_path)
    spec = template.spec.model_copy(
        update={
            "tests": [
                template.spec.tests[0].model_copy(update={"variables": {"packageName": "Bad-Name"}})
            ]
        }
    )
    (result,) = template_tests.run(model.build(spec, template.files))
    assert not result.passed
    assert result.message is not None and "packageName" in result.message


def with_tests(template: model.Template, tests: list[dict[str, Any]]) -> model.Template:
    data = template.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    spec = codetemplate.CodeTemplateSpec.model_validate({**data, "tests": tests})
    return model.build(spec, template.files)


def test_a_template_without_tests_is_never_ready(tmp_path: Path) -> None:
    with pytest.raises(errors.TemplateError, match=r"has no tests; a template without tests is"):
        template_tests.run(with_tests(scaffolded(tmp_path), []))


def test_an_ai_only_fixture_is_refused(tmp_path: Path) -> None:
    fixture = {"name": "adr", "specification": {"type": "adr", "adr": {"id": "A-1", "text": "x"}}}
    with pytest.raises(errors.TemplateError, match=r"tests\[adr\].specification: type 'adr' needs"):
        template_tests.run(with_tests(scaffolded(tmp_path), [fixture]))


def test_a_fixture_from_a_config_map_must_be_inlined_first(tmp_path: Path) -> None:
    fixture = {
        "name": "cm",
        "specification": {"type": "openapi", "openapi": {"configMapRef": {"name": "spec"}}},
    }
    with pytest.raises(errors.TemplateError, match=r"openapi.configMapRef: template tests read"):
        template_tests.run(with_tests(scaffolded(tmp_path), [fixture]))


def test_findings_are_counted_and_the_first_named(tmp_path: Path) -> None:
    """With a stand-in gate runner: the result's findings and message, no real gates."""

    def gates(
        project: Path, settings: config.GateConfig, *, progress: Any = None
    ) -> tuple[report.GateReport, ...]:
        found = tuple(
            report.Finding(file="demo/x.py", line=n, code="B101", message="m", severity="low")
            for n in range(1, 6)
        )
        return (
            report.GateReport(name="syntax", passed=True),
            report.GateReport(name="security", passed=False, findings=found, reason="5 issues"),
        )

    template = scaffolded(tmp_path)
    (result,) = template_tests.run(template, generator=generate.Generator(run_gates=gates))
    assert not result.passed and result.findings == {"low": 5}
    assert result.message == (
        "gate security failed: 5 issues (demo/x.py:1 B101, demo/x.py:2 B101, demo/x.py:3 B101 "
        "and 2 more)"
    )
