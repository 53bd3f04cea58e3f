"""The `kodegen` command: flags in, pipeline calls, exit codes out.

    kodegen generate MANIFEST --out DIR    render, run the gates, publish DIR atomically
    kodegen generate MANIFEST              ... and publish to the manifest's spec.output.git
    kodegen validate MANIFEST              check the manifest, spec, template and variables
    kodegen crds [--out DIR]               the CustomResourceDefinitions (print or write)
    kodegen operator [--executor job|local] the operator: reconcile CodeGenerations (kopf)
    kodegen run-job --request CM --namespace NS
                                           one run inside a Job's pod (exit 0/1/2, 3 retry)
    kodegen fetch-output NS/NAME --out DIR the code a CodeGeneration published to ConfigMaps
    kodegen template test PATH             render a template against its fixtures, run the gates
    kodegen template new FAMILY [--out DIR] scaffold FAMILY/1.0.0/ with one passing test fixture
    kodegen template manifest PATH         the ClusterCodeTemplate (or CodeTemplate) of a folder
    kodegen version

Exit codes: 0 success; 1 quality gates failed (the output is still written, marked failed in
its provenance) or a gate could not run; 2 bad input, reported as one `error: ...` line on
stderr, nothing written (also when kodegen fails unexpectedly while reading the input);
70 an unexpected failure elsewhere (a bug: one `error: internal error ...` line, no
traceback); 130 interrupted (SIGINT), 143 terminated (SIGTERM): either way the gates'
processes are killed, temporary folders removed and nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import rich.console
import rich.progress
import rich.table
import rich.text

import kodegen
from kodegen import errors
from kodegen.documents import loading
from kodegen.gates import report
from kodegen.outputs import directory
from kodegen.pipeline import generate, manifest, stages

__all__ = ["main"]

OK, GATES_FAILED, BAD_INPUT, INTERRUPTED, TERMINATED = 0, 1, 2, 130, 143
INTERNAL = 70  # EX_SOFTWARE (sysexits.h): kodegen itself failed
_FINDINGS_SHOWN = 10  # per failed gate; every finding is in the provenance


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kodegen` with `argv` (default: the process arguments); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else BAD_INPUT
    command: Callable[[argparse.Namespace], int] | None = getattr(args, "command", None)
    if command is None:
        parser.print_usage(sys.stderr)
        _error("a command is required: generate, validate, crds or version")
        return BAD_INPUT
    terminated: list[int] = []
    try:
        with _sigterm_as_sigint(terminated):
            return command(args)
    except errors.InputError as exc:
        _error(str(exc))
        return BAD_INPUT
    except errors.KodegenError as exc:
        _error(str(exc))
        return GATES_FAILED
    except KeyboardInterrupt:
        if terminated:
            _error("terminated; nothing was written")
            return TERMINATED
        _error("interrupted; nothing was written")
        return INTERRUPTED
    except Exception as exc:  # a bug: one line and its own exit code, never a traceback
        _error(f"internal error ({type(exc).__name__}: {exc}); a bug in kodegen: please report it")
        return INTERNAL


@contextlib.contextmanager
def _sigterm_as_sigint(received: list[int]) -> Iterator[None]:
    """While the command runs, SIGTERM (`kill`, a Pod being stopped) does what Ctrl-C does:
    it calls the SIGINT handler in force (asyncio's while an event loop runs, which cancels the
    gates so the sandbox kills their process groups; Python's elsewhere), or raises
    KeyboardInterrupt when SIGINT is ignored (a background job). The stage unwinds the same way:
    temporary folders removed, nothing published. `received` gets the signal number. Only the
    main thread can set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):  # asyncio's cancels its task; Python's raises KeyboardInterrupt
            handler(signal.SIGINT, frame)
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- commands ----------------------------------------------------------------------------------


def _generate(args: argparse.Namespace) -> int:
    cg = manifest.load(args.manifest)
    if args.out is None:
        return _generate_to_git(args, cg)
    out: Path = args.out
    directory.check(out.absolute(), force=args.force)  # refuse a user's folder before the work
    console = _console()
    with _Display(console) as display:
        generator = generate.Generator(
            templates_root=args.templates,
            gate_timeout=args.gates_timeout,
            progress=display,
            ai=_ai_options(args) if cg.spec.ai.mode != "off" else None,
        )
        result = generator.run(cg)
    directory.publish(result.files, out, force=args.force)
    _summary(console, result)
    _isolation_warning(result.isolation)
    if result.passed:
        console.print(f"wrote {out} ({result.counts.files} files): every gate passed")
        return OK
    console.print(
        f"wrote {out} ({result.counts.files} files), but quality gates FAILED: "
        f"see above; the output is marked failed in {directory.MARKER}"
    )
    return GATES_FAILED


