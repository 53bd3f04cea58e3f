"""All gates together: order, isolation from each other and from the project folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kodegen.gates import config, gate, report, runner, sandbox

from .conftest import by_name, snapshot, write_files

ORDER = ["syntax", "style", "security", "secrets", "tests", "contract"]

CleanRun = tuple[tuple[report.GateReport, ...], list[str], dict[str, tuple[bytes, int]]]


@pytest.mark.slow
def test_a_clean_project_passes_every_gate(clean_run: CleanRun) -> None:
    reports, _, _ = clean_run
    assert [item.name for item in reports] == ORDER
    failed = {item.name: (item.reason, item.findings) for item in reports if not item.passed}
    assert failed == {}
    gates = by_name(reports)
    assert gates["tests"].metrics["coverage"] == 100.0
    assert gates["tests"].counts == {"errors": 0, "failed": 0, "passed": 3, "skipped": 0}
    assert gates["security"].counts == {"high": 0, "low": 0, "medium": 0}
    assert gates["contract"].counts["operations"] == 3
    assert gates["contract"].counts["cases"] > 3


@pytest.mark.slow
async def test_every_report_says_whether_the_network_was_isolated(clean_run: CleanRun) -> None:
    isolated = float(await sandbox.network_isolation())
    assert {item.metrics["network_isolated"] for item in clean_run[0]} == {isolated}


@pytest.mark.slow
def test_progress_is_reported_once_per_gate(clean_run: CleanRun) -> None:
    _, finished, _ = clean_run
    assert sorted(finished) == sorted(ORDER)


@pytest.mark.slow
def test_the_project_folder_is_left_untouched(clean_run: CleanRun, clean_project: Path) -> None:
    _, _, before = clean_run
    assert snapshot(clean_project) == before  # no .coverage, __pycache__, caches, edits


@pytest.mark.slow
def test_a_gate_past_its_timeout_fails_alone(project: Path, gate_config: config.GateConfig) -> None:
    spin = '"""Spins."""\n\n\ndef test_spin() -> None:\n    while True:\n        pass\n'
    write_files(project, {"tests/test_spin.py": spin})
    # Long enough for every other gate on a busy 2-core machine, short enough for a unit test.
    # The contract gate starts the service and drives schemathesis: on a loaded machine it alone
    # can pass 15 s, so it is off here (every gate shares the timeout of gate.tool, test_gate.py).
    settings = dataclasses.replace(gate_config, timeout_seconds=15.0, contract=False)
    reports = by_name(runner.run_all(project, settings))
    assert (reports["tests"].passed, reports["tests"].reason) == (False, "timed out after 15 s")
    assert reports["tests"].duration_seconds < 30
    assert {name for name, item in reports.items() if not item.passed} == {"tests"}


def test_a_missing_project_fails_every_gate_without_raising(
    tmp_path: Path, gate_config: config.GateConfig
) -> None:
    finished: list[str] = []
    reports = runner.run_all(
        tmp_path / "missing", gate_config, progress=lambda name, _: finished.append(name)
    )
    assert [item.name for item in reports] == ORDER == finished
    assert all(not item.passed for item in reports)
    assert all((item.reason or "").startswith("could not copy the project") for item in reports)


async def test_each_gate_gets_its_own_copy(project: Path, gate_config: config.GateConfig) -> None:
    seen: dict[str, Path] = {}

    async def spy(name: str, folder: Path) -> report.GateReport:
        seen[name] = folder
        (folder / "written-by-the-gate").write_text(name)
        return report.GateReport(name=name, passed=True)

    def fake(name: str) -> gate.GateFunction:
        async def run(folder: Path, settings: config.GateConfig) -> report.GateReport:
            return await spy(name, folder)

        return run

    reports = await runner.run_gates(project, gate_config, gates=[(n, fake(n)) for n in "ab"])
    assert [item.name for item in reports] == ["a", "b"]
    assert seen["a"] != seen["b"]
    assert not (project / "written-by-the-gate").exists()
    assert not seen["a"].exists(), "the copies are removed afterwards"
