"""`make bench`: kodegen and fastapi-code-generator side by side on every shared spec.

    python benchmarks/bench.py [--runs 5] [--specs DIR] [--only STEM ...] [--json PATH]
                               [--peer-venv DIR] [--no-peer]

For every `*.yaml` in `../shared/specs/` (next to the repository), with kodegen's library API,
in this process, median of `--runs`:

    parse     `specs.openapi.parse(document)`
    plan      `views.openapi.context.build(...)`
    render    `templates.render.render(template, plan.context)`, Jinja compile cache cleared
              before each run: what one `kodegen generate` pays
    format    `pipeline.formatting.python(files)` (ruff format + import sorting, a subprocess)
    gen       everything but the gates: `Generator.validate` + `render` + `format` (warm)
    gates     `gates.runner.run_all(project, config)`, GateConfig built by the pipeline itself
              (`Generator.gates`); per gate `GateReport.duration_seconds` (they run in parallel,
              so the total is about the slowest, not the sum)
    e2e       `kodegen.cli.main(["generate", MANIFEST, "--out", DIR])`: manifest read, every
              stage, the summary printed (to a buffer) and the output published
    cmd       `kodegen generate` as a command in a fresh interpreter with the gates stage off
              (`_kodegen_nogates.py`): what compares with the `fastapi-codegen` command
For the Petstore target, also `python -m kodegen.cli generate ...` as a command with every gate
(interpreter start-up and imports included).

The same specs through fastapi-code-generator (`peer.py`, its own venv `.venv-bench`): time of
the `fastapi-codegen` command and of its in-process entry point; does the output import, pass
`ruff check` and `bandit` (medium), carry tests, pass kodegen's contract probe (schemathesis,
25 cases per operation, same checks), and how many of its routes do something.

One table on stdout, targets of DESIGN.md §6 marked met or not (a miss does not fail the run);
progress on stderr; `--json PATH` writes every raw number.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.metadata
import io
import json
import os
import platform
import re
import statistics
import subprocess  # nosec B404: runs kodegen's own CLI for the Petstore target
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import peer  # noqa: E402  (benchmarks/ is not a package)

import kodegen  # noqa: E402
from kodegen import cli, errors  # noqa: E402
from kodegen.api import codegeneration  # noqa: E402
from kodegen.gates import config as gate_config  # noqa: E402
from kodegen.gates import report, runner  # noqa: E402
from kodegen.pipeline import formatting, generate  # noqa: E402
from kodegen.specs import openapi  # noqa: E402
from kodegen.templates import render  # noqa: E402
from kodegen.views.openapi import context as openapi_context  # noqa: E402

T = TypeVar("T")

DEFAULT_SPECS = REPO.parent / "shared" / "specs"
DEFAULT_PEER_VENV = REPO / ".venv-bench"
TEMPLATE = {"family": "python-fastapi-service", "version": "^1.0"}
GATE_NAMES = tuple(name for name, _ in runner.GATES)
PETSTORE = "petstore"

# DESIGN.md §6
TARGET_E2E = 5.0
TARGET_GATES = 2.0
TARGET_RENDER = 0.100


# -- kodegen -----------------------------------------------------------------------------------


@dataclasses.dataclass
class KodegenResult:
    spec: str
    operations: int = 0
    error: str | None = None
    parse: list[float] = dataclasses.field(default_factory=list)
    plan: list[float] = dataclasses.field(default_factory=list)
    render: list[float] = dataclasses.field(default_factory=list)
    """Cold: the template compiled, as in every `kodegen generate`."""
    render_warm: list[float] = dataclasses.field(default_factory=list)
    """Compiled template cached (a long-lived process such as the operator)."""
    format: list[float] = dataclasses.field(default_factory=list)
    generation: list[float] = dataclasses.field(default_factory=list)
    """validate (parse, resolve, variables, plan) + render + format: everything but the gates,
    in this (warm) process, as the peer's in-process figure."""
    gates: list[float] = dataclasses.field(default_factory=list)
    """Wall time of each `run_all`."""
    gate_seconds: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    gates_passed: int = 0
    gates_total: int = 0
    gate_failures: dict[str, str] = dataclasses.field(default_factory=dict)
    coverage: float | None = None
    tests_passed: int | None = None
    contract_cases: int | None = None
    not_implemented: int = 0
    e2e: list[float] = dataclasses.field(default_factory=list)
    e2e_exit_codes: list[int] = dataclasses.field(default_factory=list)
    command: list[float] = dataclasses.field(default_factory=list)
    """`python -m kodegen.cli generate` as a command (Petstore only)."""
    command_exit_codes: list[int] = dataclasses.field(default_factory=list)
    command_nogates: list[float] = dataclasses.field(default_factory=list)
    """The same command with the gates stage off: compares with the `fastapi-codegen` command."""
    command_nogates_exit_codes: list[int] = dataclasses.field(default_factory=list)


