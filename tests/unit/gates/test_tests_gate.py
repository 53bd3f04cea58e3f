"""The tests gate: pytest with coverage, run on the project in the sandbox."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kodegen.gates import config, tests

from .conftest import snapshot, write_files

FAILING = '''\
"""A test that fails."""


def test_arithmetic() -> None:
    assert 1 + 1 == 3
'''

UNTESTED = '''\
"""Code nobody tests."""


def shout(text: str) -> str:
    if not text:
        return ""
    words = text.split()
    loud = [word.upper() for word in words]
    return " ".join(loud) + "!"
'''


async def test_a_failing_test_fails_the_gate(project: Path, gate_config: config.GateConfig) -> None:
    write_files(project, {"tests/test_broken.py": FAILING})
    before = snapshot(project)
    result = await tests.run(project, gate_config)
    assert snapshot(project) == before, "no .coverage, caches or bytecode in the project"
    assert not result.passed
    assert result.counts == {"errors": 0, "failed": 1, "passed": 3, "skipped": 0}
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code) == ("tests/test_broken.py", 4, "failed")
    assert finding.message.startswith("tests.test_broken.test_arithmetic: assert")
    assert result.reason == "1 failed, 0 error(s)"
    assert result.metrics["coverage"] == 100.0


async def test_coverage_below_the_minimum_fails_the_gate(
    project: Path, gate_config: config.GateConfig
) -> None:
    write_files(project, {"petstore/text.py": UNTESTED})
    result = await tests.run(project, gate_config)
    assert not result.passed
    assert result.counts["failed"] == 0
    assert result.metrics["coverage"] < 95.0
    assert result.metrics["branch_coverage"] < 100.0
    assert result.reason is not None and result.reason.startswith("line coverage ")
    assert result.reason.endswith("% is below 95%")
    [finding] = result.findings
    # never imported: the `def` line is missed as well as the body
    assert (finding.file, finding.line, finding.code) == ("petstore/text.py", 4, "uncovered")
    assert finding.message == "lines not covered: 4-9"


async def test_a_wrong_package_name_fails_with_the_fix(
    project: Path, gate_config: config.GateConfig
) -> None:
    result = await tests.run(project, dataclasses.replace(gate_config, package="petshop"))
    assert not result.passed
    assert result.reason == (
        "no coverage data: no code of package 'petshop' ran (check GateConfig.package)"
    )


async def test_no_tests_fails_the_gate(project: Path, gate_config: config.GateConfig) -> None:
    (project / "tests" / "test_main.py").unlink()
    result = await tests.run(project, gate_config)
    assert (result.passed, result.reason) == (False, "no tests were collected")


async def test_a_test_that_exhausts_memory_fails_under_the_limit(
    project: Path, gate_config: config.GateConfig
) -> None:
    hog = "def test_hog() -> None:\n    assert bytearray(2 * 1024 * 1024 * 1024)\n"
    write_files(project, {"tests/test_hog.py": hog})
    result = await tests.run(project, dataclasses.replace(gate_config, memory_mb=512))
    assert not result.passed
    assert result.counts["failed"] == 1
    assert "MemoryError" in result.findings[0].message


async def test_pytest_killed_by_a_signal_fails_with_the_signal(
    project: Path, gate_config: config.GateConfig
) -> None:
    kill = (
        "import os, signal\n\n\ndef test_die() -> None:\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    write_files(project, {"tests/test_die.py": kill})
    result = await tests.run(project, gate_config)
    assert not result.passed
    assert result.reason == "killed by signal 9 (SIGKILL; memory limit 2048 MiB?)"


async def test_an_unreadable_report_fails_the_gate_with_a_clear_reason(
    project: Path, gate_config: config.GateConfig
) -> None:
    # A test module that scribbles over pytest's JUnit report once pytest has written it
    # (at exit: pytest writes the report before the interpreter ends).
    scribble = (
        "import atexit, sys\n\n"
        "PATH = next(a.split('=', 1)[1] for a in sys.argv if a.startswith('--junitxml='))\n"
        "atexit.register(lambda: open(PATH, 'w').write('<testsuites><testcase'))\n\n\n"
        "def test_nothing() -> None:\n"
        "    assert True\n"
    )
    write_files(project, {"tests/test_scribble.py": scribble})
    result = await tests.run(project, gate_config)
    assert not result.passed
    assert (result.reason or "").startswith("could not parse the JUnit report: ")


async def test_a_hook_in_a_plugin_module_of_the_project_is_refused(
    project: Path, gate_config: config.GateConfig
) -> None:
    # `pytest_plugins` in a conftest loads a module of the project: its hooks are refused too.
    hooks = "def pytest_collection_modifyitems(items):\n    items.clear()\n"
    write_files(
        project,
        {
            "tests/conftest.py": 'pytest_plugins = ["tests.helpers"]\n',
            "tests/__init__.py": "",
            "tests/helpers.py": hooks,
            "tests/test_broken.py": FAILING,
        },
    )
    result = await tests.run(project, gate_config)
    assert not result.passed
    assert result.reason == (
        "tests/helpers.py implements pytest hook(s) pytest_collection_modifyitems; the tests "
        "gate runs pytest with kodegen's own configuration and refuses hooks in project code "
        "(fixtures are fine)"
    )


async def test_fixtures_of_a_conftest_are_used(
    project: Path, gate_config: config.GateConfig
) -> None:
    conftest = "import pytest\n\n\n@pytest.fixture\ndef answer() -> int:\n    return 42\n"
    uses = "def test_answer(answer: int) -> None:\n    assert answer == 42\n"
    write_files(project, {"tests/conftest.py": conftest, "tests/test_answer.py": uses})
    result = await tests.run(project, gate_config)
    assert result.passed, result.reason
    assert result.counts["passed"] >= 1 and result.counts["errors"] == 0


async def test_lines_excluded_from_coverage_are_counted(
    project: Path, gate_config: config.GateConfig
) -> None:
    hidden = UNTESTED.replace(
        "def shout(text: str) -> str:", "def shout(text: str) -> str:  # pragma: no cover"
    )
    write_files(project, {f"{gate_config.package}/hidden.py": hidden})
    result = await tests.run(project, gate_config)
    assert result.passed, result.reason
    assert result.metrics["excluded_lines"] >= 6