# -- generate to Git (spec.output.git, when --out is not given) ---------------------------------


def _generate_to_git(args: argparse.Namespace, cg: Any) -> int:
    """Generate, then publish to `spec.output.git` with the publisher the operator uses;
    credentials from `KODEGEN_OUTPUT_GIT_*` or your own git setup (helpers, ssh agent)."""
    from kodegen.controller import names  # the input hash, computed as the operator does
    from kodegen.outputs import git

    target = cg.spec.output.git
    if target is None:
        raise errors.ManifestError(
            field="spec.output.git",
            reason="not set, and no --out DIR given; pass --out DIR to write a folder",
        )
    git.check(target)
    console = _console()
    with _Display(console) as display:
        generator = generate.Generator(
            templates_root=args.templates,
            gate_timeout=args.gates_timeout,
            progress=display,
            ai=_ai_options(args) if cg.spec.ai.mode != "off" else None,
        )
        result = generator.run(cg)
    _summary(console, result)
    _isolation_warning(result.isolation)
    if not result.passed:
        console.print("quality gates FAILED: see above; nothing was published to Git")
        return GATES_FAILED
    template = result.prepared.template
    about = git.About(
        name=cg.metadata.name,
        namespace=cg.metadata.namespace or "default",
        family=template.spec.family,
        version=template.spec.version,
        input_hash=names.input_hash(cg.spec, template.digest),
    )
    options = git.Options(
        credentials=git.credentials_from_env(os.environ),
        isolated=False,
        protocols=git.CLI_PROTOCOLS,
    )
    published = git.publish(result.files, target, about, options)
    verb = "published to" if published.changed else "unchanged on"
    console.print(
        f"{result.counts.files} files {verb} {published.url} branch {published.branch} "
        f"at {published.commit[:12]}: every gate passed"
    )
    if published.pull_request is not None:
        request = published.pull_request
        console.print(f"pull request {request.url} ({request.state})")
    return OK


def _ai_options(args: argparse.Namespace) -> Any:
    """How `generate` reaches AI providers: keys from the environment (`ANTHROPIC_API_KEY`,
    `OPENAI_API_KEY`, `GEMINI_API_KEY`, `OLLAMA_HOST`), answers cached in
    `$XDG_CACHE_HOME/kodegen/ai`, prices overridden by the JSON file `KODEGEN_AI_PRICING`."""
    from kodegen.ai import cache, pricing, session  # only AI runs need the AI layer

    prices = pricing.Pricing()
    if os.environ.get("KODEGEN_AI_PRICING"):
        prices = pricing.Pricing.load(Path(os.environ["KODEGEN_AI_PRICING"]))
    return session.Options(
        environ=dict(os.environ),
        prices=prices,
        cache=None if args.no_ai_cache else cache.Directory(cache.default_directory(os.environ)),
        timeout_seconds=args.ai_timeout,
        max_tokens=args.ai_max_tokens,
        transcript=not args.no_transcript,
    )


def _validate(args: argparse.Namespace) -> int:
    cg = manifest.load(args.manifest)
    console = _console()
    with _Display(console) as display, loading.guard(f"the manifest {args.manifest}"):
        prepared = generate.Generator(templates_root=args.templates, progress=display).validate(cg)
    template = prepared.template.spec
    operations = len(prepared.plan.context.get("operations", ()))
    console.print(
        f"{args.manifest}: valid: {cg.metadata.name} -> {template.family}@{template.version}, "
        f"{operations} operations, {len(prepared.plan.not_implemented)} not implemented"
    )
    _not_implemented(console, prepared.plan.not_implemented)
    return OK


def _crds(args: argparse.Namespace) -> int:
    from kodegen.api import crd  # only this command needs the CRD builder

    if args.out is None:
        sys.stdout.write(crd.render_yaml())
        return OK
    try:
        crd.write(args.out)
    except OSError as exc:
        raise errors.InputError(f"cannot write CRDs to {args.out}: {exc.strerror or exc}") from exc
    return OK


