"""The fuzzer's harness: one case through `kodegen validate`, classified; and its own tests.

A case is a manifest file (text or bytes), or a spec document held in a ConfigMap (text read
by the operator's loader, then validated like an inline spec). Each runs in-process through
the real code: `cli.main(["validate", FILE])` for files (exit code and stderr checked: 0 is
accepted, 2 with one `error:` line is a clean reject, anything else a crash), the loader and
`Generator.validate` for ConfigMap-held documents (an `InputError` is a clean reject).

Hangs: each case has a soft limit (`CASE_SECONDS`, counted as a hang) and a hard watchdog
(`HANG_SECONDS`): faulthandler's own thread, which needs no GIL (a backtracking `re` holds
it), dumps every stack and ends the process; the case that hung is in `CURRENT` (written
before each case). Memory: the address space is capped (`RLIMIT_AS`) while fuzzing, so a
blow-up fails fast instead of swapping, and the peak RSS is reported.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import io
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kodegen import cli, errors
from kodegen.api import codegeneration
from kodegen.documents import loading
from kodegen.pipeline import generate

CASE_SECONDS = 10.0
"""A case slower than this counts as a hang (the issue's bar is 30 s; this is stricter)."""
HANG_SECONDS = 30
"""A case still running after this ends the process (faulthandler), naming the case."""
MEMORY_HEADROOM = 2 * 1024**3
"""Address space allowed on top of what the process maps when fuzzing starts."""
CURRENT = Path(tempfile.gettempdir()) / f"kodegen-fuzz-current-{os.getpid()}.txt"
"""The case being run, for the post-mortem of a hang."""

HEADS = {
    "openapi": ("python-fastapi-service", "openapi"),
    "swagger": ("python-fastapi-service", "openapi"),
    "jsonSchema": ("python-pydantic-models", "jsonSchema"),
}


@dataclasses.dataclass(frozen=True)
class Case:
    """`kind`: manifest-text, manifest-bytes, configmap (a spec document's text for a
    ConfigMap, `spec_type` names it)."""

    kind: str
    payload: str | bytes
    spec_type: str = "openapi"

    def describe(self) -> str:
        text = self.payload if isinstance(self.payload, str) else repr(self.payload)
        return f"{self.kind}/{self.spec_type} ({len(self.payload)} long): {text[:2000]}"


@dataclasses.dataclass
class Tally:
    accepted: int = 0
    rejected: int = 0
    crashes: list[str] = dataclasses.field(default_factory=list)
    hangs: list[str] = dataclasses.field(default_factory=list)
    slowest: float = 0.0

    @property
    def cases(self) -> int:
        return self.accepted + self.rejected + len(self.crashes) + len(self.hangs)

    def report(self) -> str:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return (
            f"fuzz: {self.cases} cases: {self.accepted} accepted, {self.rejected} rejected "
            f"cleanly, {len(self.crashes)} crashes, {len(self.hangs)} hangs "
            f"(> {CASE_SECONDS:g} s); slowest case {self.slowest:.2f} s; "
            f"peak RSS {peak:.0f} MiB"
        )


def manifest_text(spec_type: str, document_text: str) -> str:
    """A CodeGeneration whose inline spec (or GraphQL schema) is `document_text`, which is
    indented under its key as a YAML block (a JSON or YAML text both fit)."""
    if spec_type == "graphql":
        family, member = "python-graphql-service", "graphql"
        body = "      schema: |\n" + "".join(
            f"        {line}\n" for line in (document_text or " ").splitlines()
        )
    else:
        family, member = HEADS[spec_type]
        body = "      inline:\n" + "".join(
            f"        {line}\n" for line in document_text.splitlines()
        )
    return (
        "apiVersion: kodegen.dev/v1alpha1\nkind: CodeGeneration\nmetadata: {name: fuzz}\n"
        f"spec:\n  template: {{family: {family}, version: '^1.0'}}\n"
        "  variables: {packageName: fuzz}\n"
        f"  specification:\n    type: {member}\n    {member}:\n{body}"
    )


def run(case: Case, tally: Tally, folder: Path) -> str:
    """Run `case`, count it in `tally`; returns accepted, rejected, crash or hang."""
    CURRENT.write_text(case.describe(), errors="backslashreplace")
    started = time.perf_counter()
    try:
        outcome, detail = _outcome(case, folder)
    finally:
        elapsed = time.perf_counter() - started
    tally.slowest = max(tally.slowest, elapsed)
    if elapsed > CASE_SECONDS:
        outcome, detail = "hang", f"{elapsed:.1f} s"
    if outcome == "accepted":
        tally.accepted += 1
    elif outcome == "rejected":
        tally.rejected += 1
    else:
        getattr(tally, "crashes" if outcome == "crash" else "hangs").append(
            f"{detail} <- {case.describe()[:600]}"
        )
    return outcome


def _outcome(case: Case, folder: Path) -> tuple[str, str]:
    if case.kind == "configmap":
        return _configmap(case)
    path = folder / "manifest.yaml"
    if isinstance(case.payload, bytes):
        path.write_bytes(case.payload)
    else:
        path.write_text(case.payload, encoding="utf-8", errors="surrogatepass")
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["validate", str(path)])
    except BaseException as exc:  # the CLI must never raise: any escape is a crash
        return "crash", f"raised {type(exc).__name__}: {exc}"
    lines = err.getvalue().splitlines()
    if code == cli.OK:
        return "accepted", ""
    if code == cli.BAD_INPUT and len(lines) == 1 and lines[0].startswith("error: "):
        if "bug in kodegen" in lines[0] or "in memory" in lines[0]:
            return "crash", lines[0]
        return "rejected", ""
    return "crash", f"exit {code}: {err.getvalue()[-800:]}"


