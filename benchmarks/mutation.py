"""Mutation testing of the modules that decide outcomes, one module at a time, with mutmut.

    python benchmarks/mutation.py run [--changed] [--jobs N] [TARGET ...]
    python benchmarks/mutation.py report [--markdown FILE]

`run` mutates each module of `MODULES` (or only the TARGETs: module paths such as
`kodegen/ai/redact.py` or package folders such as `kodegen/ai`; `--changed`: only the modules
changed since the merge base with `main`) and runs, for each mutant, only the unit tests of that
module (`tests_for`): a mutant is judged by the fast tier that owns the rule. `report` prints
killed/survived/timeout per module and every survivor with its diff, leaving out the mutants
that `docs/mutation-equivalents.md` lists as equivalent (with the reason).

Why a wrapper: mutmut names a mutant after its file path relative to the working folder and
matches that name with the function's `__module__` at run time, so the package must sit at the
top of the folder mutmut runs in (`kodegen/...`), not under `operator/`. Each module therefore
gets a scratch folder `build/mutation/work/<module>/` holding a copy of `operator/kodegen`, links
to `tests/` and `templates/`, and a `pyproject.toml` made of the project's pytest settings and
its `[tool.mutmut]` table plus the module and its tests. Results are kept as JSON in
`build/mutation/results/`, one file per module, so a partial run still reports what it did.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

ROOT = Path(os.environ.get("KODEGEN_MUTATION_ROOT") or Path(__file__).resolve().parents[1])
"""The checkout to mutate; another one (e.g. an export of main, for a baseline) through the
environment variable `KODEGEN_MUTATION_ROOT`."""
SOURCE = ROOT / "operator"
BUILD = ROOT / "build" / "mutation"
EQUIVALENTS = ROOT / "docs" / "mutation-equivalents.md"

MODULES: tuple[str, ...] = (
    # the rules the issue names first: planted one-line bugs there survived the whole suite
    "kodegen/ai/redact.py",
    "kodegen/ai/budget.py",
    "kodegen/controller/names.py",
    "kodegen/gates/tests.py",
    "kodegen/templates/filters.py",
    "kodegen/views/openapi/pyview.py",
    # ai: redaction, budget, breaker, retry, router, protocol
    "kodegen/ai/breaker.py",
    "kodegen/ai/retry.py",
    "kodegen/ai/router.py",
    "kodegen/ai/protocol.py",
    # controller: names and hashes, conditions, slots, reconcile decisions
    "kodegen/controller/conditions.py",
    "kodegen/controller/slots.py",
    "kodegen/controller/reconcile.py",
    # gates: every pass/fail decision (sandbox.py is the process boundary, tested by its probes;
    # the two probes run in a subprocess, out of mutmut's reach)
    "kodegen/gates/gate.py",
    "kodegen/gates/report.py",
    "kodegen/gates/config.py",
    "kodegen/gates/syntax.py",
    "kodegen/gates/style.py",
    "kodegen/gates/security.py",
    "kodegen/gates/secrets.py",
    "kodegen/gates/contract.py",
    "kodegen/gates/graphql_contract.py",
    "kodegen/gates/runner.py",
    # templates: filters (above), versions, variables, render
    "kodegen/templates/versions.py",
    "kodegen/templates/variables.py",
    "kodegen/templates/render.py",
    # view builders: naming, escaping, status choice
    "kodegen/views/openapi/routes.py",
    "kodegen/views/openapi/pymodels.py",
    "kodegen/views/graphql/naming.py",
    # outputs: chunking, layout
    "kodegen/outputs/configmap_layout.py",
    "kodegen/outputs/directory.py",
)
"""Every module `make mutate` mutates, in the order it runs them."""

_G = "tests/unit/gates/"
_T = "tests/unit/templates/"
_TESTS: Mapping[str, tuple[str, ...]] = {
    "kodegen/controller/slots.py": ("tests/unit/controller",),
    # the decisions of reconcile.py: the main ones, and stalled runs, uncontained runs, runs
    # published to Git, passes that repeat (each a file of its own)
    "kodegen/controller/reconcile.py": (
        "tests/unit/controller/test_reconcile_decisions.py",
        "tests/unit/controller/test_reconcile_outcomes.py",
        "tests/unit/controller/test_stalled.py",
        "tests/unit/controller/test_uncontained.py",
        "tests/unit/controller/test_git_output_runs.py",
        "tests/unit/controller/test_idempotent_runs.py",
    ),
    "kodegen/ai/budget.py": (
        "tests/unit/ai/test_pricing.py",
        "tests/unit/ai/test_budget_mutants.py",
    ),
    "kodegen/ai/router.py": (
        "tests/unit/ai/test_router.py",
        "tests/unit/ai/test_router_mutants.py",
        "tests/unit/ai/test_hygiene.py",  # keys kept out of prompts, caches and transcripts
    ),
    "kodegen/gates/gate.py": (_G + "test_gate.py", _G + "test_rules_gate.py"),
    "kodegen/gates/report.py": (_G + "test_report.py",),
    "kodegen/gates/config.py": (_G + "test_config.py", _G + "test_rules_gate.py"),
    "kodegen/gates/syntax.py": (_G + "test_static_gates.py", _G + "test_rules_syntax.py"),
    "kodegen/gates/style.py": (_G + "test_static_gates.py", _G + "test_rules_style.py"),
    "kodegen/gates/security.py": (_G + "test_static_gates.py", _G + "test_rules_security.py"),
    "kodegen/gates/secrets.py": (
        _G + "test_static_gates.py",
        _G + "test_spec_aware.py",
        _G + "test_rules_secrets.py",
    ),
    "kodegen/gates/tests.py": (_G + "test_tests_gate.py", _G + "test_rules_tests.py"),
    "kodegen/gates/contract.py": (
        _G + "test_contract_gate.py",
        _G + "test_spec_aware.py",
        _G + "test_rules_contract.py",
    ),
    "kodegen/gates/graphql_contract.py": (_G + "test_rules_contract.py",),
    "kodegen/gates/runner.py": (_G + "test_runner.py", _G + "test_rules_runner.py"),
    # the filters' own tests, and the templates tests that render with them (the view builders'
    # tests use them too, but a filter's rule is proven at the filter)
    "kodegen/templates/filters.py": (
        _T + "test_filters.py",
        _T + "test_filters_mutants.py",
        _T + "test_context_filters.py",
        _T + "test_render.py",
        _T + "test_sandbox.py",
        _T + "test_spec_text.py",
    ),
    "kodegen/templates/versions.py": ("tests/unit/templates/test_versions.py",),
    "kodegen/templates/variables.py": ("tests/unit/templates/test_variables.py",),
    "kodegen/templates/render.py": ("tests/unit/templates/test_render.py",),
    "kodegen/outputs/configmap_layout.py": (
        "tests/unit/outputs/test_configmaps.py",
        "tests/unit/outputs/test_configmaps_mutants.py",
    ),
    "kodegen/outputs/directory.py": (
        "tests/unit/outputs/test_directory.py",
        "tests/unit/outputs/test_ownership.py",  # what publish may replace
    ),
}
"""Unit tests judging a module, where not simply `tests/unit/<package>/test_<module>*.py`."""

_BESIDE = ("templates", "examples", "deploy", "crds", "charts")
"""Folders of the repository that unit tests read (found from their own path)."""

_KILLED = {"killed", "caught by type check"}
_TIMEOUT = {"timeout", "segfault"}
_NOT_KILLED = {"survived", "no tests"}


def tests_for(module: str) -> list[str]:
    """The unit test files (or folders) whose tests may kill the mutants of `module`."""
    if module in _TESTS:
        candidates = list(_TESTS[module])
    else:  # kodegen/ai/redact.py -> tests/unit/ai/test_redact*.py; kodegen/views/openapi/
        # pyview.py -> tests/unit/views/test_pyview*.py or test_openapi_pyview*.py
        top, package, stem = Path(module).parts[1], Path(module).parent.name, Path(module).stem
        folder = Path("tests/unit", top)
        found = {
            path.relative_to(ROOT).as_posix()
            for pattern in (f"test_{stem}*.py", f"test_{package}_{stem}*.py")
            for path in (ROOT / folder).glob(pattern)
        }
        candidates = sorted(found) or [folder.as_posix()]
    return [name for name in candidates if (ROOT / name).exists()]


def changed_modules(base: str = "main") -> list[str]:
    """The modules of `MODULES` changed since the merge base with `base` (committed or not)."""
    merge_base = _git("merge-base", "HEAD", base).strip()
    names = set(_git("diff", "--name-only", merge_base, "--", "operator/kodegen").split())
    names |= set(_git("ls-files", "--others", "--exclude-standard", "operator/kodegen").split())
    changed = {name.removeprefix("operator/") for name in names}
    return [module for module in MODULES if module in changed]


def select(targets: Sequence[str]) -> list[str]:
    """`MODULES` restricted to the given module paths or package folders, in `MODULES` order."""
    wanted = [target.removeprefix("operator/").rstrip("/") for target in targets]
    unknown = [
        target for target in wanted if not any(_matches(module, target) for module in MODULES)
    ]
    if unknown:
        raise SystemExit(f"mutation: not a mutated module or package: {', '.join(unknown)}")
    return [module for module in MODULES if any(_matches(module, target) for target in wanted)]


def _matches(module: str, target: str) -> bool:
    return module == target or module.startswith(target + "/")


@dataclasses.dataclass(frozen=True)
class Survivor:
    name: str
    status: str
    diff: str


def run_module(module: str, *, jobs: int, since: Path | None = None) -> dict[str, object]:
    """Mutate `module`, run its unit tests against every mutant, and store the result.

    `since`: another checkout (e.g. an export of main) whose results for the same source are
    kept for the mutants they killed; only the others run again. Tests only ever get added to
    a module's selection, so a mutant killed then is killed now.
    """
    tests = tests_for(module)
    if not tests:  # mutmut would otherwise run every test of the project against each mutant
        print(f"== {module}: no unit tests yet, left out", flush=True)
        return {}
    earlier = _earlier(since, module) if since is not None else {}
    again = sorted(name for name, status in earlier.items() if status not in _KILLED | _TIMEOUT)
    scratch = BUILD / "work" / module.removesuffix(".py").replace("/", ".")
    _prepare(scratch, module, tests)
    started = datetime.datetime.now(datetime.UTC)
    what = f"{len(again)} mutants not killed in {since}" if earlier else "mutants"
    print(f"== {module}: {what} judged by {' '.join(tests)}", flush=True)
    log = BUILD / "logs" / f"{scratch.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if earlier and not again:
        returncode = 0
    else:
        mutmut = Path(sys.executable).with_name("mutmut")
        with log.open("w", encoding="utf-8") as output:  # a file: mutmut outlives its caller
            returncode = subprocess.run(
                [str(mutmut), "run", "--max-children", str(jobs), *again],
                cwd=scratch,
                check=False,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_bounded,
            ).returncode
    if returncode != 0 or not (_statuses(scratch, module) or earlier):
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-15:])
        print(f"mutation: mutmut failed on {module} (log: {log}):\n{tail}", flush=True)
        return {}
    seconds = (datetime.datetime.now(datetime.UTC) - started).total_seconds()
    return collect(module, seconds=seconds, earlier=earlier)


MEMORY_BYTES = 4 * 1024**3
"""Address space of mutmut and of each mutant it forks: a mutant that loops appending to a
list (seen: `index += 1` mutated away in a parser) is stopped at 4 GiB, not by the kernel's
OOM killer on a shared machine; mutmut counts it as killed by a signal."""


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _earlier(since: Path, module: str) -> dict[str, str]:
    """The statuses `since`'s results give `module`, if its source there is the same as here."""
    result = since / "build" / "mutation" / "results" / _result_path(module).name
    theirs, ours = since / "operator" / module, SOURCE / module
    if not result.is_file() or not theirs.is_file() or theirs.read_bytes() != ours.read_bytes():
        return {}
    statuses: dict[str, str] = json.loads(result.read_text(encoding="utf-8"))["statuses"]
    return statuses


