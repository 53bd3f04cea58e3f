"""`make bench` (part): kodegen and fastapi-code-generator side by side on the corpus's OpenAPI
specs (`../shared/specs/corpus/openapi/`, with `--kinds` also `swagger2/`).

    python benchmarks/versus.py [--corpus DIR] [--kinds openapi ...] [--only SUBSTRING]
                                [--jobs 2] [--timeout 90] [--peer-venv DIR] [--json PATH]

Per spec, each tool in its own process with a time limit (`--timeout` seconds each; `--jobs`
specs at once):

    kodegen   `_versus_kodegen.py`: the CodeGeneration `corpus.py` builds, every stage and all
              six gates (`Generator.run`), published to a scratch folder
    fcg       `fastapi-codegen --input SPEC --output app` (pinned in requirements-peer.txt, its
              own venv `.venv-bench`, as `peer.py`); a folder's entry document by `corpus.entry`

and then, judged the same way for both:

    gen s     generation time: kodegen's stages but gates and provenance (parse .. format, in
              its process); the `fastapi-codegen` command's wall time
    imports   does the generated app import (`python -c "import <app module>"`, each tool's own
              interpreter, in a fresh process)
    tests     test files in the output, and for kodegen whether they pass (its tests gate;
              fastapi-codegen writes none)
    static    kodegen's four static gates (syntax, style: ruff check + format, security: bandit,
              secrets: detect-secrets) passed, of 4; on fcg's output run by kodegen's own gate code
    all       kodegen's six gates (static + tests with coverage + contract)
    impl      operations implemented / operations: kodegen's plan (not-implemented ones answer
              sample data); fcg's routes whose handler does more than `pass`

One table on stdout; progress on stderr; `--json PATH` writes every row. Without the corpus
folder, one line says so and nothing runs (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import json
import os
import signal
import statistics
import subprocess  # nosec B404: fixed argv, no shell
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (benchmarks/ is not a package)
import peer  # noqa: E402

from kodegen.gates import config as gate_config  # noqa: E402
from kodegen.gates import runner  # noqa: E402

STATIC = ("syntax", "style", "security", "secrets")
"""kodegen's gates that judge code without running it: what applies to fcg's output too."""

DEFAULT_KINDS = ("openapi",)


@dataclasses.dataclass
class Side:
    """What one tool did with one spec."""

    result: str = "-"
    """kodegen: passed, gates failed, refused, crashed, timeout; fcg: generated, failed, timeout."""
    reason: str = ""
    generation_seconds: float | None = None
    seconds: float | None = None
    imports: bool | None = None
    import_error: str = ""
    test_files: int = 0
    tests_pass: bool | None = None
    static_passed: int | None = None
    static_failures: list[str] = dataclasses.field(default_factory=list)
    all_passed: int | None = None
    implemented: int | None = None
    total: int | None = None


@dataclasses.dataclass
class Row:
    spec: str
    kodegen: Side = dataclasses.field(default_factory=Side)
    fcg: Side = dataclasses.field(default_factory=Side)


# -- kodegen ------------------------------------------------------------------------------------


def run_kodegen(spec: Path, scratch: Path, timeout: float) -> Side:
    side = Side()
    out = scratch / "kodegen"
    argv = [sys.executable, str(HERE / "_versus_kodegen.py"), str(spec), str(out)]
    code, stdout, stderr, seconds = _bounded(argv, cwd=scratch, timeout=timeout)
    side.seconds = seconds
    if code is None:
        side.result, side.reason = "timeout", f"over {timeout:g} s"
        return side
    try:
        data: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        side.result, side.reason = "crashed", _last(stderr) or f"exit status {code}"
        return side
    side.result, side.reason = data["result"], data.get("reason", "")
    if side.result not in ("passed", "gates failed"):
        return side
    gates: dict[str, bool] = data["gates"]
    side.generation_seconds = data["generation_seconds"]
    side.static_passed = sum(1 for name in STATIC if gates.get(name))
    side.static_failures = [
        f"{name}: {data['gate_reasons'].get(name) or 'failed'}"
        for name in STATIC
        if not gates.get(name)
    ]
    side.all_passed = sum(1 for passed in gates.values() if passed)
    side.test_files = data["test_files"]
    side.tests_pass = gates.get("tests")
    side.implemented, side.total = data["implemented"], data["total"]
    if data.get("app"):
        side.imports, side.import_error = _imports(sys.executable, data["app"], out, timeout)
    return side


# -- fastapi-code-generator ---------------------------------------------------------------------


def run_fcg(the_peer: peer.Peer, spec: Path, scratch: Path, timeout: float) -> Side:
    side = Side()
    entry = corpus.entry(spec) if spec.is_dir() else spec
    project = scratch / "fcg"
    argv = [str(the_peer.codegen), "--input", str(entry), "--output", str(project / "app")]
    code, _, stderr, seconds = _bounded(argv, cwd=scratch, timeout=timeout, peer_env=True)
    side.seconds = side.generation_seconds = seconds
    if code is None:
        side.result, side.reason = "timeout", f"over {timeout:g} s"
        return side
    if code != 0 or not (project / "app" / "main.py").is_file():
        side.result, side.reason = "failed", _last(stderr) or f"exit status {code}"
        return side
    side.result = "generated"
    side.imports, side.import_error = _imports(str(the_peer.python), "app.main", project, timeout)
    side.test_files = sum(1 for p in project.rglob("*.py") if peer._is_test(p.name))
    reports = asyncio.run(_static_gates(project, timeout))
    side.static_passed = sum(1 for r in reports if r.passed)
    side.static_failures = [f"{r.name}: {r.reason or 'failed'}" for r in reports if not r.passed]
    routes, stubs = peer._stubs(project / "app")
    side.implemented, side.total = routes - stubs, routes
    return side


async def _static_gates(project: Path, timeout: float) -> tuple[Any, ...]:
    config = gate_config.GateConfig(
        package="app", app=None, openapi=None, contract=False, timeout_seconds=timeout
    )
    static = [(name, function) for name, function in runner.GATES if name in STATIC]
    return await runner.run_gates(project, config, gates=static)


# -- processes ----------------------------------------------------------------------------------


def _bounded(
    argv: list[str], *, cwd: Path, timeout: float, peer_env: bool = False
) -> tuple[int | None, str, str, float]:
    """(exit code or None on timeout, stdout, stderr, seconds); on timeout the whole process
    group is killed (the gates' own processes included)."""
    cwd.mkdir(parents=True, exist_ok=True)
    env = peer._environment(cwd) if peer_env else None
    started = time.perf_counter()
    process = subprocess.Popen(  # nosec B603: fixed argv, no shell
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, "", "", time.perf_counter() - started
    return process.returncode, stdout, stderr, time.perf_counter() - started


def _imports(python: str, module: str, cwd: Path, timeout: float) -> tuple[bool, str]:
    code = "import importlib, sys; importlib.import_module(sys.argv[1])"
    argv = [python, "-c", code, module]
    done, _, stderr, _ = _bounded(argv, cwd=cwd, timeout=timeout, peer_env=True)
    if done is None:
        return False, f"import timed out after {timeout:g} s"
    return done == 0, "" if done == 0 else (_last(stderr) or f"exit status {done}")


def _last(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


# -- one spec, all specs ------------------------------------------------------------------------


def measure(spec: Path, root: Path, the_peer: peer.Peer, timeout: float) -> Row:
    row = Row(spec=f"{spec.parent.name}/{spec.name}{'/' if spec.is_dir() else ''}")
    with tempfile.TemporaryDirectory(prefix="versus-", dir=root) as scratch:
        row.kodegen = run_kodegen(spec, Path(scratch), timeout)
        row.fcg = run_fcg(the_peer, spec, Path(scratch), timeout)
    return row


# -- report -------------------------------------------------------------------------------------


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| spec | kodegen | gen s k / f | imports k / f | tests k / f | static gates k / f "
        "| all 6 k | implemented k / f |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        k, f = row.kodegen, row.fcg
        lines.append(
            f"| {row.spec} | {k.result} | {_s(k.generation_seconds)} / {_s(f.generation_seconds)}"
            f"{'' if f.result == 'generated' else ' (' + f.result + ')'} "
            f"| {_yes(k.imports)} / {_yes(f.imports)} | {_tests(k)} / {_tests(f)} "
            f"| {_of(k.static_passed, 4)} / {_of(f.static_passed, 4)} | {_of(k.all_passed, 6)} "
            f"| {_of(k.implemented, k.total)} / {_of(f.implemented, f.total)} |"
        )
    return lines


def totals(rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
    def of(side: str) -> dict[str, Any]:
        sides: list[Side] = [getattr(row, side) for row in rows]
        generated = [
            s for s in sides if s.generation_seconds is not None and s.static_passed is not None
        ]
        implemented = sum(s.implemented or 0 for s in sides)
        total = sum(s.total or 0 for s in sides)
        times = [s.generation_seconds for s in generated if s.generation_seconds is not None]
        return {
            "specs": len(sides),
            "generated": len(generated),
            "imports": sum(1 for s in sides if s.imports),
            "with_tests": sum(1 for s in sides if s.test_files),
            "tests_pass": sum(1 for s in sides if s.tests_pass),
            "static_all_4": sum(1 for s in sides if s.static_passed == 4),
            "all_6": sum(1 for s in sides if s.all_passed == 6),
            "implemented": implemented,
            "operations": total,
            "implemented_percent": round(100 * implemented / total, 1) if total else None,
            "median_generation_seconds": round(statistics.median(times), 2) if times else None,
            "timeouts": sum(1 for s in sides if s.result == "timeout"),
        }

    return {"kodegen": of("kodegen"), "fastapi-codegen": of("fcg")}


def summary_lines(rows: Sequence[Row]) -> list[str]:
    t = totals(rows)
    lines = []
    for name, v in t.items():
        lines.append(
            f"{name}: {v['generated']}/{v['specs']} generated, {v['imports']} import, "
            f"{v['with_tests']} with tests ({v['tests_pass']} passing), static gates all passed "
            f"on {v['static_all_4']}, all six on {v['all_6']}; operations implemented "
            f"{v['implemented']}/{v['operations']} ({v['implemented_percent']}%); median "
            f"generation {v['median_generation_seconds']} s; {v['timeouts']} timeout(s)"
        )
    return lines


def problems(rows: Sequence[Row]) -> list[str]:
    lines: list[str] = []
    for row in rows:
        for name, side in (("kodegen", row.kodegen), ("fastapi-codegen", row.fcg)):
            if side.reason:
                lines.append(f"  {name} {row.spec}: {side.result}: {side.reason[:200]}")
            if side.import_error:
                lines.append(f"  {name} {row.spec}: import fails: {side.import_error}")
            for failure in side.static_failures:
                lines.append(f"  {name} {row.spec}: gate {failure[:200]}")
    return ["", "Problems:", *lines] if lines else []


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _yes(value: bool | None) -> str:
    return {None: "-", True: "yes", False: "NO"}[value]


def _tests(side: Side) -> str:
    if side.static_passed is None:
        return "-"
    if not side.test_files:
        return "none"
    return (
        f"{side.test_files} {'pass' if side.tests_pass else 'FAIL'}"
        if side.tests_pass is not None
        else str(side.test_files)
    )


def _of(value: int | None, total: int | None) -> str:
    return "-" if value is None or total is None else f"{value}/{total}"


# -- main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=corpus.DEFAULT_CORPUS)
    parser.add_argument(
        "--kinds", nargs="+", default=list(DEFAULT_KINDS), choices=("openapi", "swagger2")
    )
    parser.add_argument("--only", default="", help="only specs whose path contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per tool per spec")
    parser.add_argument("--peer-venv", type=Path, default=HERE.parent / ".venv-bench")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every row here")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(
            f"versus: no corpus at {args.corpus}: kodegen vs fastapi-code-generator skipped "
            "(it runs when ../shared/specs/corpus/ is beside the repository)"
        )
        return 0
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    the_peer = peer.Peer(args.peer_venv.absolute())
    the_peer.ensure(log)
    versions = the_peer.versions()
    peer.TIMEOUT = args.timeout
    chosen = [
        spec
        for spec in corpus.specs(args.corpus)
        if spec.parent.name in args.kinds and args.only in str(spec.relative_to(args.corpus))
    ]
    rows: dict[Path, Row] = {}
    with (
        tempfile.TemporaryDirectory(prefix="kodegen-versus-") as root,
        concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool,
    ):
        futures = {
            pool.submit(measure, spec, Path(root), the_peer, args.timeout): spec for spec in chosen
        }
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows[futures[future]] = row
            log(
                f"[{len(rows)}/{len(chosen)}] {row.spec}: kodegen {row.kodegen.result}, "
                f"fastapi-codegen {row.fcg.result}"
            )
    ordered = [rows[spec] for spec in chosen]
    elapsed = time.perf_counter() - started
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    peers = ", ".join(f"{name} {version}" for name, version in versions.items())
    lines = [
        f"kodegen vs fastapi-code-generator on {len(ordered)} corpus specs "
        f"({', '.join(args.kinds)}); peer venv: {peers}",
        *table(ordered),
        "",
        *summary_lines(ordered),
        *problems(ordered),
        f"wall time {elapsed:.0f} s, {args.jobs} job(s), {args.timeout:g} s limit per tool per "
        f"spec; load avg at the end {load}",
    ]
    print("\n".join(lines))
    if args.json is not None:
        data = {
            "rows": [dataclasses.asdict(row) for row in ordered],
            "totals": totals(ordered),
            "versions": versions,
            "wall_seconds": elapsed,
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
