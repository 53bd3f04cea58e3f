"""`kodegen template test | new | manifest`: a template author's commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import rich.table
import rich.text

from kodegen import errors
from kodegen.cli import display
from kodegen.pipeline import generate

__all__ = ["manifest_command", "new_command", "test_command", "usage_command"]


def test_command(args: argparse.Namespace) -> int:
    from kodegen.pipeline import template_tests
    from kodegen.templates import git, manifests

    fetcher = git.Cli(isolated=False, protocols=(*git.DEFAULT_PROTOCOLS, "file"))
    loaded = manifests.load(args.path, builtin_root=args.templates, git=fetcher)
    template = loaded.template
    console = display.stdout()
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
        return errors.ExitCode.GATES_FAILED
    console.print(f"{len(results)} test(s) passed: {template.name} would be Ready")
    return errors.ExitCode.OK


def new_command(args: argparse.Namespace) -> int:
    from kodegen.templates import scaffold

    folder = scaffold.write(args.family, args.out)
    display.stdout().print(
        f"wrote {folder} with one test fixture; check it with: kodegen template test {folder}"
    )
    return errors.ExitCode.OK


def manifest_command(args: argparse.Namespace) -> int:
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
        return errors.ExitCode.OK
    target = out / manifests.file_name(template) if out.is_dir() else out
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.DestinationError(
            destination=f"the file {target}", reason=str(exc.strerror or exc)
        ) from exc
    display.stdout().print(f"wrote {target}")
    return errors.ExitCode.OK


def usage_command(args: argparse.Namespace) -> int:
    display.error("a template command is required: test, new or manifest (kodegen template --help)")
    return errors.ExitCode.BAD_INPUT