def _operator(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import logging

    from kodegen.controller import kube, main, settings  # only the operator needs kopf

    try:
        config = settings.from_env()
    except ValueError as exc:
        raise errors.InputError(f"operator settings: {exc}") from exc
    overrides = {
        key: value
        for key, value in (("executor", args.executor), ("metrics_port", args.metrics_port))
        if value is not None
    }
    config = dataclasses.replace(config, **overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    op = main.build(config, kube.connect())
    if config.metrics_port:
        op.metrics.serve(config.metrics_port)
    asyncio.run(
        main.run(
            op,
            namespaces=args.namespace or (),
            standalone=args.standalone,
            liveness=args.liveness,
        )
    )
    return OK


def _run_job(args: argparse.Namespace) -> int:
    import logging

    from kodegen.controller import main

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    return main.run_job(args.namespace, args.request)


def _fetch_output(args: argparse.Namespace) -> int:
    from kodegen.controller import kube
    from kodegen.outputs import configmaps

    namespace, _, name = args.ref.rpartition("/")
    out: Path = args.out
    directory.check(out.absolute(), force=args.force)
    try:
        client = kube.connect(kubeconfig=args.kubeconfig)
    except Exception as exc:  # the client's config errors have no common base
        raise errors.InputError(f"cannot reach the cluster: {exc}") from exc
    files = configmaps.fetch(client.core, name=name, namespace=namespace or "default")
    directory.publish(files, out, force=args.force)
    _console().print(f"wrote {out} ({len(files)} files) from ConfigMap {namespace}/{name}")
    return OK


def _template_test(args: argparse.Namespace) -> int:
    from kodegen.pipeline import template_tests
    from kodegen.templates import git, manifests

    fetcher = git.Cli(isolated=False, protocols=(*git.DEFAULT_PROTOCOLS, "file"))
    loaded = manifests.load(args.path, builtin_root=args.templates, git=fetcher)
    template = loaded.template
    console = _console()
    where = f" at commit {loaded.commit}" if loaded.commit else ""
    console.print(f"{template.name} ({loaded.kind}{where}) {template.digest}")
    generator = generate.Generator(templates_root=args.templates, gate_timeout=args.gates_timeout)
    results = template_tests.run(template, generator=generator)
    table = rich.table.Table(title=f"Template tests of {template.name}")
    for column in ("test", "result", "coverage", "findings", "message"):
        table.add_column(column, justify="right" if column in ("coverage", "findings") else "left")
    for result in results:
        findings = sum(result.findings.values())
        detail = ", ".join(f"{count} {severity}" for severity, count in result.findings.items())
        table.add_row(
            result.name,
            rich.text.Text("passed") if result.passed else rich.text.Text("FAILED", style="red"),
            "-" if result.coverage is None else f"{result.coverage:.1f} %",
            f"{findings} ({detail})" if findings else "0",
            rich.text.Text(result.message or ""),
        )
    console.print(table)
    failed = [result.name for result in results if not result.passed]
    if failed:
        console.print(f"{len(failed)} of {len(results)} test(s) FAILED: {', '.join(failed)}")
        return GATES_FAILED
    console.print(f"{len(results)} test(s) passed: {template.name} would be Ready")
    return OK


def _template_new(args: argparse.Namespace) -> int:
    from kodegen.templates import scaffold

    folder = scaffold.write(args.family, args.out)
    _console().print(
        f"wrote {folder} with one test fixture; check it with: kodegen template test {folder}"
    )
    return OK


def _template_manifest(args: argparse.Namespace) -> int:
    from kodegen.templates import manifests, registry

    template = registry.load(args.path)
    documents = manifests.objects(
        template,
        source=args.source,
        kind=args.kind,
        namespace=args.namespace,
        git_url=args.git_url,
        git_ref=args.git_ref,
        git_path=args.git_path,
    )
    header = manifests.HEADER.format(family=template.spec.family, version=template.spec.version)
    text = manifests.dump(documents, header=header)
    out: Path | None = args.out
    if out is None:
        sys.stdout.write(text)
        return OK
    target = out / manifests.file_name(template) if out.is_dir() else out
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    _console().print(f"wrote {target}")
    return OK


def _template_usage(args: argparse.Namespace) -> int:
    _error("a template command is required: test, new or manifest (kodegen template --help)")
    return BAD_INPUT


def _version(args: argparse.Namespace) -> int:
    print(f"{kodegen.GENERATOR} {kodegen.__version__}")
    return OK


# -- flags -------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kodegen",
        description="Turn formal specifications into tested, scanned, provenance-stamped code.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    templates = argparse.ArgumentParser(add_help=False)
    templates.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help="folder of <family>/<version>/ templates (default: the builtin ones)",
    )

    run = commands.add_parser(
        "generate", parents=[templates], help="generate, test and publish a service"
    )
    run.add_argument("manifest", type=Path, metavar="MANIFEST", help="a CodeGeneration YAML")
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder, replaced atomically (only if empty or exactly as kodegen wrote "
        "it); without it, the code goes to the manifest's spec.output.git",
    )
    run.add_argument("--force", action="store_true", help=_FORCE)
    run.add_argument(
        "--gates-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="wall-time limit of each quality gate (default 180)",
    )
    run.add_argument(
        "--ai-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="wall-time limit of each AI provider call (default 120); a provider past it "
        "fails over to the next",
    )
    run.add_argument(
        "--ai-max-tokens",
        type=_tokens,
        metavar="TOKENS",
        help="token budget of the run (input and output, every call), on top of "
        "spec.ai.maxCostUSD; checked before each call",
    )
    run.add_argument(
        "--no-ai-cache",
        action="store_true",
        help="send every AI request, even one answered before (default: reuse the answer)",
    )
    run.add_argument(
        "--no-transcript",
        action="store_true",
        help="do not write the prompts and answers to .kodegen/transcript.jsonl",
    )
    run.set_defaults(command=_generate)

    check = commands.add_parser(
        "validate", parents=[templates], help="check a manifest without generating"
    )
    check.add_argument("manifest", type=Path, metavar="MANIFEST", help="a CodeGeneration YAML")
    check.set_defaults(command=_validate)

    crds = commands.add_parser("crds", help="print or write the CustomResourceDefinitions")
    crds.add_argument("--out", type=Path, metavar="DIR", help="write one file per CRD into DIR")
    crds.set_defaults(command=_crds)

    operator = commands.add_parser("operator", help="run the operator (kopf)")
    operator.add_argument(
        "--executor",
        choices=("job", "local"),
        help="where runs execute: a Job each (default) or the operator's own worker pool",
    )
    operator.add_argument(
        "--namespace", action="append", metavar="NS", help="watch only NS (repeatable)"
    )
    operator.add_argument("--metrics-port", type=int, metavar="PORT", help="0: no /metrics")
    operator.add_argument(
        "--liveness",
        metavar="URL",
        help="kopf's liveness endpoint, e.g. http://0.0.0.0:8081/healthz",
    )
    operator.add_argument(
        "--standalone", action="store_true", help="no peering with other replicas"
    )
    operator.set_defaults(command=_operator)

    job = commands.add_parser("run-job", help="run one frozen request (inside a Job)")
    job.add_argument("--request", required=True, metavar="CONFIGMAP")
    job.add_argument("--namespace", required=True, metavar="NS")
    job.set_defaults(command=_run_job)

    fetch = commands.add_parser(
        "fetch-output", help="restore the code a CodeGeneration published to ConfigMaps"
    )
    fetch.add_argument("ref", metavar="NS/NAME", help="namespace and name of the output ConfigMap")
    fetch.add_argument("--out", type=Path, required=True, metavar="DIR")
    fetch.add_argument("--force", action="store_true", help=_FORCE)
    fetch.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig to use (default: KUBECONFIG, in-cluster)"
    )
    fetch.set_defaults(command=_fetch_output)

    _template_parsers(commands, templates)

    version = commands.add_parser("version", help="print kodegen's version")
    version.set_defaults(command=_version)
    return parser


