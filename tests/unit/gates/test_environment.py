"""The Python the gates run generated code with: kodegen's own when it has every declared
package, else a virtualenv of pinned packages, built once per set and reused (also offline);
a failure is one line in the gates that run code, never a traceback.

The build test installs the pinned wheels from the package index (PyPI by default, or the one
pip is configured with); everything else here needs no network.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import subprocess  # nosec B404: runs the built environment's interpreter
import sys
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from kodegen.gates import allowed, config, environment, gate, report, requirements, runner

UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"
"""The discard port: nothing answers, so any install from it fails at once."""

EMAIL_MODELS = '''\
"""Models with an e-mail field: pydantic needs email-validator for it."""

from pydantic import BaseModel, EmailStr


class Owner(BaseModel):
    email: EmailStr
'''

EMAIL_TESTS = '''\
"""The e-mail field is checked by email-validator."""

import pydantic
import pytest

from owners.models import Owner


def test_a_valid_address_is_kept() -> None:
    assert Owner(email="ann@example.com").email == "ann@example.com"


def test_an_invalid_address_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        Owner(email="not an address")
'''


def _pyproject(project: Path, *dependencies: str) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    listed = json.dumps(list(dependencies))
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "owners"\nversion = "1.0"\ndependencies = {listed}\n',
        encoding="utf-8",
    )
    return project


def _pins(project: Path) -> tuple[str, ...]:
    return allowed.resolve(requirements.unsatisfied(requirements.declared(project)))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip sees only an index that does not answer, and does not retry."""
    monkeypatch.setenv("PIP_INDEX_URL", UNREACHABLE_INDEX)
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, environment.Environment]:
    """A cache holding the environment for `email-validator`, built once from the index."""
    assert requirements.unsatisfied([Requirement("email-validator")]), (
        "kodegen's environment has email-validator: these tests need a package it lacks"
    )
    cache = tmp_path_factory.mktemp("gate-envs")
    project = _pyproject(
        tmp_path_factory.mktemp("p") / "owners", "pydantic>=2.8", "email-validator>=2"
    )
    made = asyncio.run(environment.prepare(project, cache=cache))
    assert made.problem is None, made.problem
    return cache, made


def test_a_project_kodegen_can_run_as_it_is_uses_kodegens_interpreter(tmp_path: Path) -> None:
    project = _pyproject(tmp_path / "p", "fastapi>=0.115", "pydantic>=2.8", "Uvicorn>=0.30")
    cache = tmp_path / "cache"
    made = asyncio.run(environment.prepare(project, cache=cache))
    assert made == environment.OWN
    assert made.python == sys.executable
    assert not cache.exists(), "no virtualenv, no cache folder"


def test_a_project_without_pyproject_uses_kodegens_interpreter(tmp_path: Path) -> None:
    assert asyncio.run(environment.prepare(tmp_path, cache=tmp_path / "c")) == environment.OWN


