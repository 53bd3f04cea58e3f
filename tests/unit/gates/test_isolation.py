from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from kodegen.gates import bwrap, config, gate, isolation, runner


def test_the_default_policy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(isolation.ENV_POLICY, raising=False)
    assert isolation.default_policy() == "best-effort"
    monkeypatch.setenv(isolation.ENV_POLICY, "required")
    assert isolation.default_policy() == "required"
    assert runner.policy(None) == "required"
    assert runner.policy("best-effort") == "best-effort"
    monkeypatch.setenv(isolation.ENV_POLICY, "nonsense")
    assert isolation.default_policy() == "best-effort"


def test_a_fully_contained_machine_misses_nothing() -> None:
    found = isolation.Isolation(namespaces="user", cgroup="v2", root=True)
    assert found.contained and found.missing() == () and found.warning() == ""
    assert found.to_dict() == {
        "contained": True,
        "namespaces": "user",
        "processLimit": "cgroup",
        "memoryLimit": "cgroup",
        "missing": [],
    }


def test_root_without_a_cgroup_has_no_process_limit() -> None:
    root = isolation.Isolation(namespaces="root", cgroup="none", root=True)
    assert root.process_limit == "none" and root.memory_limit == "rlimit"
    assert root.missing() == (
        "process-count limit (no writable cgroup, and RLIMIT_NPROC binds no root)",
    )
    user = isolation.Isolation(namespaces="user", cgroup="none", root=False)
    assert user.contained and user.process_limit == "rlimit"


def test_missing_namespaces_are_named_with_the_cause() -> None:
    found = isolation.Isolation("none", "v1", False, "bwrap (bubblewrap) is not installed")
    assert not found.contained
    assert "namespaces" in found.warning() and "bubblewrap) is not installed" in found.warning()
    assert found.refusal().startswith(
        "refused to run generated code: qualityGates.isolation is 'required'"
    )
    assert "qualityGates.isolation: best-effort" in found.refusal()


def test_the_switch_disables_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    found = isolation.probe()
    assert found.namespaces == "none"
    assert f"disabled by {isolation.ENV_NAMESPACES}=off" in found.missing()[0]


def test_the_probe_finds_what_this_machine_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(isolation.ENV_NAMESPACES, raising=False)
    monkeypatch.delenv(isolation.ENV_CGROUPS, raising=False)
    found = isolation.probe()
    assert found.root == (os.geteuid() == 0)
    if shutil.which("bwrap") is None:
        assert found.namespaces == "none"
        assert "bwrap (bubblewrap) is not installed" in found.why_no_namespaces
    assert isolation.probe() is found, "probed once"


def test_without_cgroups_root_is_refused_under_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.ENV_CGROUPS, "off")
    found = isolation.probe()
    assert found.cgroup == "none"
    assert found.process_limit == ("none" if os.geteuid() == 0 else "rlimit")


async def test_required_refuses_generated_code_but_not_static_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    settings = config.GateConfig(package="p", app=None, openapi=None, isolation="required")
    argv = [sys.executable, "-c", "print('ran')"]
    static = await gate.tool("demo", argv, cwd=tmp_path, config=settings)
    assert static.stdout == "ran\n"
    with pytest.raises(Exception, match="refused to run generated code") as caught:
        await gate.tool("demo", argv, cwd=tmp_path, config=settings, runs_generated_code=True)
    assert "namespaces" in str(caught.value)
    relaxed = config.GateConfig(package="p", app=None, openapi=None, isolation="best-effort")
    ran = await gate.tool("demo", argv, cwd=tmp_path, config=relaxed, runs_generated_code=True)
    assert ran.stdout == "ran\n" and not ran.network_isolated


def test_an_unknown_policy_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match=r"GateConfig.isolation='sometimes'"):
        config.GateConfig(package="p", app=None, openapi=None, isolation="sometimes")  # type: ignore[arg-type]


def test_the_record_names_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    record = runner.isolation_record("best-effort")
    assert record["policy"] == "best-effort" and record["contained"] is False
    assert record["namespaces"] == "none" and record["missing"]


def test_bwrap_shows_the_system_read_only_and_only_the_named_folders_writable(
    tmp_path: Path,
) -> None:
    work, results = tmp_path / "work", tmp_path / "results"
    argv = bwrap.command(
        ["pytest"], cwd=work, writable=[work, results], readable=[], user_namespace=True
    )
    assert argv[0] == "bwrap" and argv[-2:] == ["--", "pytest"]
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-user", "--die-with-parent"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") : argv.index("--cap-drop") + 2] == ["--cap-drop", "ALL"]
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--bind"]
    assert binds == [str(work), str(results)]
    shown = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--ro-bind"]
    assert "/usr" in shown and not any(path in ("/", "/root", "/home", "/tmp") for path in shown)
    assert argv[argv.index("--tmpfs") + 1] == "/tmp"
    root = bwrap.command(["x"], cwd=work, writable=[work], user_namespace=False)
    assert "--unshare-user" not in root


def test_python_paths_leave_out_the_private_folders() -> None:
    for path in bwrap.python_paths():
        assert path not in (Path("/"), Path("/tmp"), Path("/run"))
        assert not any(path.is_relative_to(kernel) for kernel in ("/proc", "/dev", "/sys"))
    assert Path(sys.base_prefix).resolve() in bwrap.python_paths()


def test_a_python_installed_under_tmp_is_shown_on_top_of_the_empty_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a CI clone's virtualenv under /tmp: the sandbox's own empty /tmp must not hide it
    venv = (tmp_path / "venv").resolve()
    venv.mkdir()
    monkeypatch.setattr(sys, "prefix", str(venv))
    assert venv in bwrap.python_paths()
    argv = bwrap.command(["x"], cwd=tmp_path, writable=[tmp_path], user_namespace=True)
    assert argv.index("--tmpfs") < argv.index(str(venv))
    assert argv[argv.index(str(venv)) - 1] == "--ro-bind"
