"""`make corpus`: every real public spec in `../shared/specs/corpus/` through kodegen, every gate.

    python benchmarks/corpus.py [--corpus DIR] [--only SUBSTRING] [--jobs N] [--twice] [-o json]
                                [--findings DIR]

Each spec becomes the CodeGeneration a user would write, by its folder: `openapi/` and
`swagger2/` -> `type: openapi` with `python-fastapi-service` (Swagger 2.0 goes in as it is:
kodegen's answer today is the result), `graphql/` -> `python-graphql-service`, `jsonschema/` ->
`python-pydantic-models`. `Generator.run` runs it in a worker process (parse, plan, render,
format, all gates, provenance); nothing is written into the repository (the gates use their own
temporary folders). `--twice` runs each generating spec a second time and compares every output
byte. Progress goes to stderr; the table (or, with `-o json`, every row) to stdout.

Results: `passed` (every gate), `gates failed` (output made, some gate failed), `refused` (one
`KodegenError`: the input is refused with a reason; or the harness found no single entry
document in a folder), `crashed` (any other exception, or `UnexpectedInputError`, which is
kodegen's one-line report of its own bug).

Multi-file specs (a folder): GraphQL SDL has no includes, so a folder's schema is every
`.graphql`/`.graphqls`/`.gql` file in it joined in path order. Otherwise the entry document is
found by rule (`entry`): the folder's single top-level document; else the single top-level one
named like a root (openapi, swagger, schema, index, main, api); else, among the documents of the
whole tree (nested folders too), the single one no other document `$ref`s; else (several roots:
a folder of separate APIs sharing definitions) the root that reaches the most other documents
through `$ref`s, the larger file on a tie. The entry is read as `kodegen generate` reads a
`file:` spec: relative `$ref`s resolved from the spec's folder (never outside it), remote ones
refused unless allowed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import re
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "specs" / "corpus"

TEMPLATES = {
    "openapi": ("openapi", "python-fastapi-service"),
    "swagger2": ("openapi", "python-fastapi-service"),
    "graphql": ("graphql", "python-graphql-service"),
    "jsonschema": ("jsonSchema", "python-pydantic-models"),
}
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")
SDL_SUFFIXES = (".graphql", ".graphqls", ".gql")
ROOT_NAMES = ("openapi", "swagger", "schema", "index", "main", "api")


class NoEntry(Exception):
    """A folder with no single entry document (several roots, or none)."""


@dataclasses.dataclass
class Row:
    spec: str
    type: str
    result: str = "crashed"
    reason: str = ""
    failing_gates: list[str] = dataclasses.field(default_factory=list)
    implemented: int = 0
    total: int = 0
    seconds: float = 0.0
    identical: bool | None = None
    """Byte-identical output on a second run (`--twice`); None when not checked."""
    stage_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    """Seconds per pipeline stage (parse ... gates, provenance) of the first run."""
    gate_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    """Wall seconds per gate (they run concurrently, so they overlap) of the first run."""
    cpu_seconds: float = 0.0
    """CPU seconds of the first run, kodegen's and its gate processes': what the machine's
    other load does not change (wall seconds do). A process inside bubblewrap's pid namespace
    is not counted: run with `KODEGEN_SANDBOX_NAMESPACES=off` to count every gate."""


# -- the corpus --------------------------------------------------------------------------------


def specs(corpus: Path) -> list[Path]:
    """Every spec: each file or folder directly under a known type folder, in path order."""
    found: list[Path] = []
    for kind in sorted(TEMPLATES):
        folder = corpus / kind
        if folder.is_dir():
            found.extend(sorted(p for p in folder.iterdir() if not p.name.startswith(".")))
    return found


def entry(folder: Path) -> Path:
    """The entry document of a multi-file spec folder (rule in the module docstring)."""
    top = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in DOCUMENT_SUFFIXES)
    if len(top) == 1:
        return top[0]
    named = [p for p in top if p.name.split(".")[0].lower() in ROOT_NAMES]
    if len(named) == 1:
        return named[0]
    documents = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix in DOCUMENT_SUFFIXES
    )
    refers = {p: _refers(p, folder) for p in documents}
    roots = [p for p in documents if not any(o != p and p in refers[o] for o in documents)]
    if len(roots) == 1:
        return roots[0]
    reach = {p: _reach(p, refers) for p in roots}
    best = max(roots, key=lambda p: (reach[p], p.stat().st_size), default=None)
    if best is None or reach[best] == 0:
        raise NoEntry(
            f"{folder.name}/: no single entry document ({len(top)} top-level documents, "
            f"{len(roots)} documents no other refers to, none referring to another)"
        )
    return best


_REF = re.compile(r"""["']?\$ref["']?\s*:\s*["']?([^"'#\s}]+)""")


def _refers(document: Path, folder: Path) -> set[Path]:
    """The documents of `folder` that `document` `$ref`s by relative path."""
    text = document.read_text(encoding="utf-8", errors="replace")
    found = set()
    for reference in _REF.findall(text):
        if "://" in reference:
            continue
        target = (document.parent / reference).resolve()
        if target.is_file() and target.is_relative_to(folder.resolve()):
            found.add(target)
    return {p for p in folder.rglob("*") if p.resolve() in found}


def _reach(root: Path, refers: dict[Path, set[Path]]) -> int:
    """How many other documents `root` reaches through references."""
    seen, todo = {root}, [root]
    while todo:
        for other in refers.get(todo.pop(), set()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return len(seen) - 1


def source(spec: Path, kind: str) -> tuple[str, bytes]:
    """(name for messages, content) of the document kodegen is given for `spec`."""
    if kind == "graphql" and spec.is_dir():
        parts = sorted(p for p in spec.rglob("*") if p.is_file() and p.suffix in SDL_SUFFIXES)
        return spec.name + "/", b"\n".join(p.read_bytes() for p in parts)
    document = entry(spec) if spec.is_dir() else spec
    return str(document.relative_to(spec.parent)), document.read_bytes()


def manifest(spec: Path, kind: str, name: str, content: bytes) -> dict[str, Any]:
    """The CodeGeneration for `spec` (cf. examples/*.yaml)."""

    spec_type, family = TEMPLATES[kind]
    stem = re.sub(r"[^a-z0-9]+", "_", spec.name.split(".")[0].lower()).strip("_") or "spec"
    if spec_type == "graphql":
        specification: dict[str, Any] = {"graphql": {"schema": content.decode("utf-8-sig")}}
    else:
        key = "jsonSchema" if spec_type == "jsonSchema" else "openapi"
        specification = {key: {"inline": _bundled(spec, name)}}
    return {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": stem.replace("_", "-")},
        "spec": {
            "specification": {"type": spec_type, **specification},
            "template": {"family": family, "version": "^1.0"},
            "variables": {"packageName": stem if stem[0].isalpha() else "p_" + stem},
        },
    }


def _bundled(spec: Path, name: str) -> dict[str, Any]:
    """The document `name` (relative to the spec's parent folder) with the files it refers to
    inlined, read as the CLI reads a `file:` spec: from the spec's own folder (the folder of a
    multi-file spec, else the file's folder), nothing outside it, no remote fetches."""
    from kodegen.documents import sources
    from kodegen.specs import inlining

    root = spec if spec.is_dir() else spec.parent
    inside = name.split("/", 1)[1] if spec.is_dir() else name
    return inlining.document(sources.Folder(root, label=spec.name if spec.is_dir() else ""), inside)


# -- one spec (in a worker process) ------------------------------------------------------------


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_one(spec: Path, twice: bool, findings: Path | None = None) -> Row:
    from kodegen import errors
    from kodegen.api import codegeneration
    from kodegen.cli import summary
    from kodegen.pipeline import generate

    kind = spec.parent.name
    row = Row(spec=f"{kind}/{spec.name}{'/' if spec.is_dir() else ''}", type=kind)
    start, cpu = time.perf_counter(), _cpu()
    try:
        name, content = source(spec, kind)
        raw = manifest(spec, kind, name, content)
        cg = codegeneration.CodeGeneration.model_validate(raw)
        result = generate.Generator().run(cg)
    except errors.UnexpectedInputError as exc:  # a bug in kodegen, reported in one line
        row.result = "crashed"
        row.reason = f"{exc} | {_where(exc.exception)}"
    except (errors.KodegenError, NoEntry) as exc:
        row.result, row.reason = "refused", str(exc)
    except Exception as exc:  # any other exception is the finding: a crash
        row.result = "crashed"
        row.reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        row.reason += " | " + _where(exc)
    else:
        row.result = "passed" if result.passed else "gates failed"
        row.failing_gates = [gate.name for gate in result.gates if not gate.passed]
        row.implemented, row.total = summary.operations(result.prepared)
        if findings is not None:
            _keep(findings / row.spec.strip("/").replace("/", "__"), result)
        row.stage_seconds = {stage: round(t, 2) for stage, t in result.timings.items()}
        row.gate_seconds = {gate.name: round(gate.duration_seconds, 2) for gate in result.gates}
        row.cpu_seconds = round(_cpu() - cpu, 2)
        if twice:
            again = generate.Generator().run(cg)
            row.identical = dict(again.files) == dict(result.files)
    row.seconds = time.perf_counter() - start
    return row


def _keep(folder: Path, result: Any) -> None:
    """Write the generated files and every gate's findings (`findings.json`) under `folder`."""
    for name, content in result.files.items():
        target = folder / "output" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    gates = [
        {
            "name": gate.name,
            "passed": gate.passed,
            "reason": gate.reason,
            "findings": [finding.to_dict() for finding in gate.findings],
        }
        for gate in result.gates
    ]
    (folder / "findings.json").write_text(json.dumps(gates, indent=2), encoding="utf-8")


def _where(exc: BaseException) -> str:
    """The innermost frame of the traceback: file:line in function."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


# -- report ------------------------------------------------------------------------------------


def totals(rows: Sequence[Row]) -> dict[str, Any]:
    seconds = [row.seconds for row in rows]
    cpus = [row.cpu_seconds for row in rows if row.cpu_seconds]
    implemented = sum(row.implemented for row in rows)
    total = sum(row.total for row in rows)
    counts = {kind: sum(row.result == kind for row in rows) for kind in _RESULTS}
    return {
        "specs": len(rows),
        **counts,
        "operations_implemented": implemented,
        "operations_total": total,
        "implemented_percent": round(100 * implemented / total, 1) if total else None,
        "median_seconds": round(statistics.median(seconds), 1) if seconds else None,
        "max_seconds": round(max(seconds), 1) if seconds else None,
        "median_cpu_seconds": round(statistics.median(cpus), 1) if cpus else None,
        "max_cpu_seconds": round(max(cpus), 1) if cpus else None,
        "not_identical": [row.spec for row in rows if row.identical is False],
    }


_RESULTS = ("passed", "gates failed", "refused", "crashed")


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| spec | type | result | failing gates / reason | ops impl/total | s | rerun |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        detail = ", ".join(row.failing_gates) if row.failing_gates else row.reason
        detail = " ".join(detail.split()).replace("|", "\\|")
        if len(detail) > 160:
            detail = detail[:157] + "..."
        ops = f"{row.implemented}/{row.total}" if row.total else "-"
        rerun = {None: "", True: "same", False: "DIFFERS"}[row.identical]
        lines.append(
            f"| {row.spec} | {row.type} | {row.result} | {detail} | {ops} | "
            f"{row.seconds:.1f} | {rerun} |"
        )
    t = totals(rows)
    lines.append("")
    lines.append(
        f"{t['specs']} specs: {t['passed']} passed, {t['gates failed']} gates failed, "
        f"{t['refused']} refused, {t['crashed']} crashed; operations implemented "
        f"{t['operations_implemented']}/{t['operations_total']} "
        f"({t['implemented_percent']}%); seconds median {t['median_seconds']}, "
        f"max {t['max_seconds']}"
        + (
            f"; output differs on re-run: {', '.join(t['not_identical'])}"
            if t["not_identical"]
            else ""
        )
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", default="", help="only specs whose path contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--twice", action="store_true", help="re-run and compare every byte")
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")
    parser.add_argument(
        "--findings",
        type=Path,
        default=None,
        help="write each spec's output and gate findings under this folder",
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus: {args.corpus} is absent; nothing to run", file=sys.stderr)
        return 2
    chosen = [s for s in specs(args.corpus) if args.only in str(s.relative_to(args.corpus))]
    rows: dict[Path, Row] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_one, spec, args.twice, args.findings): spec for spec in chosen}
        for future in concurrent.futures.as_completed(futures):
            spec = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # the worker itself died
                row = Row(spec=spec.name, type=spec.parent.name, reason=f"worker died: {exc!r}")
            rows[spec] = row
            print(
                f"[{len(rows)}/{len(chosen)}] {row.spec}: {row.result} ({row.seconds:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
    ordered = [rows[spec] for spec in chosen]
    if args.output == "json":
        rows_json = [dataclasses.asdict(row) for row in ordered]
        print(json.dumps({"rows": rows_json, "totals": totals(ordered)}, indent=2))
    else:
        print(table(ordered))
    return 0


if __name__ == "__main__":
    sys.exit(main())
