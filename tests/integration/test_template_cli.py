"""`kodegen template new` then `kodegen template test`, through every real gate: the scaffold
passes out of the box, from its folder and from a Git repository (a manifest with a git
source, as a template repo's CI or a platform team would write it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kodegen import cli

pytestmark = pytest.mark.slow


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_new_template_passes_its_test(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "template", "new", "orders", "--out", tmp_path)[0] == 0
    code, out, err = run(capsys, "template", "test", tmp_path / "orders" / "1.0.0")
    assert (code, err) == (0, "")
    assert "orders@1.0.0 (folder) sha256:" in out
    assert "hello" in out and "passed" in out and "100.0 %" in out
    assert "1 test(s) passed: orders@1.0.0 would be Ready" in out


def test_a_template_from_git(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    assert run(capsys, "template", "new", "orders", "--out", repo / "templates")[0] == 0
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "orders 1.0.0", cwd=repo)
    git("tag", "orders-1.0.0", cwd=repo)
    sha = git("rev-parse", "HEAD", cwd=repo)
    manifest = tmp_path / "orders.yaml"
    code, _, _ = run(
        capsys,
        "template",
        "manifest",
        repo / "templates" / "orders" / "1.0.0",
        "--kind",
        "CodeTemplate",
        "--source",
        "git",
        "--git-url",
        repo.as_uri(),
        "--git-ref",
        "orders-1.0.0",
        "--git-path",
        "templates/orders/1.0.0",
        "--out",
        manifest,
    )
    assert code == 0
    code, out, err = run(capsys, "template", "test", manifest)
    assert (code, err) == (0, "")
    assert f"orders@1.0.0 (git at commit {sha})" in out
    assert "1 test(s) passed" in out