_FORCE = (
    "replace the output folder even if it is not exactly what kodegen wrote there (hand "
    "edits, a .git folder, other files): everything in it is deleted"
)


def _template_parsers(commands: Any, templates: argparse.ArgumentParser) -> None:
    group = commands.add_parser("template", help="test, scaffold and publish template versions")
    group.set_defaults(command=_template_usage)
    verbs = group.add_subparsers(title="template commands", metavar="COMMAND")

    test = verbs.add_parser(
        "test",
        parents=[templates],
        help="render a template against each test fixture and run the quality gates "
        "(exit 1 if any fails)",
    )
    test.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="a template folder (template.yaml, files/) or a CodeTemplate/ClusterCodeTemplate "
        "manifest (builtin, inline, git source; configMapRef with the ConfigMap in the file)",
    )
    test.add_argument(
        "--gates-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="wall-time limit of each quality gate (default 180)",
    )
    test.set_defaults(command=_template_test)

    new = verbs.add_parser("new", help="scaffold FAMILY/1.0.0/ with one test fixture")
    new.add_argument("family", metavar="FAMILY", help="the family name (a DNS-1123 label)")
    new.add_argument(
        "--out", type=Path, default=Path(), metavar="DIR", help="where to write (default: .)"
    )
    new.set_defaults(command=_template_new)

    publish = verbs.add_parser(
        "manifest", help="print or write the resource that publishes a template folder"
    )
    publish.add_argument("path", type=Path, metavar="PATH", help="a template folder")
    publish.add_argument(
        "--kind", choices=("ClusterCodeTemplate", "CodeTemplate"), default="ClusterCodeTemplate"
    )
    publish.add_argument("--namespace", metavar="NS", help="namespace of a CodeTemplate")
    publish.add_argument(
        "--source",
        choices=("builtin", "inline", "configMap", "git"),
        default="builtin",
        help="builtin (shipped with kodegen; the default), inline files, a ConfigMap (written "
        "too) or git (with --git-url, --git-ref, --git-path)",
    )
    publish.add_argument("--git-url", metavar="URL")
    publish.add_argument("--git-ref", metavar="REF", help="a tag or a full commit SHA")
    publish.add_argument("--git-path", metavar="PATH", help="the template folder in the repo")
    publish.add_argument(
        "--out",
        type=Path,
        metavar="FILE|DIR",
        help="write FILE, or DIR/<family>-<version>.yaml (default: print)",
    )
    publish.set_defaults(command=_template_manifest)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _tokens(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of tokens, got {text!r}")
    return int(text)


# -- display -----------------------------------------------------------------------------------


def _console() -> rich.console.Console:
    return rich.console.Console(file=sys.stdout, highlight=False, markup=False, soft_wrap=True)


def _isolation_warning(record: Any) -> None:
    """Say loudly on stderr when generated code ran without full containment."""
    if record and not record.get("contained", True):
        missing = "; ".join(record.get("missing", []))
        print(
            f"WARNING: generated code ran UNCONTAINED (qualityGates.isolation: "
            f"{record.get('policy')}); missing: {missing}",
            file=sys.stderr,
        )


def _error(message: str) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


class _Display(stages.Silent):
    """Live progress per stage on a terminal; one plain line per stage otherwise."""

    def __init__(self, console: rich.console.Console) -> None:
        self.console = console
        self.live: rich.progress.Progress | None = None
        self.tasks: dict[str, rich.progress.TaskID] = {}
        if console.is_terminal:
            self.live = rich.progress.Progress(
                rich.progress.SpinnerColumn(finished_text="[green]✓[/]"),
                rich.progress.TextColumn("{task.description:<11}"),
                _Seconds(),
                console=console,
            )

    def __enter__(self) -> _Display:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.live is not None:
            self.live.stop()

    def stage_started(self, stage: str) -> None:
        if self.live is not None:
            self.tasks[stage] = self.live.add_task(stage, total=1)

    def stage_finished(self, stage: str, seconds: float) -> None:
        if self.live is not None:
            self.live.update(self.tasks[stage], completed=1)
        else:
            self.console.print(f"{stage:<11} {seconds:7.2f} s")

    def gate_finished(self, gate: report.GateReport) -> None:
        verdict = "passed" if gate.passed else "FAILED"
        line = rich.text.Text(f"  gate {gate.name:<9} {verdict}")
        if gate.reason:
            line.append(f": {gate.reason}")
        if self.live is not None:
            self.live.console.print(line)
        else:
            self.console.print(line)


class _Seconds(rich.progress.ProgressColumn):
    """Seconds a stage has run, to the hundredth (rich's own column counts whole seconds)."""

    def render(self, task: rich.progress.Task) -> rich.text.Text:
        seconds = task.finished_time if task.finished else task.elapsed
        return rich.text.Text(f"{seconds or 0.0:7.2f} s", style="progress.elapsed")


def _summary(console: rich.console.Console, result: generate.Result) -> None:
    counts = result.counts
    coverage = "-" if counts.coverage is None else f"{counts.coverage:.1f} %"
    totals = rich.table.Table(title="Summary", show_header=False)
    totals.add_column("what")
    totals.add_column("value", justify="right")
    totals.add_row("files", str(counts.files))
    totals.add_row("lines", str(counts.lines))
    totals.add_row("coverage", coverage)
    totals.add_row("not implemented", str(len(result.not_implemented)))
    if result.ai is not None:
        ai = result.ai
        totals.add_row("AI provider", ", ".join(ai.providers) or "-")
        totals.add_row("AI model", ai.model or "-")
        totals.add_row("AI tokens", f"{ai.tokens} ({ai.input_tokens} in, {ai.output_tokens} out)")
        totals.add_row(
            "AI cost", f"${ai.cost_usd:.4f}" + (f" ({ai.cached} cached)" if ai.cached else "")
        )
        totals.add_row("AI attempts", f"{ai.attempts} (kept: {ai.chosen})")
        if ai.failures:
            totals.add_row("AI failovers", f"{ai.failures} (see .kodegen/transcript.jsonl)")
        if ai.rejected:
            totals.add_row("AI rejected blocks", str(len(ai.rejected)))
    if result.isolation is not None:
        contained = "contained" if result.isolation["contained"] else "UNCONTAINED"
        totals.add_row("isolation", f"{contained} ({result.isolation['policy']})")
    totals.add_row("total time", f"{sum(result.timings.values()):.2f} s")
    console.print(totals)
    if result.ai is not None and result.ai.rejected:
        console.print(f"AI file blocks not taken ({len(result.ai.rejected)}):")
        for line in result.ai.rejected:
            console.print(rich.text.Text(f"  - {line}"))

    gates = rich.table.Table(title="Quality gates")
    for column in ("gate", "result", "findings", "time", "reason"):
        gates.add_column(column, justify="right" if column in ("findings", "time") else "left")
    for gate in result.gates:
        gates.add_row(
            gate.name,
            rich.text.Text("passed") if gate.passed else rich.text.Text("FAILED", style="red"),
            _findings(gate),
            f"{gate.duration_seconds:.2f} s",
            rich.text.Text(gate.reason or ""),
        )
    console.print(gates)
    for gate in result.gates:
        if not gate.passed and gate.findings:
            console.print(f"{gate.name}: {len(gate.findings)} finding(s)")
            for finding in gate.findings[:_FINDINGS_SHOWN]:
                where = f"{finding.file}:{finding.line}" if finding.line else finding.file
                line = f"  {where or '-'}: {finding.code} {finding.message} [{finding.severity}]"
                console.print(rich.text.Text(line))
            if len(gate.findings) > _FINDINGS_SHOWN:
                rest = len(gate.findings) - _FINDINGS_SHOWN
                console.print(f"  ... and {rest} more in {directory.MARKER}")

    stages = rich.table.Table(title="Time per stage")
    for stage in result.timings:
        stages.add_column(stage, justify="right")
    stages.add_row(*(f"{seconds:.2f} s" for seconds in result.timings.values()))
    console.print(stages)
    _not_implemented(console, result.not_implemented)


def _findings(gate: report.GateReport) -> str:
    if not gate.findings:
        return "0"
    by_severity: dict[str, int] = {}
    for finding in gate.findings:
        by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
    detail = ", ".join(f"{count} {severity}" for severity, count in sorted(by_severity.items()))
    return f"{len(gate.findings)} ({detail})"


def _not_implemented(console: rich.console.Console, operations: Sequence[Any]) -> None:
    if not operations:
        return
    console.print(
        f"Not implemented ({len(operations)}): these answer with data that conforms to the "
        "spec and carry a `# kodegen:implement <operationId>` region to fill:"
    )
    for op in operations:
        console.print(
            rich.text.Text(f"  - {op.operation_id} ({op.method.upper()} {op.path}): {op.reason}")
        )


if __name__ == "__main__":
    sys.exit(main())
