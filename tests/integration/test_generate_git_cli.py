"""End to end: `kodegen generate MANIFEST` (no --out) publishes the Petstore to the manifest's
`spec.output.git`, every gate included, in a subprocess: push mode to `git daemon`, then a
re-run that changes nothing; pull-request mode to `git http-backend` (token auth from
`KODEGEN_OUTPUT_GIT_TOKEN`) with a Gitea-speaking forge on 127.0.0.1. Wall times are printed
(`-s`) for the report."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests import forgeservers, gitservers

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "petstore.yaml"

pytestmark = pytest.mark.slow


def kodegen(*argv: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KODEGEN_OUTPUT_GIT_")},
        "PYTHONPATH": os.pathsep.join([str(ROOT / "operator"), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "kodegen.cli", *map(str, argv)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def manifest(folder: Path, git: dict[str, Any]) -> Path:
    body = yaml.safe_load(EXAMPLE.read_text())
    body["spec"]["output"] = {"git": git}
    path = folder / "petstore-git.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    root = tmp_path / "served"
    repository = gitservers.bare(root / "team")
    gitservers.seed(repository, {"README.md": "team repo\n"})
    yield root, repository


def test_push_then_a_rerun_is_a_no_op(tmp_path: Path, served: tuple[Path, Path]) -> None:
    root, repository = served
    with gitservers.Daemon(root) as url_of:
        path = manifest(
            tmp_path, {"url": url_of("team/r.git"), "branch": "main", "path": "services/petstore"}
        )
        started = time.perf_counter()
        first = kodegen("generate", path, cwd=tmp_path)
        elapsed = time.perf_counter() - started
        assert first.returncode == 0, first.stdout + first.stderr
        head = gitservers.git("rev-parse", "main", cwd=repository)
        assert f"published to {url_of('team/r.git')} branch main at {head[:12]}" in first.stdout
        files = gitservers.tree(repository)
        assert files["README.md"] == b"team repo\n"
        assert "services/petstore/.kodegen/provenance.json" in files
        assert "services/petstore/pyproject.toml" in files

        again = kodegen("generate", path, cwd=tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "unchanged on" in again.stdout
        assert gitservers.git("rev-parse", "main", cwd=repository) == head
    print(f"\npetstore generate + push to git daemon: {elapsed:.1f} s")


def test_pull_request_mode_with_a_token(tmp_path: Path, served: tuple[Path, Path]) -> None:
    root, repository = served
    with (
        gitservers.SmartHttp(root) as http,
        forgeservers.Forge("gitea", repository, token=gitservers.TOKEN) as forge,
    ):
        path = manifest(
            tmp_path,
            {
                "url": http.url("team/r.git"),
                "branch": "main",
                "path": "services/petstore",
                "mode": "pullRequest",
                "pullRequest": {"provider": "gitea", "apiURL": forge.api_url},
            },
        )
        started = time.perf_counter()
        done = kodegen("generate", path, cwd=tmp_path, KODEGEN_OUTPUT_GIT_TOKEN=gitservers.TOKEN)
        elapsed = time.perf_counter() - started
        assert done.returncode == 0, done.stdout + done.stderr
        (pull,) = forge.pulls
        assert pull["head"].startswith("kodegen/petstore-api-") and pull["base"] == "main"
        assert f"pull request {forge.base}/team/r/pulls/1 (open)" in done.stdout
        assert gitservers.TOKEN not in done.stdout + done.stderr
        assert "services/petstore/app" not in str(gitservers.tree(repository, "main"))
    print(f"\npetstore generate + push + pull request: {elapsed:.1f} s")


def test_without_out_or_git_is_one_line_exit_2(tmp_path: Path) -> None:
    done = kodegen("generate", EXAMPLE, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "spec.output.git" in done.stderr and "--out DIR" in done.stderr
