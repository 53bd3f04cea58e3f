"""The rules every gate shares (`kodegen.gates.gate`, `kodegen.gates.config`), proven both ways.

Rules:

1. a gate that returns a report keeps its verdict, and gets its duration and whether the network
   was isolated added; a gate that raises `GateError` fails with that reason; any other
   exception fails that gate as an internal error naming the exception;
2. `tool` returns how a tool that ended by itself ended (whatever its exit status); a tool that
   cannot start, ran past its time or was killed by a signal fails the gate, naming it; the
   tool gets the environment and the writable folders it is given; a tool that runs generated
   code also sees the folders of the project's interpreter, and is refused when that
   interpreter could not be made, or when isolation is `required` and the sandbox cannot
   contain it (static tools run either way);
3. `parse_json` reads JSON; output that is not JSON fails the gate, quoting the last 400
   characters of what the tool said (its standard error first, else its standard output);
4. the files a gate judges are every regular file outside version control and caches, sorted;
   links are never followed;
5. `GateConfig` accepts every value inside its ranges, the bounds included, and rejects the
   first value outside them naming the field; `contract_skipped` says why the contract gate
   does not run (disabled first, then no app, then no OpenAPI document) or None.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from kodegen import errors
from kodegen.gates import config, environment, gate, isolation, report, sandbox

SETTINGS = config.GateConfig(package="p", app=None, openapi=None, timeout_seconds=5.0)


def _outcome(stdout: str = "", stderr: str = "", returncode: int = 1) -> sandbox.Outcome:
    return sandbox.Outcome(
        returncode=returncode, stdout=stdout, stderr=stderr, timed_out=False, duration=0.1
    )


@gate.gate("demo")
async def failing(project: Path, settings: config.GateConfig) -> report.GateReport:
    return report.GateReport.failure(
        "demo", reason="said no", counts={"n": 2}, metrics={"coverage": 50.0}
    )


@gate.gate("demo")
async def exiting(project: Path, settings: config.GateConfig) -> report.GateReport:
    outcome = await gate.tool(
        "demo",
        gate.python("-c", "import sys; print('out'); sys.exit(3)"),
        cwd=project,
        config=settings,
    )
    return report.GateReport(name="demo", passed=True, counts={"exit": outcome.returncode})


@gate.gate("demo")
async def value_error(project: Path, settings: config.GateConfig) -> report.GateReport:
    raise ValueError("bad")


async def test_rule_1_a_failed_report_keeps_its_verdict_and_gets_timed(tmp_path: Path) -> None:
    result = await failing(tmp_path, SETTINGS)
    assert (result.passed, result.reason, dict(result.counts)) == (False, "said no", {"n": 2})
    assert set(result.metrics) == {"coverage", "contained", "network_isolated"}
    assert result.metrics["coverage"] == 50.0
    assert result.duration_seconds > 0


async def test_rule_1_any_other_exception_is_an_internal_error(tmp_path: Path) -> None:
    result = await value_error(tmp_path, SETTINGS)
    assert (result.name, result.passed) == ("demo", False)
    assert result.reason == "internal error in the demo gate: ValueError: bad"
    assert "network_isolated" in result.metrics


async def test_rule_2_a_tool_that_ended_by_itself_is_judged_by_the_gate(tmp_path: Path) -> None:
    result = await exiting(tmp_path, SETTINGS)
    assert result.passed
    assert result.counts == {"exit": 3}


async def test_rule_2_a_tool_that_cannot_start_fails(tmp_path: Path) -> None:
    with pytest.raises(errors.GateError) as caught:
        await gate.tool("demo", gate.python("-V"), cwd=tmp_path / "absent", config=SETTINGS)
    assert caught.value.gate == "demo"
    assert caught.value.reason.startswith(f"could not start {gate.python()[0]}: ")


async def test_rule_2_a_tool_past_its_time_fails(tmp_path: Path) -> None:
    quick = config.GateConfig(package="p", app=None, openapi=None, timeout_seconds=0.5)
    with pytest.raises(errors.GateError) as caught:
        await gate.tool("demo", gate.python("-c", "while True: pass"), cwd=tmp_path, config=quick)
    assert (caught.value.gate, caught.value.reason) == ("demo", "timed out after 0.5 s")


async def test_rule_2_a_tool_killed_by_a_signal_fails_naming_it_and_the_memory_limit(
    tmp_path: Path,
) -> None:
    settings = dataclasses.replace(SETTINGS, memory_mb=512)
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    with pytest.raises(errors.GateError) as caught:
        await gate.tool("demo", gate.python("-c", crash), cwd=tmp_path, config=settings)
    assert (caught.value.gate, caught.value.reason) == (
        "demo",
        "killed by signal 11 (SIGSEGV; memory limit 512 MiB?)",
    )


async def test_rule_2_a_tool_gets_its_environment_and_its_writable_folders(tmp_path: Path) -> None:
    project, results = tmp_path / "project", tmp_path / "results"
    project.mkdir()
    results.mkdir()
    script = (
        "import os, pathlib; "
        "pathlib.Path(os.environ['RESULTS'], 'out.txt').write_text(os.environ['DEMO_VALUE'])"
    )
    outcome = await gate.tool(
        "demo",
        gate.python("-c", script),
        cwd=project,
        config=SETTINGS,
        env={"RESULTS": str(results), "DEMO_VALUE": "seen"},
        writable=[results],
    )
    assert (outcome.returncode, outcome.stderr) == (0, "")
    assert (results / "out.txt").read_text(encoding="utf-8") == "seen"


async def test_rule_2_generated_code_sees_the_folders_of_its_interpreter(tmp_path: Path) -> None:
    project, venv = tmp_path / "project", tmp_path / "venv"
    project.mkdir()
    venv.mkdir()
    (venv / "marker").write_text("from the venv", encoding="utf-8")
    settings = dataclasses.replace(
        SETTINGS, interpreter=environment.Environment(python=sys.executable, readable=(venv,))
    )
    outcome = await gate.tool(
        "demo",
        gate.project_python(settings, "-c", f"print(open({str(venv / 'marker')!r}).read())"),
        cwd=project,
        config=settings,
        runs_generated_code=True,
    )
    assert (outcome.returncode, outcome.stdout) == (0, "from the venv\n")


async def test_rule_2_generated_code_is_refused_without_its_interpreter(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        SETTINGS, interpreter=environment.Environment.unavailable("pip install failed")
    )
    with pytest.raises(errors.GateError) as caught:
        await gate.tool(
            "demo", gate.python("-V"), cwd=tmp_path, config=settings, runs_generated_code=True
        )
    assert (caught.value.gate, caught.value.reason) == (
        "demo",
        "gate environment: pip install failed",
    )
    static = await gate.tool("demo", gate.python("-c", "print(1)"), cwd=tmp_path, config=settings)
    assert (static.returncode, static.stdout) == (0, "1\n")


async def test_rule_2_required_isolation_refuses_generated_code_where_uncontained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    uncontained = isolation.probe()
    assert not uncontained.contained
    required = dataclasses.replace(SETTINGS, isolation="required")
    with pytest.raises(errors.GateError) as caught:
        await gate.tool(
            "demo", gate.python("-V"), cwd=tmp_path, config=required, runs_generated_code=True
        )
    assert (caught.value.gate, caught.value.reason) == ("demo", uncontained.refusal())
    static = await gate.tool("demo", gate.python("-c", "print(1)"), cwd=tmp_path, config=required)
    assert (static.returncode, static.stdout) == (0, "1\n")


async def test_rule_2_best_effort_runs_generated_code_where_uncontained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    assert not isolation.probe().contained
    outcome = await gate.tool(
        "demo",
        gate.python("-c", "print(1)"),
        cwd=tmp_path,
        config=SETTINGS,
        runs_generated_code=True,
    )
    assert (outcome.returncode, outcome.stdout) == (0, "1\n")


def test_rule_3_json_is_read() -> None:
    assert gate.parse_json("demo", "x", '{"a": [1]}', _outcome()) == {"a": [1]}


@pytest.mark.parametrize(
    ("stdout", "stderr", "said"),
    [
        ("printed", "complained", "complained"),
        ("printed", "  \n", "printed"),
        ("", "", ""),
        ("x" * 1000 + "END", "", "x" * 397 + "END"),
    ],
)
def test_rule_3_output_that_is_not_json_fails_quoting_the_tool(
    stdout: str, stderr: str, said: str
) -> None:
    with pytest.raises(errors.GateError) as caught:
        gate.parse_json("demo", "the demo output", "not json", _outcome(stdout, stderr, 7))
    assert caught.value.gate == "demo"
    reason = caught.value.reason
    assert reason.startswith("could not parse the demo output: Expecting value: ")
    assert reason.endswith(f"(exit status 7; output: {said!r})")


def test_rule_3_unparseable_names_the_problem() -> None:
    error = gate.unparseable("demo", "its output", "no result file", _outcome("", "boom", 0))
    assert error.gate == "demo"
    assert (
        error.reason == "could not parse its output: no result file (exit status 0; output: 'boom')"
    )


def test_rule_4_files_outside_version_control_and_caches_sorted(tmp_path: Path) -> None:
    for name in [".venv/x.py", "venv/x.py", ".tox/x.py", ".hypothesis/x", "b/.svn/x", "z.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    for name in ["a/m.py", "a/.hidden.py", "a/venvs/k.py", "README"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "a", target_is_directory=True)
    names = [gate.relative(path, tmp_path) for path in gate.all_files(tmp_path)]
    assert names == ["README", "a/.hidden.py", "a/m.py", "a/venvs/k.py", "z.py"]
    python = [gate.relative(path, tmp_path) for path in gate.python_files(tmp_path)]
    assert python == ["a/.hidden.py", "a/m.py", "a/venvs/k.py", "z.py"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("./pkg/a.py", "pkg/a.py"),
        ("pkg/a.py", "pkg/a.py"),
        ("{root}/pkg/a.py", "pkg/a.py"),
        ("{root}/../elsewhere/a.py", "../elsewhere/a.py"),
        ("{tmp}/elsewhere/a.py", "../elsewhere/a.py"),
        ("{tmp}/a.py", "../a.py"),
    ],
)
def test_rule_4_paths_are_relative_to_the_project(tmp_path: Path, path: str, expected: str) -> None:
    root = tmp_path / "project"
    assert gate.relative(path.format(root=root, tmp=tmp_path), root) == expected


@pytest.mark.parametrize(
    "values",
    [
        {"min_coverage": 0.0},
        {"min_coverage": 100.0},
        {"fail_on_severity": "low"},
        {"fail_on_severity": "high"},
        {"timeout_seconds": 0.001},
        {"memory_mb": 1},
        {"max_examples": 1},
    ],
)
def test_rule_5_values_at_the_bounds_are_accepted(values: dict[str, Any]) -> None:
    settings = config.GateConfig(package="p", app=None, openapi=None, **values)
    assert all(getattr(settings, key) == value for key, value in values.items())


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_coverage": 100.001}, "GateConfig.min_coverage=100.001: expected a percentage"),
        ({"min_coverage": -0.001}, "GateConfig.min_coverage=-0.001: expected a percentage"),
        ({"fail_on_severity": "none"}, "GateConfig.fail_on_severity='none': expected 'low', "),
        ({"timeout_seconds": -1.0}, "GateConfig.timeout_seconds=-1.0: expected a positive "),
        ({"memory_mb": -5}, "GateConfig.memory_mb=-5: expected a positive number of MiB"),
        ({"max_examples": -1}, "GateConfig.max_examples=-1: expected at least 1"),
        (
            {"min_coverage": 200.0, "max_examples": 0},
            "GateConfig.min_coverage=200.0: expected a percentage from 0 to 100",
        ),
    ],
)
def test_rule_5_values_outside_the_bounds_are_rejected(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        config.GateConfig(package="p", app=None, openapi=None, **values)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"contract": False, "app": None, "openapi": None}, "disabled: "),
        (
            {"contract": True, "app": None, "openapi": None},
            "not applicable: the template declares no app",
        ),
        (
            {"contract": True, "app": "a:app", "openapi": None},
            "not applicable: the template declares no OpenAPI",
        ),
        (
            {"contract": True, "app": None, "openapi": "o.json"},
            "not applicable: the template declares no app",
        ),
        ({"contract": True, "app": "a:app", "openapi": "o.json"}, None),
    ],
)
def test_rule_5_why_the_contract_gate_does_not_run(
    values: dict[str, Any], reason: str | None
) -> None:
    settings = config.GateConfig(package="p", **values)
    skipped = settings.contract_skipped()
    assert skipped == reason if reason is None else (skipped or "").startswith(reason)
