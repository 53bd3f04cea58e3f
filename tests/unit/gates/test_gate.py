from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kodegen import errors
from kodegen.gates import config, gate, isolation, report, sandbox

SETTINGS = config.GateConfig(package="p", app=None, openapi=None, timeout_seconds=1.0)


@gate.gate("demo")
async def raising_gate_error(project: Path, settings: config.GateConfig) -> report.GateReport:
    raise errors.GateError(gate="demo", reason="could not parse demo output: nonsense")


@gate.gate("demo")
async def buggy(project: Path, settings: config.GateConfig) -> report.GateReport:
    raise KeyError("totals")


@gate.gate("demo")
async def spinning(project: Path, settings: config.GateConfig) -> report.GateReport:
    await gate.tool("demo", gate.python("-c", "while True: pass"), cwd=project, config=settings)
    return report.GateReport(name="demo", passed=True)


@gate.gate("demo")
async def fine(project: Path, settings: config.GateConfig) -> report.GateReport:
    return report.GateReport(name="demo", passed=True, metrics={"coverage": 100.0})


async def test_a_gate_error_becomes_a_failed_report(tmp_path: Path) -> None:
    result = await raising_gate_error(tmp_path, SETTINGS)
    assert (result.name, result.passed) == ("demo", False)
    assert result.reason == "could not parse demo output: nonsense"


async def test_a_bug_in_a_gate_fails_that_gate_with_the_exception(tmp_path: Path) -> None:
    result = await buggy(tmp_path, SETTINGS)
    assert not result.passed
    assert result.reason == "internal error in the demo gate: KeyError: 'totals'"


async def test_a_tool_past_its_timeout_fails_the_gate(tmp_path: Path) -> None:
    result = await spinning(tmp_path, SETTINGS)
    assert (result.passed, result.reason) == (False, "timed out after 1 s")
    assert result.duration_seconds < 10


async def test_reports_are_timed_and_say_whether_the_network_was_isolated(tmp_path: Path) -> None:
    result = await fine(tmp_path, SETTINGS)
    assert result.passed and result.duration_seconds >= 0
    isolated = await sandbox.network_isolation()
    contained = isolation.probe().contained
    assert result.metrics == {
        "coverage": 100.0,
        "network_isolated": float(isolated),
        "contained": float(contained),
    }


async def test_a_tool_that_cannot_start_fails_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(errors.GateError, match="could not start"):
        await gate.tool("demo", ["python"], cwd=tmp_path / "missing", config=SETTINGS)


def test_parse_json_names_what_could_not_be_parsed() -> None:
    outcome = sandbox.Outcome(
        returncode=1, stdout="Traceback...", stderr="MemoryError", timed_out=False, duration=0.1
    )
    with pytest.raises(errors.GateError) as caught:
        gate.parse_json("style", "ruff check output", "Traceback...", outcome)
    assert caught.value.reason.startswith("could not parse ruff check output: ")
    assert "MemoryError" in caught.value.reason


def test_files_are_listed_sorted_without_caches_and_links(tmp_path: Path) -> None:
    for name in ("b.py", "a/c.py", "a/d.txt", ".git/x.py", "a/__pycache__/c.py", ".github/w.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "link.py").symlink_to(tmp_path / "b.py")
    names = [gate.relative(path, tmp_path) for path in gate.all_files(tmp_path)]
    assert names == [".github/w.yml", "a/c.py", "a/d.txt", "b.py"]
    assert [gate.relative(p, tmp_path) for p in gate.python_files(tmp_path)] == ["a/c.py", "b.py"]


def test_static_tools_run_isolated_from_the_project() -> None:
    assert gate.static_tool("ruff", "check") == [sys.executable, "-I", "-B", "-m", "ruff", "check"]
