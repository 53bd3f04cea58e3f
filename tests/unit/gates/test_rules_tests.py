"""Every pass/fail rule of the tests gate, each shown passing a good project and failing a bad one.

Rules of `kodegen.gates.tests.run` (real pytest + pytest-cov, in the sandbox):

1. tests that all pass, covering at least `GateConfig.min_coverage` percent of the package's
   lines, pass; skipped tests are counted and do not fail the gate;
2. no test collected (pytest's exit status 5) fails: `no tests were collected`;
3. a failing test fails the gate: `N failed, M error(s)`, a `failed` finding at the test;
4. a test run with errors but no failures (a fixture that raises, a test module that cannot
   be imported) fails the gate just the same, with `error` findings;
5. line coverage below the minimum fails (`line coverage X% is below Y%`) and names the
   uncovered lines per file; coverage exactly at the minimum passes;
6. no coverage data at all (no code of `GateConfig.package` ran) fails with the fix;
7. pytest ending without a JUnit report (it crashed, or the code under test ended the process)
   fails: the gate cannot judge, so it says no;
8. a JUnit report or a coverage report that cannot be read (code under test running in the
   pytest process can write them, e.g. from an `atexit` hook) fails the gate, naming which
   report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kodegen.gates import config, tests

CONFIG = config.GateConfig(package="pkg", app=None, openapi=None)
CALC = '''\
"""Arithmetic."""


def double(x: int) -> int:
    return 2 * x


def half(x: int) -> int:
    if x % 2:
        raise ValueError(x)
    return x // 2
'''
TEST_CALC = '''\
"""Tests of pkg.calc."""

import pytest

from pkg import calc


def test_double() -> None:
    assert calc.double(2) == 4


def test_half() -> None:
    assert calc.half(4) == 2
    with pytest.raises(ValueError):
        calc.half(3)
'''
ONLY_DOUBLE = (
    '"""Half is untested."""\n\nfrom pkg import calc\n\n\n'
    "def test_double() -> None:\n    assert calc.double(2) == 4\n"
)
GOOD: dict[str, str] = {
    "pkg/__init__.py": "",
    "pkg/calc.py": CALC,
    "tests/__init__.py": "",
    "tests/test_calc.py": TEST_CALC,
}


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _project(root: Path, changes: dict[str, str] | None = None) -> Path:
    return _tree(root, {**GOOD, **(changes or {})})


async def test_rule_1_passing_tests_with_enough_coverage_pass(tmp_path: Path) -> None:
    result = await tests.run(_project(tmp_path), CONFIG)
    assert result.passed, result.reason
    assert result.counts == {"errors": 0, "failed": 0, "passed": 2, "skipped": 0}
    assert result.metrics["coverage"] == 100.0
    assert result.metrics["branch_coverage"] == 100.0
    assert result.findings == ()
    assert result.reason is None


async def test_rule_1_skipped_tests_are_counted_and_pass(tmp_path: Path) -> None:
    skipped = (
        'import pytest\n\n\n@pytest.mark.skip(reason="later")\n'
        "def test_later() -> None:\n    pass\n"
    )
    result = await tests.run(_tree(_project(tmp_path), {"tests/test_later.py": skipped}), CONFIG)
    assert result.passed, result.reason
    assert result.counts == {"errors": 0, "failed": 0, "passed": 2, "skipped": 1}


@pytest.mark.parametrize(
    "suite",
    [
        {"tests/test_calc.py": '"""No test functions at all."""\n'},
        {"tests/test_calc.py": "def helper() -> None:\n    pass\n"},
    ],
)
async def test_rule_2_no_test_collected_fails(tmp_path: Path, suite: dict[str, str]) -> None:
    result = await tests.run(_tree(_project(tmp_path), suite), CONFIG)
    assert not result.passed
    assert result.reason == "no tests were collected"
    assert result.counts == {}


async def test_rule_3_a_failing_test_fails_at_the_test(tmp_path: Path) -> None:
    failing = '"""Fails."""\n\n\ndef test_wrong() -> None:\n    assert 1 + 1 == 3\n'
    result = await tests.run(_tree(_project(tmp_path), {"tests/test_wrong.py": failing}), CONFIG)
    assert not result.passed
    assert result.reason == "1 failed, 0 error(s)"
    assert result.counts == {"errors": 0, "failed": 1, "passed": 2, "skipped": 0}
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code, finding.severity) == (
        "tests/test_wrong.py",
        4,
        "failed",
        "high",
    )
    assert finding.message.startswith("tests.test_wrong.test_wrong: assert")


async def test_rule_4_errors_without_failures_fail(tmp_path: Path) -> None:
    broken_fixture = (
        "import pytest\n\n\n@pytest.fixture\ndef db() -> None:\n"
        "    raise RuntimeError('no database')\n\n\n"
        "def test_with_db(db: None) -> None:\n    pass\n"
    )
    project = _tree(_project(tmp_path), {"tests/test_db.py": broken_fixture})
    result = await tests.run(project, CONFIG)
    assert not result.passed
    assert result.counts == {"errors": 1, "failed": 0, "passed": 2, "skipped": 0}
    assert result.reason == "0 failed, 1 error(s)"
    [finding] = result.findings
    assert (finding.file, finding.code, finding.severity) == ("tests/test_db.py", "error", "high")
    assert finding.message.startswith("tests.test_db.test_with_db: ")
    assert "no database" in finding.message


async def test_rule_4_a_test_module_that_cannot_be_imported_fails(tmp_path: Path) -> None:
    unimportable = "from pkg import missing\n\n\ndef test_never() -> None:\n    pass\n"
    project = _tree(_project(tmp_path), {"tests/test_missing.py": unimportable})
    result = await tests.run(project, CONFIG)
    assert not result.passed
    # a collection error interrupts the session: nothing else runs
    assert result.counts == {"errors": 1, "failed": 0, "passed": 0, "skipped": 0}
    assert (result.reason or "").startswith("0 failed, 1 error(s)")
    [finding] = [f for f in result.findings if f.code == "error"]
    assert (finding.file, finding.line, finding.message) == (
        "tests/test_missing.py",
        0,
        "tests.test_missing: collection failure",
    )


async def test_rule_4_failures_and_errors_are_counted_together(tmp_path: Path) -> None:
    both = (
        "import pytest\n\n\n@pytest.fixture\ndef db() -> None:\n"
        "    raise RuntimeError('down')\n\n\n"
        "def test_with_db(db: None) -> None:\n    pass\n\n\n"
        "def test_wrong() -> None:\n    assert False\n"
    )
    result = await tests.run(_tree(_project(tmp_path), {"tests/test_both.py": both}), CONFIG)
    assert result.reason == "1 failed, 1 error(s)"
    assert sorted(f.code for f in result.findings) == ["error", "failed"]


async def test_rule_3_every_failure_and_error_is_counted(tmp_path: Path) -> None:
    many = (
        "import pytest\n\n\n@pytest.fixture\ndef db() -> None:\n"
        "    raise RuntimeError('down')\n\n\n"
        "def test_e1(db: None) -> None:\n    pass\n\n\n"
        "def test_e2(db: None) -> None:\n    pass\n\n\n"
        "def test_f1() -> None:\n    assert False\n\n\n"
        "def test_f2() -> None:\n    assert False\n\n\n"
        "def test_f3() -> None:\n    assert False\n"
    )
    result = await tests.run(_tree(_project(tmp_path), {"tests/test_many.py": many}), CONFIG)
    assert result.counts == {"errors": 2, "failed": 3, "passed": 2, "skipped": 0}
    assert result.reason == "3 failed, 2 error(s)"
    assert len(result.findings) == 5


async def test_rule_5_coverage_below_the_minimum_fails_naming_the_lines(tmp_path: Path) -> None:
    project = _project(tmp_path, {"tests/test_calc.py": ONLY_DOUBLE})
    result = await tests.run(project, CONFIG)
    assert not result.passed
    assert result.counts == {"errors": 0, "failed": 0, "passed": 1, "skipped": 0}
    assert result.metrics["coverage"] == 50.0
    assert result.reason == "line coverage 50.0% is below 95%"
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code, finding.severity) == (
        "pkg/calc.py",
        9,
        "uncovered",
        "medium",
    )
    assert finding.message == "lines not covered: 9-11"


async def test_rule_5_coverage_exactly_at_the_minimum_passes(tmp_path: Path) -> None:
    project = _project(tmp_path, {"tests/test_calc.py": ONLY_DOUBLE})
    at_minimum = await tests.run(project, dataclasses.replace(CONFIG, min_coverage=50.0))
    assert at_minimum.passed, at_minimum.reason
    assert at_minimum.findings == ()
    above = await tests.run(project, dataclasses.replace(CONFIG, min_coverage=50.01))
    assert above.reason == "line coverage 50.0% is below 50.01%"


async def test_rule_6_no_coverage_data_fails_with_the_fix(tmp_path: Path) -> None:
    result = await tests.run(_project(tmp_path), dataclasses.replace(CONFIG, package="elsewhere"))
    assert not result.passed
    assert result.counts["passed"] == 2
    coverage = ("coverage", "branch_coverage", "excluded_lines")
    assert [result.metrics[name] for name in coverage] == [0.0, 0.0, 0.0]
    assert result.reason == (
        "no coverage data: no code of package 'elsewhere' ran (check GateConfig.package)"
    )


async def test_rule_6_with_failures_both_reasons_are_given(tmp_path: Path) -> None:
    failing = "def test_wrong() -> None:\n    assert False\n"
    project = _tree(_project(tmp_path), {"tests/test_wrong.py": failing})
    result = await tests.run(project, dataclasses.replace(CONFIG, package="elsewhere"))
    assert (result.reason or "").startswith("1 failed, 0 error(s); no coverage data: ")


async def test_rule_7_pytest_ending_without_a_junit_report_fails(tmp_path: Path) -> None:
    ended = '"""Ends the test process while it is collected."""\n\nimport os\n\nos._exit(4)\n'
    result = await tests.run(_tree(_project(tmp_path), {"tests/test_end.py": ended}), CONFIG)
    assert not result.passed
    reason = result.reason or ""
    assert reason.startswith("could not parse pytest results: pytest wrote no JUnit report")
    assert "exit status 4" in reason


def _scribbler(option: str, text: str) -> str:
    """A test module that, once pytest has written its reports, overwrites the one that
    `option` (`--junitxml=` or `--cov-report=json:`) names with `text`."""
    return (
        "import atexit\nimport sys\n\n\n"
        "def _scribble() -> None:\n"
        "    for arg in sys.argv:\n"
        f"        if arg.startswith({option!r}):\n"
        f"            with open(arg[len({option!r}):], 'w') as report:\n"
        f"                report.write({text!r})\n\n\n"
        "atexit.register(_scribble)\n\n\n"
        "def test_nothing() -> None:\n    assert True\n"
    )


async def test_rule_8_an_unreadable_junit_report_fails(tmp_path: Path) -> None:
    scribble = _scribbler("--junitxml=", "<testsuites><testcase")
    result = await tests.run(
        _tree(_project(tmp_path), {"tests/test_scribble.py": scribble}), CONFIG
    )
    assert not result.passed
    assert (result.reason or "").startswith("could not parse the JUnit report: unclosed token: ")


async def test_rule_8_an_unreadable_coverage_report_fails(tmp_path: Path) -> None:
    scribble = _scribbler("--cov-report=json:", '{"totals": {}}')
    result = await tests.run(
        _tree(_project(tmp_path), {"tests/test_scribble.py": scribble}), CONFIG
    )
    assert not result.passed
    assert (result.reason or "").startswith("could not parse the coverage report: KeyError(")


MIXED = '''\
"""Partly tested."""


def a(x: int) -> int:
    if x:
        return 1
    return 2


def b(x: int) -> int:
    y = x + 1
    return y
'''


async def test_rule_5_uncovered_lines_are_named_as_ranges(tmp_path: Path) -> None:
    test = "from pkg import mixed\n\n\ndef test_a() -> None:\n    assert mixed.a(1) == 1\n"
    project = _project(tmp_path, {"pkg/mixed.py": MIXED, "tests/test_mixed.py": test})
    result = await tests.run(project, dataclasses.replace(CONFIG, min_coverage=100.0))
    assert not result.passed
    uncovered = [f for f in result.findings if f.file == "pkg/mixed.py"]
    assert [(f.line, f.message) for f in uncovered] == [(7, "lines not covered: 7, 11-12")]
    assert (result.metrics["coverage"], result.metrics["branch_coverage"]) == (76.92, 75.0)


async def test_rule_5_a_package_without_statements_is_fully_covered(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "tests/test_pkg.py": "import pkg\n\n\ndef test_import() -> None:\n    assert pkg\n",
    }
    result = await tests.run(
        _tree(tmp_path, files), dataclasses.replace(CONFIG, min_coverage=100.0)
    )
    assert result.passed, result.reason
    assert (result.metrics["coverage"], result.metrics["branch_coverage"]) == (100.0, 100.0)
