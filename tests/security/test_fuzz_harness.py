"""The fuzzer's harness: one case through `kodegen validate`, classified; and its own tests.

A case is a manifest file (text or bytes), or a spec document held in a ConfigMap (text read
by the operator's loader, then validated like an inline spec). Each runs in-process through
the real code. `via_cli` cases run `cli.main(["validate", FILE])` itself (exit code and stderr
checked: 0 is accepted, 2 with one `error:` line a clean reject, anything else a crash); the
others run what it runs, `manifest.load` and `Generator.validate`, without rebuilding the
argument parser and re-reading the builtin template for every case (a third of the time of a
case), so that 10,000 cases fit in minutes: an `InputError` is a clean reject, any other
exception (or an `UnexpectedInputError`) a crash.

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kodegen import cli, errors
from kodegen.api import codegeneration
from kodegen.documents import loading
from kodegen.pipeline import generate, manifest
from kodegen.templates import registry

CASE_SECONDS = 10.0
"""A case that takes more CPU time than this counts as a hang (the issue's bar is 30 s; this
is stricter). CPU time, not wall time: on a machine shared by many jobs a case waits for the
CPU far longer than it runs, and every hang kodegen can have (backtracking, a blow-up) burns
CPU."""
HANG_SECONDS = 120
"""Wall time after which a case still running ends the process (faulthandler), naming the
case: the backstop for a hang that would not burn CPU."""
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
    via_cli: bool = True

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
    peak_rss_mib: float = 0.0
    """The largest peak RSS of the processes of a run split over several (`add`)."""

    def add(self, other: dict[str, Any]) -> None:
        """Counts of another run (`as_dict`), for a run split over processes."""
        self.accepted += other["accepted"]
        self.rejected += other["rejected"]
        self.crashes += other["crashes"]
        self.hangs += other["hangs"]
        self.slowest = max(self.slowest, other["slowest"])
        self.peak_rss_mib = max(self.peak_rss_mib, other["peak_rss_mib"])

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "peak_rss_mib": _peak_rss_mib()}

    @property
    def cases(self) -> int:
        return self.accepted + self.rejected + len(self.crashes) + len(self.hangs)

    def report(self) -> str:
        peak = self.peak_rss_mib or _peak_rss_mib()
        return (
            f"fuzz: {self.cases} cases: {self.accepted} accepted, {self.rejected} rejected "
            f"cleanly, {len(self.crashes)} crashes, {len(self.hangs)} hangs "
            f"(> {CASE_SECONDS:g} s of CPU); slowest case {self.slowest:.2f} s of CPU; "
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
    started = time.process_time()
    try:
        outcome, detail = _outcome(case, folder)
    finally:
        elapsed = time.process_time() - started
    tally.slowest = max(tally.slowest, elapsed)
    if elapsed > CASE_SECONDS:
        outcome, detail = "hang", f"{elapsed:.1f} s of CPU"
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
    if not case.via_cli:
        return _validated(lambda: manifest.load(path))
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

    def read() -> codegeneration.CodeGeneration:
        document = loading.load(case.payload, source="ConfigMap fuzz/spec key spec")
        if not isinstance(document, dict):
            raise errors.SpecError(pointer="", reason="not a mapping")
        family, member = HEADS[case.spec_type]
        return codegeneration.CodeGeneration.model_validate(
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

    return _validated(read)


_TEMPLATES: dict[str, Any] = {}
"""The builtin template of each family, loaded once (`Generator.validate` takes it)."""


def _validated(read: Callable[[], codegeneration.CodeGeneration]) -> tuple[str, str]:
    try:
        cg = read()
        family = cg.spec.template.family
        if cg.spec.template.version != "^1.0":
            family = ""  # resolved as the CLI does
        if family and family not in _TEMPLATES:
            try:
                _TEMPLATES[family] = registry.resolve(family, "^1.0", None)
            except errors.InputError:
                _TEMPLATES[family] = None
        generate.Generator().validate(cg, _TEMPLATES.get(family))
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


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
