"""`kodegen generate`, `kodegen validate` and `kodegen init`: a manifest (or a spec file and
flags) through the pipeline. Progress goes to stderr, results to stdout (`-o json`: one JSON
object, `cli.summary`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.cli import display, summary, userspec
from kodegen.documents import loading
from kodegen.outputs import directory
from kodegen.pipeline import generate, manifest

__all__ = ["generate_command", "init_command", "validate_command"]


def generate_command(args: argparse.Namespace) -> int:
    cg = _manifest(args)
    if args.out is None:
        return _generate_to_git(args, cg)
    out: Path = args.out
    directory.check(out.absolute(), force=args.force)  # refuse a user's folder before the work
    with display.Progress(display.stderr()) as progress:
        generator = generate.Generator(
            templates_root=args.templates,
            gate_timeout=args.gates_timeout,
            progress=progress,
            ai=_ai_options(args) if cg.spec.ai.mode != "off" else None,
        )
        result = generator.run(cg)
    directory.publish(result.files, out, force=args.force)
    display.isolation_warning(result.isolation)
    code = errors.ExitCode.OK if result.passed else errors.ExitCode.GATES_FAILED
    if args.output == "json":
        sys.stdout.write(summary.dump(summary.of_run(result, {"directory": str(out)}, int(code))))
        return code
    console = display.stdout()
    display.summary(console, result)
    if result.passed:
        console.print(f"wrote {out} ({result.counts.files} files): every gate passed")
    else:
        console.print(
            f"wrote {out} ({result.counts.files} files), but quality gates FAILED: "
            f"see above; the output is marked failed in {directory.MARKER}"
        )
    return code


def _generate_to_git(args: argparse.Namespace, cg: codegeneration.CodeGeneration) -> int:
    """Generate, then publish to `spec.output.git` with the publisher the operator uses;
    credentials from `KODEGEN_OUTPUT_GIT_*` or your own git setup (helpers, ssh agent)."""
    from kodegen.controller import names  # the input hash, computed as the operator does
    from kodegen.outputs import git

    target = cg.spec.output.git
    if target is None:
        raise errors.FlagError(
            flag="--out",
            value="",
            reason="not given, and the manifest sets no spec.output.git; pass --out DIR",
        )
    git.check(target)
    with display.Progress(display.stderr()) as progress:
        generator = generate.Generator(
            templates_root=args.templates,
            gate_timeout=args.gates_timeout,
            progress=progress,
            ai=_ai_options(args) if cg.spec.ai.mode != "off" else None,
        )
        result = generator.run(cg)
    display.isolation_warning(result.isolation)
    published = None
    if result.passed:
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
    code = errors.ExitCode.OK if result.passed else errors.ExitCode.GATES_FAILED
    if args.output == "json":
        where: dict[str, Any] = {"url": target.url, "branch": target.branch}
        if published is not None:
            where |= {"commit": published.commit, "changed": published.changed}
            if published.pull_request is not None:
                where["pullRequest"] = published.pull_request.url
        sys.stdout.write(summary.dump(summary.of_run(result, {"git": where}, int(code))))
        return code
    console = display.stdout()
    display.summary(console, result)
    if published is None:
        console.print("quality gates FAILED: see above; nothing was published to Git")
        return code
    verb = "published to" if published.changed else "unchanged on"
    console.print(
        f"{result.counts.files} files {verb} {published.url} branch {published.branch} "
        f"at {published.commit[:12]}: every gate passed"
    )
    if published.pull_request is not None:
        request = published.pull_request
        console.print(f"pull request {request.url} ({request.state})")
    return code


def validate_command(args: argparse.Namespace) -> int:
    cg = _manifest(args)
    what = args.manifest or f"--spec {args.spec}"
    with display.Progress(display.stderr()) as progress, loading.guard(f"the manifest {what}"):
        prepared = generate.Generator(templates_root=args.templates, progress=progress).validate(cg)
    if args.output == "json":
        sys.stdout.write(summary.dump(summary.of_validation(prepared)))
        return errors.ExitCode.OK
    template = prepared.template.spec
    implemented, total = summary.operations(prepared)
    console = display.stdout()
    console.print(
        f"{what}: valid: {cg.metadata.name} -> {template.family}@{template.version}, "
        f"{total} operations, {total - implemented} not implemented"
    )
    display.not_implemented(console, prepared.plan.not_implemented)
    return errors.ExitCode.OK


def init_command(args: argparse.Namespace) -> int:
    """The manifest of `--spec` and its flags, to stdout or `-f FILE` (never over a file
    without `--force`)."""
    target: Path | None = args.file
    if target is not None and os.path.lexists(target) and not args.force:
        raise errors.FlagError(
            flag="-f", value=str(target), reason="exists; pass --force to overwrite it"
        )
    header = (
        f"# A CodeGeneration written by `kodegen init --spec {args.spec}`.\n"
        "# Generate with `kodegen generate THIS_FILE --out DIR`, or `kubectl apply -f` it\n"
        "# to a cluster running kodegen. Every field: see examples/ and the README.\n"
    )
    body = header + userspec.text(_request(args))
    if target is None:
        sys.stdout.write(body)
        return errors.ExitCode.OK
    try:
        target.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise errors.DestinationError(
            destination=f"the file {target}", reason=str(exc.strerror or exc)
        ) from exc
    print(f"wrote {target}; next: kodegen generate {target} --out DIR", file=sys.stderr)
    return errors.ExitCode.OK


# -- the manifest: a file, or a spec file and flags ---------------------------------------------


def _manifest(args: argparse.Namespace) -> codegeneration.CodeGeneration:
    if args.manifest is not None and args.spec is not None:
        raise errors.FlagError(
            flag="--spec",
            value=str(args.spec),
            reason=f"give either a MANIFEST ({args.manifest}) or --spec, not both",
        )
    if args.manifest is not None:
        for flag, value in (("--type", args.type), ("--template", args.template)):
            if value is not None:
                raise errors.FlagError(
                    flag=flag, value=value, reason="only with --spec; a manifest sets it itself"
                )
        if args.set or args.name:
            raise errors.FlagError(
                flag="--set" if args.set else "--name",
                value=(args.set or [args.name])[0],
                reason="only with --spec; a manifest sets spec.variables and metadata.name",
            )
        return manifest.load(args.manifest)
    if args.spec is None:
        raise errors.FlagError(
            flag="MANIFEST",
            value="",
            reason="give a CodeGeneration manifest, or --spec FILE (OpenAPI, Swagger 2.0, "
            "GraphQL SDL or JSON Schema) with --template and --set",
        )
    return userspec.load(_request(args))


def _request(args: argparse.Namespace) -> userspec.Request:
    return userspec.Request(
        spec=args.spec,
        type=args.type,
        template=args.template,
        sets=tuple(args.set or ()),
        name=args.name,
        templates_root=args.templates,
    )


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
