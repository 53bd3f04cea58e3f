"""The tests gate: the project's own tests pass and cover `GateConfig.min_coverage` percent of
the package's lines.

Line coverage is what the threshold means (as in pytest-cov's `--cov-fail-under` and what users
read as "coverage"); branches are measured too and reported as the metric `branch_coverage`,
so a stricter policy can use them without a second run. Results come from files pytest writes
into a private folder (a JUnit XML report, a coverage JSON report), never from its console.

pytest and coverage run with kodegen's own configuration, never the project's: a `pytest.ini`
and a coverage rc file written into the private folder (`-c`, `--cov-config`), so no
`[tool.pytest]`, `setup.cfg`, `tox.ini` or `.coveragerc` of the project can add options, omit
files from coverage or turn warnings into passes; `conftest.py` files give fixtures, but one that
implements a pytest hook is refused (`_pytest_guard.py`). Lines the project excludes with
`# pragma: no cover` are reported as the metric `excluded_lines`. Plugins are not auto-loaded
(`PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`): only pytest-cov and the guard are, so the plugins of
kodegen's own environment (schemathesis, hypothesis, xdist...) neither change how generated
tests run nor double pytest's start-up time. pytest runs in the sandbox as generated code
(`runs_generated_code`), writing its reports into the private folder, which no other gate sees
and no process of this one outlives.
"""

from __future__ import annotations

import importlib.resources
import json
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from kodegen.gates import config as config_
from kodegen.gates import gate, report, sandbox, unicode_cache

__all__ = ["NAME", "run"]

NAME = "tests"

GUARD = "kodegen_pytest_guard"
"""The module name of kodegen's pytest plugin (`_pytest_guard.py`) inside the sandbox."""

_GUARD_MARKER = "kodegen-pytest-guard: "
_PYTEST_INI = """\
[pytest]
pythonpath = {project}
junit_family = xunit1
"""
_COVERAGERC = """\
[run]
branch = True
data_file = {data}
"""
_MESSAGE_CHARS = 500
# pytest: 0 passed, 1 some failed, 2 interrupted (collection errors); the JUnit report is written.
_REPORTED = (0, 1, 2)
_NO_TESTS = 5


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    with tempfile.TemporaryDirectory(prefix="kodegen-tests-") as scratch:
        private = Path(scratch)
        junit, coverage_json = private / "junit.xml", private / "coverage.json"
        plugins = private / "plugins"
        plugins.mkdir()
        guard = importlib.resources.files("kodegen.gates").joinpath("_pytest_guard.py")
        (plugins / f"{GUARD}.py").write_text(guard.read_text("utf-8"), encoding="utf-8")
        ini, coveragerc = private / "pytest.ini", private / "coveragerc"
        ini.write_text(_PYTEST_INI.format(project=project), encoding="utf-8")
        coveragerc.write_text(_COVERAGERC.format(data=private / ".coverage"), encoding="utf-8")
        argv = gate.project_python(
            config,
            # -P: the project folder is not put first on sys.path, so a `pytest.py` of the
            # project does not replace pytest; it comes on the path through `pythonpath`, after
            # start-up, so a `sitecustomize.py` of the project is not imported either.
            "-P",
            "-m",
            "pytest",
            "-q",
            "-c",
            str(ini),
            f"--rootdir={project}",
            f"--confcutdir={project}",
            "-p",
            "no:cacheprovider",
            "-p",
            "pytest_cov",
            "-p",
            GUARD,
            f"--junitxml={junit}",
            f"--cov={config.package}",
            f"--cov-config={coveragerc}",
            f"--cov-report=json:{coverage_json}",
            "tests" if (project / "tests").is_dir() else ".",
        )
        storage = private / "hypothesis"
        await unicode_cache.seed(storage, build_if_missing=False)
        env = {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTHONPATH": str(plugins),
            "KODEGEN_PROJECT": str(project),
            "COVERAGE_FILE": str(private / ".coverage"),
            unicode_cache.ENV: str(storage),
        }
        outcome = await gate.tool(
            NAME,
            argv,
            cwd=project,
            config=config,
            env=env,
            writable=[private],
            runs_generated_code=True,
        )
        refused = [
            line.removeprefix(_GUARD_MARKER)
            for line in outcome.stderr.splitlines()
            if line.startswith(_GUARD_MARKER)
        ]
        if refused:
            return report.GateReport.failure(NAME, reason=refused[0])
        if outcome.returncode == _NO_TESTS:
            return report.GateReport.failure(NAME, reason="no tests were collected")
        if outcome.returncode not in _REPORTED or not junit.is_file():
            raise gate.unparseable(NAME, "pytest results", "pytest wrote no JUnit report", outcome)
        counts, failures = _results(project, junit, outcome)
        coverage_json_found = coverage_json.is_file()
        lines, branches, uncovered, excluded = _coverage(project, coverage_json, outcome)
    findings = list(failures)
    reasons = []
    if counts["failed"] or counts["errors"]:
        reasons.append(f"{counts['failed']} failed, {counts['errors']} error(s)")
    if not coverage_json_found:
        reasons.append(
            f"no coverage data: no code of package {config.package!r} ran"
            " (check GateConfig.package)"
        )
    elif lines < config.min_coverage:
        reasons.append(f"line coverage {lines:.1f}% is below {config.min_coverage:g}%")
        findings.extend(uncovered)
    return report.GateReport(
        name=NAME,
        passed=not reasons,
        counts=counts,
        findings=tuple(findings),
        reason="; ".join(reasons) or None,
        metrics={"coverage": lines, "branch_coverage": branches, "excluded_lines": excluded},
    )


