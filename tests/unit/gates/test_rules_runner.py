"""The rules of running every gate (`kodegen.gates.runner.run_gates`), proven both ways.

Rules:

1. reports come back in the order of the gates given, whatever order they finish in, and
   progress is told of each gate as it finishes;
2. every gate judges its own copy of the project: what one gate writes, no other gate and not
   the project sees;
3. the copy leaves out version control data and caches (`gate.SKIPPED_DIRS`) and keeps links
   as links, never bringing in what a link points to outside the project;
4. a project that cannot be copied fails every gate with the reason, and each failure is told
   to progress; `run_gates` itself never raises for it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from kodegen.gates import config, gate, report, runner

CONFIG = config.GateConfig(package="pkg", app=None, openapi=None)


def _lister(name: str, delay: float, seen: dict[str, list[str]]) -> gate.GateFunction:
    async def run(project: Path, settings: config.GateConfig) -> report.GateReport:
        await asyncio.sleep(delay)
        seen[name] = sorted(
            path.relative_to(project).as_posix()
            for path in project.rglob("*")
            if path.is_file() or path.is_symlink()
        )
        (project / f"written-by-{name}").write_text(name)
        return report.GateReport(name=name, passed=True)

    return run


def _project(root: Path) -> Path:
    for name in ["pkg/__init__.py", ".git/config", "pkg/__pycache__/x.pyc", ".venv/bin/python"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    return root


async def test_rule_1_reports_in_the_given_order_progress_as_they_finish(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}
    finished: list[str] = []
    gates = [("slow", _lister("slow", 0.3, seen)), ("fast", _lister("fast", 0.0, seen))]
    reports = await runner.run_gates(
        _project(tmp_path / "p"),
        CONFIG,
        gates=gates,
        progress=lambda name, result: finished.append(name),
    )
    assert [item.name for item in reports] == ["slow", "fast"]
    assert finished == ["fast", "slow"]


async def test_rule_2_and_3_each_gate_sees_its_own_clean_copy(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not the project's")
    project = _project(tmp_path / "p")
    (project / "link.txt").symlink_to(outside)
    seen: dict[str, list[str]] = {}
    gates = [(name, _lister(name, 0.05 * i, seen)) for i, name in enumerate("abc")]
    reports = await runner.run_gates(project, CONFIG, gates=gates)
    assert all(item.passed for item in reports)
    # no gate saw .git, caches or a virtual environment, nor what another gate wrote
    assert seen == {name: ["link.txt", "pkg/__init__.py"] for name in "abc"}
    assert sorted(path.name for path in project.iterdir()) == [
        ".git",
        ".venv",
        "link.txt",
        "pkg",
    ]


async def test_rule_3_a_link_stays_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    project = _project(tmp_path / "p")
    (project / "link.txt").symlink_to(outside)
    found: dict[str, bool] = {}

    async def inspect(folder: Path, settings: config.GateConfig) -> report.GateReport:
        found["link"] = (folder / "link.txt").is_symlink()
        found["listed"] = "link.txt" in [p.name for p in gate.all_files(folder)]
        return report.GateReport(name="inspect", passed=True)

    await runner.run_gates(project, CONFIG, gates=[("inspect", inspect)])
    assert found == {"link": True, "listed": False}


async def test_rule_4_a_project_that_cannot_be_copied_fails_every_gate(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}
    finished: list[str] = []
    gates = [(name, _lister(name, 0.0, seen)) for name in "ab"]
    reports = await runner.run_gates(
        tmp_path / "absent", CONFIG, gates=gates, progress=lambda name, _: finished.append(name)
    )
    assert [(item.name, item.passed) for item in reports] == [("a", False), ("b", False)]
    assert finished == ["a", "b"]
    assert seen == {}
    assert all(
        (item.reason or "").startswith(f"could not copy the project {str(tmp_path / 'absent')!r}")
        for item in reports
    )


async def test_rule_4_a_project_that_copies_runs_every_gate(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}
    gates = [(name, _lister(name, 0.0, seen)) for name in "ab"]
    reports = await runner.run_gates(_project(tmp_path / "p"), CONFIG, gates=gates)
    assert [(item.name, item.passed, item.reason) for item in reports] == [
        ("a", True, None),
        ("b", True, None),
    ]
    assert sorted(seen) == ["a", "b"]
