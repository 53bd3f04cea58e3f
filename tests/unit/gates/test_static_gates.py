"""The gates that read the project without running it: syntax, style, security, secrets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kodegen.gates import config, secrets, security, style, syntax

from .conftest import write_files


async def test_syntax_error_is_reported_at_its_file_and_line(
    project: Path, gate_config: config.GateConfig
) -> None:
    write_files(project, {"petstore/broken.py": '"""Broken."""\n\n\ndef broken(:\n    pass\n'})
    result = await syntax.run(project, gate_config)
    assert not result.passed
    assert [(f.file, f.line, f.code) for f in result.findings] == [
        ("petstore/broken.py", 4, "SyntaxError")
    ]
    assert result.counts == {"errors": 1, "files": 5}


async def test_style_reports_lint_findings_and_unformatted_files(
    project: Path, gate_config: config.GateConfig
) -> None:
    write_files(
        project, {"petstore/util.py": '"""Util."""\nimport os\n\n\ndef f(x):\n    return  x\n'}
    )
    result = await style.run(project, gate_config)
    assert not result.passed
    assert [(f.file, f.line, f.code) for f in result.findings] == [
        ("petstore/util.py", 2, "F401"),
        ("petstore/util.py", 2, "unformatted"),  # the first line the formatter would change
    ]
    assert result.counts == {"format": 1, "lint": 1}
    assert result.reason == "1 lint finding(s), 1 unformatted file(s)"


async def test_style_follows_the_projects_own_ruff_configuration(
    project: Path, gate_config: config.GateConfig
) -> None:
    code = '"""Util."""\n\nimport os\n'
    write_files(project, {"petstore/util.py": code})
    assert not (await style.run(project, gate_config)).passed
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.ruff.lint]\nignore = ["F401"]\n')
    assert (await style.run(project, gate_config)).passed


def test_ruff_configuration_is_detected(tmp_path: Path) -> None:
    assert not style.has_ruff_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert not style.has_ruff_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 79\n")
    assert style.has_ruff_config(tmp_path)
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "ruff.toml").write_text("")
    assert style.has_ruff_config(tmp_path)


EVAL = '"""Calc."""\n\n\ndef calc(expression: str) -> object:\n    return eval(expression)\n'
SHELL = (
    '"""Run."""\n\nimport subprocess\n\n\n'
    "def run(command: str) -> int:\n    return subprocess.call(command, shell=True)\n"
)


async def test_security_fails_at_medium_and_passes_at_high_for_a_medium_issue(
    project: Path, gate_config: config.GateConfig
) -> None:
    write_files(project, {"petstore/calc.py": EVAL})
    at_medium = await security.run(project, gate_config)
    assert not at_medium.passed
    assert at_medium.counts == {"high": 0, "low": 0, "medium": 1}
    assert [(f.file, f.line, f.code) for f in at_medium.findings] == [
        ("petstore/calc.py", 5, "B307")
    ]
    assert "severity medium or higher" in (at_medium.reason or "")
    at_high = await security.run(project, dataclasses.replace(gate_config, fail_on_severity="high"))
    assert at_high.passed
    assert at_high.counts == at_medium.counts


async def test_security_shell_true_is_high_and_fails_even_at_high(
    project: Path, gate_config: config.GateConfig
) -> None:
    write_files(project, {"petstore/run.py": SHELL})
    result = await security.run(project, dataclasses.replace(gate_config, fail_on_severity="high"))
    assert not result.passed
    assert ("petstore/run.py", 7, "B602", "high") in {
        (f.file, f.line, f.code, f.severity) for f in result.findings
    }
    assert result.counts["low"] == 1  # B404, importing subprocess


async def test_security_leaves_test_code_out(project: Path, gate_config: config.GateConfig) -> None:
    write_files(project, {"tests/test_calc.py": EVAL, "petstore/tests/helper.py": EVAL})
    assert (await security.run(project, gate_config)).passed


def test_test_files_are_recognised() -> None:
    assert security.is_test_file("tests/test_main.py")
    assert security.is_test_file("pkg/tests/helpers.py")
    assert security.is_test_file("conftest.py")
    assert security.is_test_file("pkg/test_x.py")
    assert security.is_test_file("pkg/x_test.py")
    assert not security.is_test_file("pkg/testing.py")
    assert not security.is_test_file("tests.py")


async def test_secrets_finds_a_planted_key_without_reporting_it(
    project: Path, gate_config: config.GateConfig
) -> None:
    fake_key = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # assembled here: the repository holds no key
    write_files(project, {"petstore/settings.py": f'"""Settings."""\n\nAWS_KEY = "{fake_key}"\n'})
    result = await secrets.run(project, gate_config)
    assert not result.passed
    assert [(f.file, f.line, f.code) for f in result.findings] == [
        ("petstore/settings.py", 3, "AWS Access Key")
    ]
    assert fake_key not in str(result.to_dict())


async def test_secrets_scans_every_file_not_only_python(
    project: Path, gate_config: config.GateConfig
) -> None:
    fake_key = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    write_files(project, {".github/workflows/ci.yml": f"env:\n  KEY: {fake_key}\n"})
    result = await secrets.run(project, gate_config)
    assert [(f.file, f.line) for f in result.findings] == [(".github/workflows/ci.yml", 2)]