def _configmap(case: Case) -> tuple[str, str]:
    """What the operator does with a ConfigMap-held spec: read it, inline it, validate."""
    try:
        document = loading.load(case.payload, source="ConfigMap fuzz/spec key spec")
        if not isinstance(document, dict):
            return "rejected", ""
        family, member = HEADS[case.spec_type]
        manifest = codegeneration.CodeGeneration.model_validate(
            {
                "apiVersion": "kodegen.dev/v1alpha1",
                "kind": "CodeGeneration",
                "metadata": {"name": "fuzz"},
                "spec": {
                    "template": {"family": family, "version": "^1.0"},
                    "variables": {"packageName": "fuzz"},
                    "specification": {"type": member, member: {"inline": document}},
                },
            }
        )
        generate.Generator().validate(manifest)
    except errors.UnexpectedInputError as exc:
        return "crash", str(exc)
    except errors.InputError as exc:
        if "in memory" in str(exc):
            return "crash", str(exc)
        return "rejected", ""
    except Exception as exc:
        return "crash", f"{type(exc).__name__}: {exc}"
    return "accepted", ""


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """The watchdog and the memory cap, for the length of a fuzzing run."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _mapped_bytes()
    cap = mapped + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    faulthandler.dump_traceback_later(HANG_SECONDS, repeat=False, file=sys.stderr, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def rearm() -> None:
    """Restart the hang watchdog's clock (before each case)."""
    faulthandler.cancel_dump_traceback_later()
    faulthandler.dump_traceback_later(HANG_SECONDS, repeat=False, file=sys.stderr, exit=True)


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


# -- the harness's own tests -------------------------------------------------------------------


PETSTORE = Path(__file__).parents[2] / "examples" / "petstore.yaml"


def test_a_valid_manifest_counts_as_accepted(tmp_path: Path) -> None:
    tally = Tally()
    assert run(Case("manifest-text", PETSTORE.read_text()), tally, tmp_path) == "accepted"
    assert tally.accepted == 1 and tally.cases == 1


def test_a_bad_manifest_counts_as_a_clean_reject(tmp_path: Path) -> None:
    tally = Tally()
    text = manifest_text("openapi", '{"openapi": "3.0.3", "info": 3, "paths": {}}')
    assert run(Case("manifest-text", text), tally, tmp_path) == "rejected"
    assert run(Case("configmap", "openapi: [", "openapi"), tally, tmp_path) == "rejected"
    assert tally.rejected == 2 and not tally.crashes


def test_an_exception_that_is_no_input_error_counts_as_a_crash(tmp_path: Path) -> None:
    """Anything but an `InputError` is a crash: here a KeyError (no template family is known
    for the spec type "asyncapi")."""
    outcome, detail = _configmap(Case("configmap", "a: 1\n", "asyncapi"))
    assert outcome == "crash" and "KeyError" in detail
    tally = Tally()
    assert run(Case("manifest-bytes", b"\xff\xfe"), tally, tmp_path) == "rejected"


def test_the_report_names_every_count() -> None:
    tally = Tally(accepted=2, rejected=3, crashes=["x"], hangs=[])
    report = tally.report()
    assert "6 cases: 2 accepted, 3 rejected cleanly, 1 crashes, 0 hangs" in report
    assert "peak RSS" in report


def test_guarded_caps_the_address_space_and_restores_it() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    with guarded():
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        assert soft != resource.RLIM_INFINITY and soft <= _mapped_bytes() + MEMORY_HEADROOM
        try:
            bytearray(MEMORY_HEADROOM + 1024**3)
        except MemoryError:
            pass
        else:
            raise AssertionError("an allocation past the cap succeeded")
    assert resource.getrlimit(resource.RLIMIT_AS) == before
