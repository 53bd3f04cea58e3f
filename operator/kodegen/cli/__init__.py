"""The `kodegen` command: flags in, pipeline calls, exit codes out.

    kodegen generate MANIFEST --out DIR    render, run the gates, publish DIR atomically
    kodegen generate --spec FILE [--template FAMILY@RANGE] [--set NAME=VALUE]... --out DIR
                                           the same from a spec file (OpenAPI, Swagger 2.0,
                                           GraphQL SDL, JSON Schema; type read from content)
    kodegen validate MANIFEST | --spec FILE ...   check without generating
    kodegen init --spec FILE ... [-f FILE] the manifest of those flags (stdout or a new file)
    kodegen crds [--out DIR]               the CustomResourceDefinitions (print or write)
    kodegen operator [--executor job|local] the operator: reconcile CodeGenerations (kopf)
    kodegen run-job --request CM --namespace NS
                                           one run inside a Job's pod (exit 0/1/2, 3 retry)
    kodegen fetch-output NS/NAME --out DIR the code a CodeGeneration published to ConfigMaps
    kodegen template test PATH             render a template against its fixtures, run the gates
    kodegen template new FAMILY [--out DIR] scaffold FAMILY/1.0.0/ with one passing test fixture
    kodegen template manifest PATH         the ClusterCodeTemplate (or CodeTemplate) of a folder
    kodegen version

Progress goes to stderr, results to stdout; `-o json` (generate, validate) prints one summary
object (`cli.summary`), also when the command stops on an error. Exit codes: `errors.ExitCode`
(the table is in `kodegen --help` and the README): 0 passed, 1 gates failed, 2 bad input,
69 AI unavailable, 70 a bug, 73 output unwritable, 74 cluster output refused/missing/corrupt,
75 cluster unreachable, 77 AI budget stop, 130/143 interrupted/terminated (the gates'
processes killed, temporary folders removed, nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

from kodegen import errors
from kodegen.cli import display, flags, summary

__all__ = [
    "BAD_INPUT",
    "GATES_FAILED",
    "INTERNAL",
    "INTERRUPTED",
    "OK",
    "TERMINATED",
    "main",
]

OK = errors.ExitCode.OK
GATES_FAILED = errors.ExitCode.GATES_FAILED
BAD_INPUT = errors.ExitCode.BAD_INPUT
INTERNAL = errors.ExitCode.INTERNAL
INTERRUPTED = errors.ExitCode.INTERRUPTED
TERMINATED = errors.ExitCode.TERMINATED


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kodegen` with `argv` (default: the process arguments); return the exit code."""
    parser = flags.parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else BAD_INPUT
    command: Callable[[argparse.Namespace], int] | None = getattr(args, "command", None)
    if command is None:
        parser.print_usage(sys.stderr)
        display.error("a command is required: generate, validate, init, crds or version")
        return BAD_INPUT
    code, message = _run(command, args)
    if message is not None:
        display.error(message)
        if getattr(args, "output", "text") == "json":
            sys.stdout.write(summary.dump(summary.failure(message, code)))
    return int(code)


def _run(
    command: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> tuple[int, str | None]:
    """(exit code, the one-line error or None) of `command`."""
    terminated: list[int] = []
    try:
        with _sigterm_as_sigint(terminated):
            return command(args), None
    except errors.KodegenError as exc:
        return errors.exit_code(exc), str(exc)
    except KeyboardInterrupt:
        if terminated:
            return TERMINATED, "terminated; nothing was written"
        return INTERRUPTED, "interrupted; nothing was written"
    except Exception as exc:  # a bug: one line and its own exit code, never a traceback
        return (
            INTERNAL,
            f"internal error ({type(exc).__name__}: {exc}); a bug in kodegen: please report it",
        )


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