class _TimedGates:
    """A `GateRunner` for `Generator.gates`: runs `run_all` `runs` times, timing each, so that
    the project and its GateConfig are exactly those of the pipeline."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.walls: list[float] = []
        self.reports: list[tuple[report.GateReport, ...]] = []

    def __call__(
        self,
        project: Path,
        config: gate_config.GateConfig,
        *,
        progress: runner.Progress | None = None,
    ) -> tuple[report.GateReport, ...]:
        for _ in range(self.runs):
            seconds, reports = _timed(runner.run_all, project, config)
            self.walls.append(seconds)
            self.reports.append(reports)
        return self.reports[-1]


def manifest_for(spec: Path, document: Mapping[str, Any]) -> dict[str, Any]:
    """The CodeGeneration a user would write for `spec` (cf. examples/petstore.yaml)."""
    stem = spec.stem.lower()
    return {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "spec"},
        "spec": {
            "specification": {"type": "openapi", "openapi": {"inline": dict(document)}},
            "template": dict(TEMPLATE),
            "variables": {"packageName": re.sub(r"[^a-z0-9]", "_", stem)},
            "qualityGates": {"minCoverage": 95},
        },
    }


def measure_kodegen(
    spec: Path, runs: int, scratch: Path, log: Callable[[str], None]
) -> KodegenResult:
    result = KodegenResult(spec=spec.stem)
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    raw_manifest = manifest_for(spec, document)
    try:
        cg = codegeneration.CodeGeneration.model_validate(raw_manifest)
        generator = generate.Generator()
        prepared = generator.validate(cg)
    except errors.KodegenError as exc:
        result.error = " ".join(str(exc).split())
        return result
    result.operations = len(prepared.plan.context.get("operations", ()))
    result.not_implemented = len(prepared.plan.not_implemented)
    template, context = prepared.template, prepared.plan.context
    operations = cg.spec.specification.operations

    log("parse, plan, render, format")
    for _ in range(runs):
        result.parse.append(_timed(openapi.parse, document)[0])
        result.plan.append(
            _timed(
                openapi_context.build,
                prepared.spec,
                template,
                prepared.variables,
                operations=operations,
            )[0]
        )
        _clear_render_cache()
        seconds, texts = _timed(render.render, template, context)
        result.render.append(seconds)
        result.render_warm.append(_timed(render.render, template, context)[0])
        rendered = {path: texts[path].encode() for path in sorted(texts)}
        result.format.append(_timed(formatting.python, rendered)[0])
        result.generation.append(_timed(_generation, cg)[0])
    formatted = generator.format(prepared, generator.render(prepared))

    log(f"gates x{runs}")
    timed_gates = _TimedGates(runs)
    generate.Generator(run_gates=timed_gates).gates(prepared, formatted)
    result.gates = timed_gates.walls
    for reports in timed_gates.reports:
        for gate in reports:
            result.gate_seconds.setdefault(gate.name, []).append(gate.duration_seconds)
    last = timed_gates.reports[-1]
    result.gates_total = len(last)
    result.gates_passed = sum(gate.passed for gate in last)
    result.gate_failures = {g.name: g.reason or "failed" for g in last if not g.passed}
    for gate in last:
        if "coverage" in gate.metrics:
            result.coverage = gate.metrics["coverage"]
        if gate.name == "tests" and "passed" in gate.counts:
            result.tests_passed = gate.counts["passed"]
        if gate.name == "contract" and "cases" in gate.counts:
            result.contract_cases = gate.counts["cases"]

    log(f"kodegen generate x{runs} (in-process)")
    manifest_path = scratch / f"{spec.stem}.yaml"
    manifest_path.write_text(yaml.safe_dump(raw_manifest, sort_keys=False), encoding="utf-8")
    for run in range(runs):
        out = scratch / f"{spec.stem}-e2e-{run}"
        seconds, code = _timed(_cli, ["generate", str(manifest_path), "--out", str(out)])
        result.e2e.append(seconds)
        result.e2e_exit_codes.append(code)

    log(f"kodegen generate x{runs} (as a command, gates off)")
    nogates = [sys.executable, str(HERE / "_kodegen_nogates.py"), str(manifest_path)]
    for run in range(runs):
        seconds, code = _command([*nogates, str(scratch / f"{spec.stem}-nogates-{run}")])
        result.command_nogates.append(seconds)
        result.command_nogates_exit_codes.append(code)

    if spec.stem == PETSTORE:
        log(f"kodegen generate x{runs} (as a command)")
        command = [sys.executable, "-m", "kodegen.cli", "generate", str(manifest_path), "--out"]
        for run in range(runs):
            seconds, code = _command([*command, str(scratch / f"{spec.stem}-command-{run}")])
            result.command.append(seconds)
            result.command_exit_codes.append(code)
    return result


def _command(argv: list[str]) -> tuple[float, int]:
    """Wall time and exit status of a kodegen command in a fresh interpreter."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)  # nosec B603: fixed argv
    return time.perf_counter() - started, done.returncode