def collect(
    module: str, *, seconds: float | None = None, earlier: Mapping[str, str] | None = None
) -> dict[str, object]:
    """Store the result of the last mutmut run on `module` (also after an interrupted `run`),
    over the `earlier` statuses of the mutants it did not run."""
    scratch = BUILD / "work" / module.removesuffix(".py").replace("/", ".")
    now = _statuses(scratch, module)
    statuses = {
        **(earlier or {}),
        **{name: status for name, status in now.items() if status != "not checked"},
    }
    if not statuses:
        print(f"mutation: no mutmut results for {module} in {scratch}", flush=True)
        return {}
    names = [name for name, status in sorted(statuses.items()) if status in _NOT_KILLED]
    diffs = _diffs(scratch, names)
    survivors = [
        dataclasses.asdict(Survivor(name, statuses[name], diffs.get(name, ""))) for name in names
    ]
    result: dict[str, object] = {
        "module": module,
        "tests": tests_for(module),
        "commit": _git("rev-parse", "HEAD").strip(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seconds": None if seconds is None else round(seconds, 1),
        "statuses": dict(sorted(statuses.items())),
        "survivors": survivors,
    }
    path = _result_path(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def _prepare(scratch: Path, module: str, tests: Sequence[str]) -> None:
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    shutil.copytree(
        SOURCE / "kodegen", scratch / "kodegen", ignore=shutil.ignore_patterns("__pycache__")
    )
    # What the tests read beside the package; mutmut copies each into its `mutants/` folder,
    # where the tests run (`also_copy`), and the builtin templates are found beside `kodegen/`.
    beside = [name for name in _BESIDE if (ROOT / name).exists()]
    for name in ("tests", *beside):
        (scratch / name).symlink_to(ROOT / name, target_is_directory=(ROOT / name).is_dir())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = project["tool"]["pytest"]["ini_options"]
    mutmut_options = {
        **project["tool"].get("mutmut", {}),
        "source_paths": ["kodegen"],
        "only_mutate": [module],
        "pytest_add_cli_args_test_selection": list(tests),
        "also_copy": [*project["tool"].get("mutmut", {}).get("also_copy", []), *beside],
    }
    text = _toml_table("tool.pytest.ini_options", pytest_options)
    text += "\n" + _toml_table("tool.mutmut", mutmut_options)
    (scratch / "pyproject.toml").write_text(text, encoding="utf-8")


def _toml_table(name: str, values: Mapping[str, object]) -> str:
    # JSON strings, numbers, booleans and arrays of them are valid TOML values.
    lines = [f"[{name}]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def _statuses(scratch: Path, module: str) -> dict[str, str]:
    meta = scratch / "mutants" / f"{module}.meta"
    if not meta.is_file():
        return {}
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    from mutmut import stats  # the exit-code meanings are mutmut's own

    return {name: str(stats.status_by_exit_code[code]) for name, code in codes.items()}


_SHOW = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
print(json.dumps({name: get_diff_for_mutant(name) for name in json.loads(sys.stdin.read())}))
"""


def _diffs(scratch: Path, names: Sequence[str]) -> dict[str, str]:
    """The diff of each mutant, as `mutmut show` prints it (one process for all of them)."""
    if not names:
        return {}
    shown = subprocess.run(
        [sys.executable, "-c", _SHOW],
        cwd=scratch,
        input=json.dumps(list(names)),
        check=False,
        capture_output=True,
        text=True,
    )
    if shown.returncode == 0:
        diffs: dict[str, str] = json.loads(shown.stdout)
        return diffs
    mutmut = Path(sys.executable).with_name("mutmut")  # mutmut's own command, one by one
    found = {}
    for name in names:
        one = subprocess.run(
            [str(mutmut), "show", name], cwd=scratch, check=False, capture_output=True, text=True
        )
        lines = one.stdout.splitlines()
        found[name] = "\n".join(line for line in lines if not line.startswith("# ")).strip()
    return found


def _result_path(module: str, build: Path | None = None) -> Path:
    name = module.removesuffix(".py").replace("/", ".") + ".json"
    return (build or BUILD) / "results" / name


def equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Mutant name -> why it is equivalent, from the list's lines ``- `name`: reason``."""
    if not path.is_file():
        return {}
    found = re.findall(r"^- `([^`]+)`: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return dict(found)


def load_results(
    modules: Iterable[str] = MODULES, build: Path | None = None
) -> list[dict[str, object]]:
    results = []
    for module in modules:
        path = _result_path(module, build)
        if path.is_file():
            results.append(json.loads(path.read_text(encoding="utf-8")))
    return results


def table(results: Sequence[Mapping[str, object]], equivalent: Mapping[str, str]) -> str:
    """The per-module table, as Markdown."""
    rows = [
        "| module | mutants | killed | timeout | survived | no tests | not run | equivalent "
        "| killed % of non-equivalent |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        statuses: Mapping[str, str] = result["statuses"]  # type: ignore[assignment]
        counts = _counts(statuses, equivalent)
        relevant = counts["mutants"] - counts["equivalent"] - counts["other"]  # of those run
        caught = counts["killed"] + counts["timeout"]
        percent = f"{100.0 * caught / relevant:.1f}" if relevant else "n/a"
        rows.append(
            f"| {result['module']} | {counts['mutants']} | {counts['killed']} "
            f"| {counts['timeout']} | {counts['survived']} | {counts['no tests']} "
            f"| {counts['other']} | {counts['equivalent']} | {percent} |"
        )
    return "\n".join(rows) + "\n"


def _counts(statuses: Mapping[str, str], equivalent: Mapping[str, str]) -> dict[str, int]:
    counts = dict.fromkeys(
        ("mutants", "killed", "timeout", "survived", "no tests", "equivalent", "other"), 0
    )
    for name, status in statuses.items():
        counts["mutants"] += 1
        if status in _NOT_KILLED and name in equivalent:
            counts["equivalent"] += 1
        elif status in _KILLED:
            counts["killed"] += 1
        elif status in _TIMEOUT:
            counts["timeout"] += 1
        elif status in _NOT_KILLED:
            counts[status] += 1
        else:
            counts["other"] += 1
    return counts


def compare(
    before: Sequence[Mapping[str, object]],
    after: Sequence[Mapping[str, object]],
    equivalent: Mapping[str, str],
) -> str:
    """Before and after, side by side, for the modules measured before."""
    rows = [
        "| module | mutants | before: killed + timeout / survived / no tests / not run | before % "
        "| after: killed + timeout / survived / no tests / equivalent | after % |",
        "| --- | ---: | --- | ---: | --- | ---: |",
    ]
    later = {str(result["module"]): result for result in after}
    for result in before:
        counts = _counts(result["statuses"], {})  # type: ignore[arg-type]
        ran = counts["mutants"] - counts["other"]
        caught = counts["killed"] + counts["timeout"]
        cells = [
            f"{result['module']}",
            f"{counts['mutants']}",
            f"{caught} / {counts['survived']} / {counts['no tests']} / {counts['other']}",
            f"{100.0 * caught / ran:.1f}" if ran else "n/a",
        ]
        if str(result["module"]) in later:
            now = _counts(later[str(result["module"])]["statuses"], equivalent)  # type: ignore[arg-type]
            relevant = now["mutants"] - now["equivalent"] - now["other"]
            got = now["killed"] + now["timeout"]
            cells.append(f"{got} / {now['survived']} / {now['no tests']} / {now['equivalent']}")
            cells.append(f"{100.0 * got / relevant:.1f}" if relevant else "n/a")
        else:
            cells += ["not measured", "-"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def survivors_text(results: Sequence[Mapping[str, object]], equivalent: Mapping[str, str]) -> str:
    """Every surviving mutant not listed as equivalent, with its diff."""
    parts = []
    for result in results:
        for survivor in result["survivors"]:  # type: ignore[attr-defined]
            if survivor["name"] in equivalent:
                continue
            title = f"### {survivor['name']} ({survivor['status']})"
            parts.append(f"{title}\n\n```diff\n{survivor['diff']}\n```\n")
    return "\n".join(parts)


def stale_equivalents(
    results: Sequence[Mapping[str, object]], equivalent: Mapping[str, str]
) -> list[str]:
    """Listed equivalents that no longer survive (killed, renamed, or gone): review the list."""
    surviving = {
        name
        for result in results
        for name, status in result["statuses"].items()  # type: ignore[attr-defined]
        if status in _NOT_KILLED
    }
    measured = {str(result["module"]).removesuffix(".py").replace("/", ".") for result in results}
    return sorted(
        name
        for name in equivalent
        if name not in surviving and any(name.startswith(prefix + ".") for prefix in measured)
    )


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="mutate modules and run their unit tests")
    run.add_argument("targets", nargs="*", help="module paths or package folders (default: all)")
    run.add_argument("--changed", action="store_true", help="only modules changed since main")
    run.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel mutants")
    run.add_argument(
        "--since",
        type=Path,
        help="a checkout with results for the same sources: rerun only what it did not kill",
    )
    versus = commands.add_parser("compare", help="before (another checkout) and after, per module")
    versus.add_argument("before", type=Path, help="the other checkout (e.g. an export of main)")
    gather = commands.add_parser("collect", help="store the results a run left behind")
    gather.add_argument("targets", nargs="+", help="module paths or package folders")
    show = commands.add_parser("report", help="table per module and surviving mutants")
    show.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)

    if args.command == "run":
        modules = select(args.targets) if args.targets else list(MODULES)
        if args.changed:
            changed = set(changed_modules())
            modules = [module for module in modules if module in changed]
            if not modules:
                print("mutation: no mutated module changed since the merge base with main")
        for module in modules:
            run_module(module, jobs=args.jobs, since=args.since)
        results = load_results(modules)
    elif args.command == "compare":
        before = load_results(build=args.before.resolve() / "build" / "mutation")
        print(compare(before, load_results(), equivalents()))
        return 0
    elif args.command == "collect":
        for module in select(args.targets):
            collect(module)
        results = load_results(select(args.targets))
    else:
        results = load_results()
    equivalent = equivalents()
    text = "## Mutation testing\n\n" + table(results, equivalent)
    stale = stale_equivalents(results, equivalent)
    if stale:
        text += "\nListed as equivalent but no longer surviving: " + ", ".join(stale) + "\n"
    survivors = survivors_text(results, equivalent)
    text += "\n## Surviving mutants\n\n" + (survivors or "none\n")
    print(text)
    if args.command == "report" and args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
