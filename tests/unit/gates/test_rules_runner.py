"""The rules of running every gate (`kodegen.gates.runner.run_gates`), proven both ways.

Rules:

1. reports come back in the order of the gates given, whatever order they finish in, and
   progress is told of each gate as it finishes;
2. every gate judges its own copy of the project: what one gate writes, no other gate and not
   the project sees;
3. the copy leaves out version control data and caches (`gate.SKIPPED_DIRS`) and keeps links
   as links, never bringing in what a link points to outside the project;
4. a project that cannot be copied fails every gate with the reason, and each failure is told
   to progress; `run_gates` itself never raises for it;
5. the static gates (`runner.STATIC`) judge with the settings as given; the others with the
   project's interpreter (`environment.prepare`), or, where preparing it raised, an unavailable
   one whose problem names the exception;
6. progress is given each gate's report itself; the copies live in a `kodegen-gates-` folder,
   one folder per gate named after it, removed afterwards;
7. the isolation policy is the one asked for when it is one, else the process default; the
   isolation record is that policy and what the probe found.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from kodegen.gates import config, environment, gate, isolation, report, runner

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


def _interpreter_of(seen: dict[str, environment.Environment]) -> gate.GateFunction:
    async def run(project: Path, settings: config.GateConfig) -> report.GateReport:
        seen[project.name] = settings.interpreter
        return report.GateReport(name=project.name, passed=True)

    return run


async def test_rule_5_only_the_gates_that_run_code_get_the_projects_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = environment.Environment(python="/venv/bin/python", added=("email-validator",))

    async def prepare(project: Path, **_: Any) -> environment.Environment:
        return prepared

    monkeypatch.setattr(environment, "prepare", prepare)
    seen: dict[str, environment.Environment] = {}
    gates = [(name, _interpreter_of(seen)) for name in ("syntax", "tests", "secrets", "contract")]
    await runner.run_gates(_project(tmp_path / "p"), CONFIG, gates=gates)
    assert seen == {
        "syntax": environment.OWN,
        "tests": prepared,
        "secrets": environment.OWN,
        "contract": prepared,
    }


async def test_rule_5_a_bug_in_preparing_the_interpreter_is_its_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def prepare(project: Path, **_: Any) -> environment.Environment:
        raise KeyError("requires")

    monkeypatch.setattr(environment, "prepare", prepare)
    seen: dict[str, environment.Environment] = {}
    await runner.run_gates(
        _project(tmp_path / "p"), CONFIG, gates=[("tests", _interpreter_of(seen))]
    )
    assert seen == {
        "tests": environment.Environment(
            python=sys.executable, problem="gate environment: internal error: KeyError: 'requires'"
        )
    }


async def test_rule_6_progress_gets_each_report(tmp_path: Path) -> None:
    told: list[tuple[str, report.GateReport]] = []
    gates = [(name, _lister(name, 0.0, {})) for name in "ab"]
    reports = await runner.run_gates(
        _project(tmp_path / "p"),
        CONFIG,
        gates=gates,
        progress=lambda name, result: told.append((name, result)),
    )
    assert sorted(told, key=lambda item: item[0]) == [("a", reports[0]), ("b", reports[1])]


async def test_rule_6_each_gate_has_a_folder_of_its_own_removed_afterwards(
    tmp_path: Path,
) -> None:
    folders: list[Path] = []

    async def where(project: Path, settings: config.GateConfig) -> report.GateReport:
        folders.append(project)
        return report.GateReport(name="where", passed=True)

    await runner.run_gates(_project(tmp_path / "p"), CONFIG, gates=[("where", where)])
    [folder] = folders
    assert folder.name == "where"
    assert folder.parent.name.startswith("kodegen-gates-")
    assert not folder.parent.exists()


@pytest.mark.parametrize(
    ("wanted", "default", "chosen"),
    [
        ("required", "", "required"),
        ("best-effort", "required", "best-effort"),
        (None, "required", "required"),
        (None, "", "best-effort"),
        ("strict", "required", "required"),
    ],
)
def test_rule_7_the_policy_asked_for_else_the_default(
    wanted: str | None, default: str, chosen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(isolation.ENV_POLICY, default)
    assert runner.policy(wanted) == chosen


def test_rule_7_the_isolation_record_is_the_policy_and_the_probe() -> None:
    assert runner.isolation_record("required") == {
        "policy": "required",
        **isolation.probe().to_dict(),
    }