def _generation(cg: codegeneration.CodeGeneration) -> None:
    """Every stage before the gates, from a fresh Generator (template compile cache warm)."""
    generator = generate.Generator()
    prepared = generator.validate(cg)
    generator.format(prepared, generator.render(prepared))


def _clear_render_cache() -> None:
    compiled = getattr(render, "_compiled", None)
    clear = getattr(compiled, "cache_clear", None)
    if callable(clear):
        clear()


def _cli(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(argv)


def _timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - started, value


# -- the table ---------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _ms(values: Sequence[float]) -> str:
    value = _median(values)
    return "-" if value is None else f"{value * 1000:.0f}"


def _s(values: Sequence[float]) -> str:
    value = _median(values)
    return "-" if value is None else f"{value:.2f}"


Group = tuple[str, list[str]]
"""A titled group of columns: (title, column names)."""


def table(
    kodegen_results: Sequence[KodegenResult],
    peer_results: Mapping[str, peer.PeerResult],
    runs: int,
) -> list[str]:
    """The one table: a row per spec, columns in titled groups separated by `|`."""
    short = {"security": "secur", "secrets": "secrt", "contract": "contr"}
    groups: list[Group] = [
        ("", ["spec", "ops"]),
        (f"kodegen ms (p50 of {runs})", ["parse", "plan", "render", "format", "gen"]),
        ("kodegen s", [*(short.get(name, name) for name in GATE_NAMES), "gates", "e2e", "cmd"]),
        ("kodegen output", ["gates", "cov %", "tests", "n/impl"]),
        (f"fastapi-codegen (p50 of {runs})", ["cmd s", "in-proc ms", "import", "ruff",
                                              "bandit", "tests", "schemathesis", "impl"]),
    ]  # fmt: skip
    rows = [[[k.spec, str(k.operations)], *_kodegen_cells(k), _peer_cells(peer_results, k.spec)]
            for k in kodegen_results]  # fmt: skip
    widths = [
        [max(len(cells[g][c]) for cells in [[names for _, names in groups], *rows])
         for c in range(len(names))]
        for g, (_, names) in enumerate(groups)
    ]  # fmt: skip

    def line(cells: Sequence[Sequence[str]]) -> str:
        parts = []
        for g, group in enumerate(cells):
            texts = [
                cell.ljust(widths[g][c]) if g == 0 and c == 0 else cell.rjust(widths[g][c])
                for c, cell in enumerate(group)
            ]
            parts.append(" ".join(texts))
        return " | ".join(parts).rstrip()

    spans = [sum(w) + len(w) - 1 for w in widths]
    titles = " | ".join(title.ljust(span) for (title, _), span in zip(groups, spans, strict=True))
    header = line([names for _, names in groups])
    return [titles.rstrip(), header, "-" * len(header), *(line(row) for row in rows)]


def _kodegen_cells(k: KodegenResult) -> list[list[str]]:
    if k.error:
        return [[f"error: {k.error}", "", "", "", ""], [""] * (len(GATE_NAMES) + 3), [""] * 4]
    times = [_ms(k.parse), _ms(k.plan), _ms(k.render), _ms(k.format), _ms(k.generation)]
    e2e = _s(k.e2e) + ("" if all(code == 0 for code in k.e2e_exit_codes) else "!")
    cmd = _s(k.command_nogates) + ("" if all(c == 0 for c in k.command_nogates_exit_codes) else "!")
    gates = [*(_s(k.gate_seconds.get(name, [])) for name in GATE_NAMES), _s(k.gates), e2e, cmd]
    output = [
        f"{k.gates_passed}/{k.gates_total}",
        "-" if k.coverage is None else f"{k.coverage:.1f}",
        "-" if k.tests_passed is None else str(k.tests_passed),
        str(k.not_implemented),
    ]
    return [times, gates, output]


def _peer_cells(results: Mapping[str, peer.PeerResult], spec: str) -> list[str]:
    result = results.get(spec)
    if result is None:
        return ["-", "-", "-", "-", "-", "-", "skipped", "-"]
    if not result.generated:
        return [_s(result.seconds), "-", "-", "-", "-", "-", "failed", "-"]
    if result.ruff_findings is None:
        ruff = "?"
    elif result.ruff_findings == 0:
        ruff = "pass"
    else:
        ruff = f"{result.ruff_findings} ({result.ruff_pyflakes} F)"
    if result.bandit_issues is None:
        bandit = "?"
    else:
        bandit = "pass" if result.bandit_issues == 0 else str(result.bandit_issues)
    if not result.imports:
        contract = "n/a"
    elif result.contract_fatal:
        contract = "no load"
    else:
        failures = (result.contract_failures or 0) + (result.contract_errors or 0)
        contract = "pass" if failures == 0 else f"{failures} fail"
    routes = result.routes or 0
    return [
        _s(result.seconds),
        _ms(result.inprocess_seconds),
        "yes" if result.imports else "NO",
        ruff,
        bandit,
        str(result.test_files),
        contract,
        f"{routes - (result.stubs or 0)}/{routes}",
    ]


LEGEND = (
    "kodegen: render = template render incl. Jinja compile (cold, as in one `kodegen generate`); "
    "gen = validate+render+format, i.e. everything but the gates, in a warm process (compare "
    "with the peer's in-proc); syntax..contr = each gate's GateReport.duration_seconds (the six "
    "run in parallel); gates = wall time of run_all; e2e = `kodegen generate` via cli.main "
    "in-process, all gates, output published; cmd = `kodegen generate` as a fresh command with "
    "the gates stage off (compare with the peer's cmd); '!' = a run exited != 0; "
    "output: gates passed, line coverage, tests passed in the generated suite, operations listed "
    "as not implemented (they answer spec-conformant samples, marked for the AI layer).",
    "fastapi-codegen: cmd = `fastapi-codegen --input SPEC --output DIR/app` wall time; "
    "in-proc = its invoke_main() in a warm process; import = `import app.main`; "
    "ruff = `ruff check --isolated` findings (ruff's defaults, as kodegen's style gate applies "
    "to a project without config; F = the pyflakes ones among them); bandit = issues >= medium; "
    "tests = test_*.py files; schemathesis = kodegen's contract probe (25 cases/op, same checks) "
    "run with the peer's interpreter: failing operation/check pairs, n/a when the app does not "
    "import; impl = routes whose handler does more than `pass`.",
)


def legend() -> list[str]:
    return [
        line
        for paragraph in LEGEND
        for line in textwrap.wrap(paragraph, width=100, subsequent_indent="  ")
    ]


# -- targets -----------------------------------------------------------------------------------


def targets(
    kodegen_results: Sequence[KodegenResult], peer_results: Mapping[str, peer.PeerResult]
) -> tuple[list[str], dict[str, Any]]:
    lines = ["Targets (DESIGN.md §6):"]
    verdicts: dict[str, Any] = {}

    def verdict(key: str, met: bool | str | None, text: str) -> None:
        marks: dict[bool | str | None, str] = {True: "met", False: "NOT MET", None: "n/a"}
        mark = marks.get(met, str(met)).ljust(7)
        lines.append(f"  [{mark}] {text}")
        verdicts[key] = {"met": met, "detail": text}

    measured = [k for k in kodegen_results if k.render]
    if measured:
        slowest = max(measured, key=lambda k: _median(k.render) or 0.0)
        worst = _median(slowest.render) or 0.0
        verdict(
            "render",
            worst <= TARGET_RENDER,
            f"render <= {TARGET_RENDER * 1000:.0f} ms per spec: slowest {slowest.spec} "
            f"{worst * 1000:.0f} ms (cold; {_ms(slowest.render_warm)} ms with the compiled "
            "template cached)",
        )
    pet = next((k for k in kodegen_results if k.spec == PETSTORE and k.e2e), None)
    if pet is None:
        verdict("petstore_e2e", None, f"Petstore e2e p50 <= {TARGET_E2E:.0f} s: no {PETSTORE}.yaml")
        verdict("petstore_gates", None, f"Petstore gates <= {TARGET_GATES:.0f} s: not measured")
    else:
        e2e = _median(pet.e2e) or 0.0
        command = _median(pet.command)
        ok = all(code == 0 for code in pet.e2e_exit_codes + pet.command_exit_codes)
        worst = max(e2e, command or 0.0)
        detail = f"{e2e:.2f} s in-process (cli.main)"
        if command is not None:
            detail += f", {command:.2f} s as a command (python -m kodegen.cli, start-up included)"
        if not ok:
            detail += "; a run did not exit 0"
        verdict(
            "petstore_e2e",
            worst <= TARGET_E2E and ok,
            f"Petstore e2e p50 <= {TARGET_E2E:.0f} s with all gates: {detail}",
        )
        gates = _median(pet.gates) or 0.0
        by_gate = sorted(
            ((name, _median(values) or 0.0) for name, values in pet.gate_seconds.items()),
            key=lambda item: -item[1],
        )
        top = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in by_gate[:3])
        verdict(
            "petstore_gates",
            gates <= TARGET_GATES,
            f"Petstore gates alone <= {TARGET_GATES:.0f} s: {gates:.2f} s (slowest: {top})",
        )

    pairs = [
        (k, peer_results[k.spec])
        for k in measured
        if k.spec in peer_results and peer_results[k.spec].seconds and k.command_nogates
    ]
    if pairs:
        commands = [(_median(k.command_nogates) or 0.0, p.median or 0.0) for k, p in pairs]
        slower = [k.spec for (k, _), (ours, theirs) in zip(pairs, commands, strict=True)
                  if ours > theirs]  # fmt: skip
        detail = (
            "as commands, gates off vs fastapi-codegen: "
            f"kodegen takes {_span([ours / theirs for ours, theirs in commands], '.2f')} its time"
            + (f" (slower on {', '.join(slower)})" if slower else "")
        )
        warm = [(_median(k.generation), p.inprocess_median) for k, p in pairs]
        warm_ratios = [ours / theirs for ours, theirs in warm if ours and theirs]
        if warm_ratios:
            detail += f"; in a warm process: {_span(warm_ratios, '.1f')}"
        e2e_ratio = [(_median(k.e2e) or 0.0) / (p.median or 1.0) for k, p in pairs if k.e2e]
        if e2e_ratio:
            detail += f"; with all six gates (e2e): {_span(e2e_ratio, '.1f')} its command"
        verdict("as_fast_as_peer", not slower, f"at least as fast as fastapi-codegen: {detail}")

    if measured:
        total = len(kodegen_results)
        every_gate = sum(1 for k in measured if k.gates_total and k.gates_passed == k.gates_total)
        implemented = sum(k.operations - k.not_implemented for k in measured)
        operations = sum(k.operations for k in measured)
        generated = [p for p in peer_results.values() if p.generated]
        routes = sum(p.routes or 0 for p in generated)
        stubs = sum(p.stubs or 0 for p in generated)
        runs_detail = f"kodegen: {every_gate}/{total} specs pass all six gates"
        if peer_results:
            imports = sum(1 for p in generated if p.imports)
            contract = sum(
                1
                for p in generated
                if p.imports
                and not p.contract_fatal
                and (p.contract_failures or 0) + (p.contract_errors or 0) == 0
            )
            tested = sum(1 for p in generated if p.test_files)
            clean = sum(1 for p in generated if p.ruff_findings == 0 and p.bandit_issues == 0)
            runs_detail += (
                f"; fastapi-codegen: {imports}/{len(peer_results)} import, "
                f"{contract}/{len(peer_results)} pass schemathesis, "
                f"{tested}/{len(peer_results)} have tests, {clean}/{len(peer_results)} pass "
                "ruff and bandit"
            )
        verdict(
            "runs_tested_gates",
            every_gate == total,
            f"output that runs, is tested and passes every gate: {runs_detail}",
        )
        implemented_detail = (
            f"kodegen: {implemented}/{operations} operations implemented (CRUD inferred); the "
            f"other {operations - implemented} answer spec-conformant samples and are listed as "
            "not implemented"
        )
        if peer_results:
            implemented_detail += f"; fastapi-codegen: {routes - stubs}/{routes} routes do anything"
        full = implemented == operations
        verdict(
            "implemented",
            True if full else ("partly" if implemented > routes - stubs else False),
            f"output that is implemented: {implemented_detail}",
        )
    return lines, verdicts