def _results(
    project: Path, junit: Path, outcome: sandbox.Outcome
) -> tuple[dict[str, int], tuple[report.Finding, ...]]:
    try:
        # Written in the sandbox, where project code could tamper with it: ElementTree resolves
        # no external entities, and expat (>= 2.4) refuses entity expansion bombs.
        root = ElementTree.parse(junit).getroot()
    except (ElementTree.ParseError, OSError) as exc:
        raise gate.unparseable(NAME, "the JUnit report", exc, outcome) from exc
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    findings = []
    for case in root.iter("testcase"):
        problem = case.find("error")
        kind = "errors"
        if problem is None:
            problem, kind = case.find("failure"), "failed"
        if problem is None:
            counts["skipped" if case.find("skipped") is not None else "passed"] += 1
            continue
        counts[kind] += 1
        findings.append(
            _failure(project, case, problem, code="error" if kind == "errors" else "failed")
        )
    return counts, tuple(findings)


def _failure(
    project: Path, case: ElementTree.Element, problem: ElementTree.Element, *, code: str
) -> report.Finding:
    test = ".".join(part for part in (case.get("classname"), case.get("name")) if part)
    detail = (problem.get("message") or problem.text or "").strip()
    line = case.get("line")
    return report.Finding(
        file=gate.relative(case.get("file") or "", project) if case.get("file") else "",
        # xunit1 lines are 0-based (the `def` line is line + 1)
        line=int(line) + 1 if line and line.isdigit() else 0,
        code=code,
        message=f"{test}: {detail}"[:_MESSAGE_CHARS],
        severity="high",
    )


def _coverage(
    project: Path, path: Path, outcome: sandbox.Outcome
) -> tuple[float, float, tuple[report.Finding, ...], float]:
    """Line and branch coverage in percent, a finding per file with uncovered lines, and the
    number of lines excluded from measuring (`# pragma: no cover`)."""
    if not path.is_file():  # coverage writes nothing when no code of the package ran at all
        return 0.0, 0.0, (), 0.0
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        totals = data["totals"]
        lines = _percent(totals["covered_lines"], totals["num_statements"])
        branches = _percent(totals.get("covered_branches", 0), totals.get("num_branches", 0))
        uncovered = tuple(_uncovered(project, data["files"]))
        excluded = float(totals.get("excluded_lines", 0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise gate.unparseable(NAME, "the coverage report", repr(exc), outcome) from exc
    return lines, branches, uncovered, excluded


def _percent(covered: int, total: int) -> float:
    return round(100.0 * covered / total, 2) if total else 100.0


def _uncovered(project: Path, files: Mapping[str, Any]) -> Iterable[report.Finding]:
    for name, data in files.items():
        missing = [int(line) for line in data.get("missing_lines", [])]
        if missing:
            yield report.Finding(
                file=gate.relative(name, project),
                line=missing[0],
                code="uncovered",
                message=f"lines not covered: {_ranges(missing)}",
                severity="medium",
            )


def _ranges(lines: list[int]) -> str:
    """`[3, 4, 5, 9]` -> `"3-5, 9"`."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
