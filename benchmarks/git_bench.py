"""Time publishing the Petstore to Git, against real servers on 127.0.0.1.

    .venv/bin/python benchmarks/git_bench.py [--runs N]

Generates examples/petstore.yaml once (every gate), then times, each N times on a fresh
repository: a push to `git daemon`; the same push again (no change: no commit); a push over
`git http-backend` with a token; `mode: pullRequest` (branch + a pull request on a server
speaking Gitea's API, tests/forgeservers.py); and the drift check after a hand edit, then the
restore. Prints the median seconds of each; run from the repository root.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "operator"), str(ROOT)]

from tests import forgeservers, gitservers  # noqa: E402

from kodegen.api import codegeneration  # noqa: E402
from kodegen.controller import names  # noqa: E402
from kodegen.outputs import git, gitdrift  # noqa: E402
from kodegen.pipeline import generate, manifest  # noqa: E402
from kodegen.templates import git as git_source  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cg = manifest.load(ROOT / "examples" / "petstore.yaml")
    started = time.perf_counter()
    result = generate.Generator().run(cg)
    print(f"generate (all gates): {time.perf_counter() - started:.2f} s, passed={result.passed}")
    template = result.prepared.template
    about = git.About(
        cg.metadata.name,
        "default",
        template.spec.family,
        template.spec.version,
        names.input_hash(cg.spec, template.digest),
    )
    files, token = result.files, git_source.Credentials(token=gitservers.TOKEN)
    timings: dict[str, list[float]] = {}

    def timed(name: str, action: Callable[[], object]) -> None:
        started = time.perf_counter()
        action()
        timings.setdefault(name, []).append(time.perf_counter() - started)

    for _ in range(runs):
        _one_run(files, about, token, timed)
    print(f"{len(files)} files; median of {runs} runs:")
    for name, seconds in timings.items():
        print(f"  {name:36} {statistics.median(seconds):6.2f} s")
    return 0


def _one_run(
    files: Mapping[str, bytes],
    about: git.About,
    token: git_source.Credentials,
    timed: Callable[[str, Callable[[], object]], None],
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        repository = gitservers.bare(root / "team")
        gitservers.seed(repository, {"README.md": "team repo\n"})
        with (
            gitservers.Daemon(root) as url_of,
            gitservers.SmartHttp(root) as http,
            forgeservers.Forge("gitea", repository, token=gitservers.TOKEN) as forge,
        ):
            daemon = _output(url_of("team/r.git"), path="services/petstore")
            timed("push (git daemon)", lambda: git.publish(files, daemon, about))
            timed("push again, unchanged", lambda: git.publish(files, daemon, about))
            published = gitservers.git("rev-parse", "main", cwd=repository)
            gitservers.seed(repository, {"services/petstore/README.md": "edited\n"})
            found: list[gitdrift.Drift | None] = []
            timed("drift check", lambda: found.append(git.drift(daemon, published)))
            drift = found[0]
            assert drift is not None
            timed("restore", lambda: git.restore(daemon, drift, about))
            options = git.Options(credentials=token)
            over_http = _output(http.url("team/r.git"), path="services/other")
            timed(
                "push (http-backend, token)", lambda: git.publish(files, over_http, about, options)
            )
            pull = _output(
                http.url("team/r.git"),
                path="services/pr",
                mode="pullRequest",
                pullRequest={"provider": "gitea", "apiURL": forge.api_url},
            )
            timed(
                "pull request (branch + Gitea API)",
                lambda: git.publish(files, pull, about, options),
            )


def _output(url: str, **extra: object) -> codegeneration.GitOutput:
    return codegeneration.GitOutput.model_validate({"url": url, "branch": "main", **extra})


if __name__ == "__main__":
    raise SystemExit(main())