def test_the_first_run_builds_an_environment_with_the_declared_packages(
    built: tuple[Path, environment.Environment],
) -> None:
    cache, made = built
    assert made.built
    assert made.added == ("dnspython", "email-validator")
    target = cache / environment.key(made.added)
    assert made.python == str(target / "bin" / "python")
    assert made.readable == (target,)
    assert sorted(path.name for path in cache.iterdir() if not path.name.startswith(".")) == [
        target.name
    ], "one environment, no build folder left behind"
    probe = (
        "import email_validator, pydantic, pytest; "
        "print(email_validator.__file__); print(pydantic.__file__)"
    )
    done = subprocess.run(  # nosec B603: the built interpreter, a fixed program
        [made.python, "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    mine, theirs = done.stdout.splitlines()
    assert mine.startswith(str(target)), "the pinned package comes from the environment"
    assert not theirs.startswith(str(target)), "the rest is kodegen's, not installed again"


def test_the_same_set_spelled_otherwise_reuses_it_offline(
    built: tuple[Path, environment.Environment], tmp_path: Path, offline: None
) -> None:
    cache, made = built
    project = _pyproject(tmp_path / "q", "Email_Validator >= 2.1", "pydantic", "httpx")
    again = asyncio.run(environment.prepare(project, cache=cache))
    assert again.problem is None, again.problem
    assert not again.built
    assert again.python == made.python


def test_another_set_is_another_environment(
    built: tuple[Path, environment.Environment], tmp_path: Path, offline: None
) -> None:
    cache, made = built
    project = _pyproject(tmp_path / "r", "dnspython>=2")
    assert environment.key(_pins(project)) != environment.key(made.added)
    other = asyncio.run(environment.prepare(project, cache=cache))
    # a cache miss: it tries to build, and the unreachable index says why it cannot
    assert other.problem is not None
    assert other.problem.startswith("gate environment: could not install dnspython from the")
    assert "is the index reachable (PIP_INDEX_URL" in other.problem
    assert "\n" not in other.problem
    assert not (cache / environment.key(_pins(project))).exists(), "no half environment left"


def test_a_crashed_build_is_swept_away_and_a_running_one_left_alone(
    tmp_path: Path, offline: None
) -> None:
    cache = tmp_path / "cache"
    crashed, running = cache / ".build-crashed", cache / ".build-running"
    for folder in (crashed, running):
        (folder / "bin").mkdir(parents=True)
    past = time.time() - environment.STALE_SECONDS - 60
    os.utime(crashed, (past, past))
    made = asyncio.run(environment.prepare(_pyproject(tmp_path / "p", "dnspython"), cache=cache))
    assert made.problem is not None, "offline: this build fails, after the sweep"
    assert not crashed.exists()
    assert running.exists()
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == [running.name]


def test_a_refused_dependency_fails_before_anything_is_built(tmp_path: Path) -> None:
    project = _pyproject(tmp_path / "p", "pydantic", "left-pad-evil==1.0")
    made = asyncio.run(environment.prepare(project, cache=tmp_path / "cache"))
    assert made.problem is not None
    assert made.problem.startswith("gate environment: dependency 'left-pad-evil==1.0': ")
    assert "\n" not in made.problem
    assert not (tmp_path / "cache").exists()


def test_a_cache_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    project = _pyproject(tmp_path / "p", "email-validator")
    made = asyncio.run(environment.prepare(project, cache=tmp_path / "file" / "cache"))
    assert made.problem is not None
    assert "cannot create the cache folder" in made.problem
    assert f"set {environment.ENV_FOLDER} to a writable folder" in made.problem
    assert "\n" not in made.problem


def test_the_cache_folder_is_the_users_unless_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(environment.ENV_FOLDER, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert environment.folder() == tmp_path / "kodegen" / "gate-envs"
    monkeypatch.setenv(environment.ENV_FOLDER, str(tmp_path / "elsewhere"))
    assert environment.folder() == tmp_path / "elsewhere"


def test_pip_is_given_how_to_reach_the_index_and_no_secret() -> None:
    given = environment._pip_environment(
        {
            "PATH": "/usr/bin",
            "PIP_INDEX_URL": "https://mirror.example/simple",
            "HTTPS_PROXY": "http://proxy:3128",
            "ANTHROPIC_API_KEY": "sk-ant-secret",
            "KUBECONFIG": "/root/.kube/config",
            "GITHUB_TOKEN": "ghp_secret",
        }
    )
    assert given == {
        "PATH": "/usr/bin",
        "PIP_INDEX_URL": "https://mirror.example/simple",
        "HTTPS_PROXY": "http://proxy:3128",
    }


# -- in the gates ---------------------------------------------------------------------------------


def _owners(root: Path, *dependencies: str) -> Path:
    project = _pyproject(root / "owners", *dependencies)
    (project / "owners").mkdir()
    (project / "owners" / "__init__.py").write_text('"""Owners."""\n', encoding="utf-8")
    (project / "owners" / "models.py").write_text(EMAIL_MODELS, encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "__init__.py").write_text("", encoding="utf-8")
    (project / "tests" / "test_models.py").write_text(EMAIL_TESTS, encoding="utf-8")
    return project


OWNERS = config.GateConfig(package="owners", app=None, openapi=None)


async def test_the_tests_gate_runs_the_project_with_its_declared_packages(
    built: tuple[Path, environment.Environment],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    offline: None,
) -> None:
    cache, _ = built
    monkeypatch.setenv(environment.ENV_FOLDER, str(cache))
    project = _owners(tmp_path, "pydantic>=2.8", "email-validator>=2")
    tests_only = [(name, function) for name, function in runner.GATES if name == "tests"]
    (tested,) = await runner.run_gates(project, OWNERS, gates=tests_only)
    assert tested.passed, tested.reason or tested.findings


async def test_a_refused_dependency_fails_the_gates_that_run_code_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(environment.ENV_FOLDER, str(tmp_path / "cache"))
    project = _owners(tmp_path, "pydantic>=2.8", "email-validator>=2", "crypto-miner>=1")
    chosen = [(n, f) for n, f in runner.GATES if n in {"syntax", "style", "tests"}]
    reports = {item.name: item for item in await runner.run_gates(project, OWNERS, gates=chosen)}
    assert reports["syntax"].passed and reports["style"].passed, "static gates are not concerned"
    failed = reports["tests"]
    assert not failed.passed
    assert failed.reason is not None
    assert "gate environment: dependency 'crypto-miner>=1': 'crypto-miner' is neither" in (
        failed.reason
    )
    assert "\n" not in failed.reason


async def test_static_gates_run_while_the_environment_is_being_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another builder holds the environment's lock: the static gates still run and finish,
    the gates that run code wait for it, then use what it built."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(environment.ENV_FOLDER, str(cache))
    project = _owners(tmp_path, "email-validator>=2")
    name = environment.key(_pins(project))
    target = cache / name
    order: list[str] = []
    with open(cache / f".{name}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)

        def finish_the_build() -> None:
            """What the other builder leaves: a complete environment, then the lock released."""
            (target / "bin").mkdir(parents=True)
            os.symlink(sys.executable, target / "bin" / "python")
            (target / environment.MARKER).write_text("{}", encoding="utf-8")
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

        async def static(folder: Path, settings: config.GateConfig) -> report.GateReport:
            await asyncio.sleep(0)
            order.append("static done")
            finish_the_build()
            return report.GateReport(name="syntax", passed=True)

        async def runs_code(folder: Path, settings: config.GateConfig) -> report.GateReport:
            order.append("code starts")
            assert settings.interpreter.python == str(target / "bin" / "python")
            assert settings.interpreter.readable == (target,)
            return report.GateReport(name="tests", passed=True)

        gates: list[tuple[str, gate.GateFunction]] = [("tests", runs_code), ("syntax", static)]
        try:
            reports = await asyncio.wait_for(
                runner.run_gates(project, OWNERS, gates=gates), timeout=30
            )
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)  # a failed test must not hang the thread
    assert order == ["static done", "code starts"]
    assert [item.name for item in reports] == ["tests", "syntax"]
    assert all(item.passed for item in reports)


def test_kodegen_installed_elsewhere_is_another_environment() -> None:
    """Two installs of kodegen with the same interpreter and distributions (two virtualenvs, two
    checkouts) share a cache folder; the environment layers on one install's site folders, which
    the other's sandbox does not show (pytest and schemathesis then missing), so the install's
    site folders are part of its name."""
    pins = ("email-validator",)
    here = environment.key(pins)
    assert here == environment.key(pins, sites=environment.base_site_dirs())
    assert here != environment.key(pins, sites=(Path("/elsewhere/lib/python3/site-packages"),))
