"""The command line: every command, its flags and its help. Flags map to fields; the commands
live in `generation`, `cluster` and `templating`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kodegen.cli import cluster, generation, templating, userspec

__all__ = ["EXIT_CODES", "parser"]

EXIT_CODES = """\
exit codes:
  0    success: every quality gate passed
  1    quality gates failed (the output is still written, marked failed in its provenance),
       or a gate could not run
  2    bad input: a flag, the manifest, the specification, the template or a variable (one
       `error: ...` line on stderr; nothing written)
  69   an AI provider is unavailable: none of spec.ai.providers answered (EX_UNAVAILABLE)
  70   kodegen itself failed: a bug, please report it (EX_SOFTWARE)
  73   the output destination cannot be written (EX_CANTCREAT)
  74   an output in the cluster could not be read or written: refused, missing or corrupt
       (EX_IOERR)
  75   the cluster (Kubernetes API) is unreachable or busy: try again (EX_TEMPFAIL)
  77   the AI budget (spec.ai.maxCostUSD, --ai-max-tokens) stopped the run (EX_NOPERM)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM): nothing written either way
"""

_FORCE = (
    "replace the output folder even if it is not exactly what kodegen wrote there (hand "
    "edits, a .git folder, other files): everything in it is deleted"
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="kodegen",
        description="Turn formal specifications into tested, scanned, provenance-stamped code.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(title="commands", metavar="COMMAND")
    templates = argparse.ArgumentParser(add_help=False)
    templates.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help="folder of <family>/<version>/ templates (default: the builtin ones)",
    )
    _generate(commands, templates)
    _validate(commands, templates)
    _init(commands, templates)
    _cluster(commands)
    _template_parsers(commands, templates)
    version = commands.add_parser("version", help="print kodegen's version")
    version.set_defaults(command=_version)
    return root


def _version(args: argparse.Namespace) -> int:
    import kodegen

    print(f"{kodegen.GENERATOR} {kodegen.__version__}")
    return 0


def _spec_flags(command: argparse.ArgumentParser, *, required: bool = False) -> None:
    """`--spec FILE` and what goes with it: the short form of a manifest."""
    group = command.add_argument_group(
        "a spec file instead of a manifest",
        "kodegen builds the CodeGeneration itself (`kodegen init` prints it)",
    )
    group.add_argument(
        "--spec",
        type=Path,
        required=required,
        metavar="FILE",
        help="an OpenAPI 3.0/3.1, Swagger 2.0, GraphQL SDL or JSON Schema file; its type is "
        "read from the content",
    )
    group.add_argument(
        "--type", choices=userspec.TYPES, help="the specification type, when the content is unclear"
    )
    group.add_argument(
        "--template",
        metavar="FAMILY@RANGE",
        help="template family and semver range, e.g. python-fastapi-service@^1.0 (default: "
        + ", ".join(f"{t} -> {f}" for t, f in userspec.DEFAULT_TEMPLATES.items())
        + ")",
    )
    group.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a template variable (repeatable); packageName defaults to the file's name",
    )
    group.add_argument(
        "--name", metavar="NAME", help="metadata.name (default: from the file's name)"
    )


def _output_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-o",
        "--output",
        choices=("text", "json"),
        default="text",
        help="text: tables for a person (default); json: one summary object on stdout",
    )


def _generate(commands: Any, templates: argparse.ArgumentParser) -> None:
    run = commands.add_parser(
        "generate",
        parents=[templates],
        help="generate, test and publish a service",
        description="  kodegen generate MANIFEST --out DIR\n"
        "  kodegen generate --spec FILE [--template FAMILY@RANGE] [--set NAME=VALUE]... "
        "--out DIR\n\nProgress goes to stderr, results to stdout (-o json: one summary object).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "manifest", type=Path, nargs="?", metavar="MANIFEST", help="a CodeGeneration YAML"
    )
    _spec_flags(run)
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder, replaced atomically (only if empty or exactly as kodegen wrote "
        "it); without it, the code goes to the manifest's spec.output.git",
    )
    run.add_argument("--force", action="store_true", help=_FORCE)
    _output_flag(run)
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
    run.set_defaults(command=generation.generate_command)


def _validate(commands: Any, templates: argparse.ArgumentParser) -> None:
    check = commands.add_parser(
        "validate", parents=[templates], help="check a manifest (or a spec file) without generating"
    )
    check.add_argument(
        "manifest", type=Path, nargs="?", metavar="MANIFEST", help="a CodeGeneration YAML"
    )
    _spec_flags(check)
    _output_flag(check)
    check.set_defaults(command=generation.validate_command)


def _init(commands: Any, templates: argparse.ArgumentParser) -> None:
    init = commands.add_parser(
        "init",
        parents=[templates],
        help="write the CodeGeneration manifest for a spec file",
        description="The manifest `kodegen generate --spec ...` would run, to edit, keep in "
        "Git or apply to a cluster.",
    )
    _spec_flags(init, required=True)
    init.add_argument(
        "-f", "--file", type=Path, metavar="FILE", help="write FILE (default: print to stdout)"
    )
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    init.set_defaults(command=generation.init_command)


def _cluster(commands: Any) -> None:
    crds = commands.add_parser("crds", help="print or write the CustomResourceDefinitions")
    crds.add_argument("--out", type=Path, metavar="DIR", help="write one file per CRD into DIR")
    crds.set_defaults(command=cluster.crds_command)

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
    operator.set_defaults(command=cluster.operator_command)

    job = commands.add_parser("run-job", help="run one frozen request (inside a Job)")
    job.add_argument("--request", required=True, metavar="CONFIGMAP")
    job.add_argument("--namespace", required=True, metavar="NS")
    job.set_defaults(command=cluster.run_job_command)

    fetch = commands.add_parser(
        "fetch-output", help="restore the code a CodeGeneration published to ConfigMaps"
    )
    fetch.add_argument("ref", metavar="NS/NAME", help="namespace and name of the output ConfigMap")
    fetch.add_argument("--out", type=Path, required=True, metavar="DIR")
    fetch.add_argument("--force", action="store_true", help=_FORCE)
    fetch.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig to use (default: KUBECONFIG, in-cluster)"
    )
    fetch.set_defaults(command=cluster.fetch_output_command)


def _template_parsers(commands: Any, templates: argparse.ArgumentParser) -> None:
    group = commands.add_parser("template", help="test, scaffold and publish template versions")
    group.set_defaults(command=templating.usage_command)
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
    test.set_defaults(command=templating.test_command)

    new = verbs.add_parser("new", help="scaffold FAMILY/1.0.0/ with one test fixture")
    new.add_argument("family", metavar="FAMILY", help="the family name (a DNS-1123 label)")
    new.add_argument(
        "--out", type=Path, default=Path(), metavar="DIR", help="where to write (default: .)"
    )
    new.set_defaults(command=templating.new_command)

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
    publish.set_defaults(command=templating.manifest_command)


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