def _span(values: Sequence[float], spec: str) -> str:
    low, high = format(min(values), spec), format(max(values), spec)
    return f"{low}x" if low == high else f"{low}x-{high}x"


# -- machine -----------------------------------------------------------------------------------


def machine(peer_versions: Mapping[str, str], load: Sequence[float]) -> str:
    """One line: cores, CPU, OS, Python, load average when the run began, tool versions."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    parts = [
        f"machine: {usable} usable cores (of {os.cpu_count()}), {cpu}",
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        "load avg at the start " + " ".join(f"{value:.2f}" for value in load),
        f"kodegen {kodegen.__version__}{_revision()} (fastapi {_version('fastapi')}, "
        f"schemathesis {_version('schemathesis')}, ruff {_version('ruff')})",
    ]
    if peer_versions:
        versions = ", ".join(f"{name} {version}" for name, version in peer_versions.items())
        parts.append(f"peer venv: {versions}")
    return "; ".join(parts)


def _revision() -> str:
    """` @ <commit>`, `+dirty` when kodegen's code or templates differ from it; "" without git."""
    try:
        head = subprocess.run(  # nosec B603 B607: fixed argv
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        dirty = subprocess.run(  # nosec B603 B607: fixed argv
            ["git", "status", "--porcelain", "--", "operator", "templates"],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
    except OSError:
        return ""
    if head.returncode != 0:
        return ""
    return f" @ {head.stdout.strip()}" + ("+dirty" if dirty.stdout.strip() else "")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


# -- main --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of *.yaml specs")
    parser.add_argument(
        "--only", action="append", metavar="STEM", help="only this spec (repeatable)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every raw number here")
    parser.add_argument(
        "--peer-venv", type=Path, default=DEFAULT_PEER_VENV, help="fastapi-codegen's venv"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip fastapi-codegen")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    specs = sorted(args.specs.glob("*.yaml"))
    if args.only:
        specs = [spec for spec in specs if spec.stem in args.only]
    if not specs:
        parser.error(f"no specs to benchmark in {args.specs}")

    started = time.perf_counter()
    load_at_start = os.getloadavg()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    the_peer: peer.Peer | None = None
    peer_versions: dict[str, str] = {}
    if not args.no_peer:
        the_peer = peer.Peer(args.peer_venv.absolute())
        the_peer.ensure(log)
        peer_versions = the_peer.versions()

    kodegen_results: list[KodegenResult] = []
    peer_results: dict[str, peer.PeerResult] = {}
    with tempfile.TemporaryDirectory(prefix="kodegen-bench-") as scratch:
        for spec in specs:
            log(f"kodegen {spec.name}")
            try:
                measured = measure_kodegen(spec, args.runs, Path(scratch), lambda m: log(f"  {m}"))
            except Exception as exc:  # a bug in kodegen: reported in the table, the run goes on
                measured = KodegenResult(spec=spec.stem, error=f"{type(exc).__name__}: {exc}")
                log(f"  failed: {measured.error}")
            kodegen_results.append(measured)
    if the_peer is not None:
        for spec in specs:
            log(f"fastapi-codegen {spec.name}")
            peer_results[spec.stem] = the_peer.measure(spec, args.runs)
    elapsed = time.perf_counter() - started

    target_lines, verdicts = targets(kodegen_results, peer_results)
    machine_line = machine(peer_versions, load_at_start)
    lines = [
        machine_line,
        *table(kodegen_results, peer_results, args.runs),
        "",
        *legend(),
        "",
        *target_lines,
    ]
    lines += _problems(kodegen_results, peer_results)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    lines.append(
        f"benchmark wall time: {elapsed:.0f} s ({args.runs} run(s) per measurement); "
        f"load avg at the end {load}"
    )
    print("\n".join(lines))

    if args.json is not None:
        data = {
            "machine": machine_line,
            "runs": args.runs,
            "wall_seconds": elapsed,
            "kodegen": [dataclasses.asdict(k) for k in kodegen_results],
            "fastapi_codegen": [dataclasses.asdict(p) for p in peer_results.values()],
            "targets": verdicts,
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


def _problems(
    kodegen_results: Sequence[KodegenResult], peer_results: Mapping[str, peer.PeerResult]
) -> list[str]:
    """Why a kodegen gate failed, and what broke in fastapi-codegen's output, one line each."""
    lines: list[str] = []
    for k in kodegen_results:
        for gate, reason in k.gate_failures.items():
            lines.append(f"  kodegen {k.spec}: gate {gate} failed: {reason}")
    for p in peer_results.values():
        if p.import_error:
            lines.append(f"  fastapi-codegen {p.spec}: import fails: {p.import_error}")
        if p.contract_fatal:
            lines.append(f"  fastapi-codegen {p.spec}: schemathesis: {p.contract_fatal}")
        for finding in p.contract_findings[:5]:
            lines.append(f"  fastapi-codegen {p.spec}: schemathesis: {finding}")
        if len(p.contract_findings) > 5:
            lines.append(f"  fastapi-codegen {p.spec}: ... {len(p.contract_findings) - 5} more")
    return ["", "Problems:", *lines] if lines else []


if __name__ == "__main__":
    sys.exit(main())
