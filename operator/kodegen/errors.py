"""The exception tree.

    KodegenError
    ├── InputError              bad user input: exit code 2, kopf.PermanentError
    │   ├── ManifestError       the CodeGeneration manifest (YAML, fields, apiVersion/kind)
    │   ├── SpecError           the specification (names the JSON pointer of the problem)
    │   ├── DocumentError       a YAML/JSON document that is not JSON data or is past
    │   │                       kodegen's reading limits (names where: line, JSON pointer)
    │   ├── UnexpectedInputError  kodegen failed unexpectedly on an input (a bug to report;
    │   │                       still one line, exit 2, SpecValid=False, never a traceback)
    │   ├── TemplateError       template resolution, template files, sandbox escapes
    │   ├── VariableError       a template variable is missing or invalid
    │   └── FlagError           a command-line flag's value (names the flag and the value)
    ├── GateError               a quality gate could not run at all (not: it found problems)
    │   ├── LeakedKey           a key kodegen holds is in the generated files: nothing published
    │   └── GateEnvironmentError  the Python environment that runs the generated code could
    │                           not be made (a declared dependency refused, or not installable)
    ├── FetchError              a remote `$ref` (allowed) could not be fetched: unreachable,
    │                           timed out, a server error; trying again may succeed
    ├── OutputError             publishing or reading an output failed: the API refused or
    │   │                       was unreachable (`retryable` says whether to try again), or a
    │   │                       stored output is missing or corrupt
    │   ├── DestinationError    the output folder cannot be written (a path under a file, no
    │   │                       permission, a read-only or full filesystem)
    │   └── GitError            a Git output failed (`kind`: auth, non-fast-forward,
    │                           protected branch, unreachable, forge...; `condition_reason`)
    └── AIError                 the AI layer could not produce an answer
        ├── ProviderError       one provider failed (retryable or not); the router fails over
        └── BudgetExceeded      the next call would exceed spec.ai.maxCostUSD or max tokens

Messages are built from keyword arguments and say where the problem is and how to fix it.

Exit codes of the `kodegen` command (`ExitCode`, chosen by `exit_code` from the error's type;
sysexits.h codes for the operational failures, so a script tells "the service is bad" from "the
world is not ready"):

     0  success: every quality gate passed
     1  quality gates failed (the output is still written, marked failed in its provenance),
        or a gate could not run (GateError, LeakedKey)
     2  bad input: a flag, the manifest, the specification, the template or a variable
        (InputError); nothing written
    69  EX_UNAVAILABLE: no AI provider answered (AIError): a provider down, unreachable,
        refusing the key, or its circuit open
    70  EX_SOFTWARE: kodegen itself failed (a bug)
    73  EX_CANTCREAT: the output folder cannot be written (DestinationError)
    74  EX_IOERR: an output in the cluster could not be read or written: the API refused (401,
        403, 404), or the stored output is missing or corrupt (OutputError, not retryable)
    75  EX_TEMPFAIL: the Kubernetes API (or a Git remote) is unreachable or answered 409, 429 or
        5xx (OutputError, retryable): try again
    77  EX_NOPERM: the AI budget stopped the run before the first answer (BudgetExceeded):
        spec.ai.maxCostUSD or --ai-max-tokens
   130  interrupted (SIGINT); 143 terminated (SIGTERM)
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ExitCode(enum.IntEnum):
    """The exit codes of `kodegen` (see the module docstring for when each is used)."""

    OK = 0
    GATES_FAILED = 1
    BAD_INPUT = 2
    AI_UNAVAILABLE = 69
    INTERNAL = 70
    OUTPUT_UNWRITABLE = 73
    OUTPUT_FAILED = 74
    UNREACHABLE = 75
    AI_BUDGET = 77
    INTERRUPTED = 130
    TERMINATED = 143


class KodegenError(Exception):
    """Base of every error kodegen raises on purpose."""


class InputError(KodegenError):
    """The user's input is invalid; retrying will not help."""


class ManifestError(InputError):
    def __init__(self, *, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"manifest: {field}: {reason}")


class SpecError(InputError):
    def __init__(self, *, pointer: str, reason: str) -> None:
        self.pointer, self.reason = pointer, reason
        super().__init__(f"specification at {pointer or '#'}: {reason}")


class DocumentError(InputError):
    """A YAML or JSON document kodegen refuses to read: malformed, not JSON data (NaN, a
    non-string key, a !!binary value), or past a limit of `documents.limits`. `source` names the
    document (a file, `ConfigMap ns/name/key`), `line`/`column` count from 1."""

    def __init__(
        self,
        *,
        source: str,
        reason: str,
        pointer: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source, self.reason, self.pointer = source, reason, pointer
        self.line, self.column = line, column
        where = source if line is None else f"{source}:{line}:{column or 1}"
        at = f" at {pointer}" if pointer else ""
        super().__init__(f"{where}{at}: {reason}")


class UnexpectedInputError(InputError):
    """kodegen itself failed while reading `what` (a bug): reported like bad input, in one
    line, so that no document can crash the CLI with a traceback or stall the operator."""

    def __init__(self, *, what: str, exception: BaseException) -> None:
        self.what, self.exception = what, exception
        detail = " ".join(str(exception).split())[:200]
        super().__init__(
            f"{what}: kodegen could not read it ({type(exception).__name__}: {detail}); "
            "this is a bug in kodegen, please report it with the input"
        )


class TemplateError(InputError):
    def __init__(self, *, template: str, reason: str, file: str | None = None) -> None:
        self.template, self.reason, self.file = template, reason, file
        where = f"{template}:{file}" if file else template
        super().__init__(f"template {where}: {reason}")


class VariableError(InputError):
    def __init__(self, *, variable: str, reason: str) -> None:
        self.variable, self.reason = variable, reason
        super().__init__(f"variable {variable!r}: {reason}")


class FlagError(InputError):
    """A command-line flag's value is refused: `--set packageName=1x: must match ...`."""

    def __init__(self, *, flag: str, value: str, reason: str) -> None:
        self.flag, self.value, self.reason = flag, value, reason
        super().__init__(f"{flag} {value}: {reason}" if value else f"{flag}: {reason}")


class GateError(KodegenError):
    def __init__(self, *, gate: str, reason: str) -> None:
        self.gate, self.reason = gate, reason
        super().__init__(f"gate {gate}: {reason}")


class LeakedKey(GateError):
    """The generated files hold a key kodegen holds (as it is or encoded): the run fails and
    nothing is published. `places`: `file:line (VARIABLE, form)`; the value is never shown."""

    def __init__(self, *, places: list[str]) -> None:
        self.places = places
        shown = ", ".join(places[:10]) + (
            f" and {len(places) - 10} more" if len(places) > 10 else ""
        )
        super().__init__(
            gate="secrets",
            reason=f"a key kodegen holds is in the generated files at {shown} (the value is not "
            "shown); nothing was published: the model or the template wrote it, so rotate "
            "that key and check what the model was given",
        )


class FetchError(KodegenError):
    """An allowed remote document (`url`) could not be fetched for a reason that may pass
    (connection refused, timeout, a 5xx answer): the operator retries, the CLI exits 1."""

    def __init__(self, *, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(
            f"fetching {url}: {reason}; try again, or copy the document into the "
            "spec's folder and refer to it by a relative path"
        )


class GateEnvironmentError(GateError):
    """The packages a generated project declares could not be given to the gates that run its
    code. `requirement`: the declared dependency at fault ("" when it is the set as a whole);
    `reason`: what went wrong and what would fix it."""

    def __init__(self, *, requirement: str, reason: str) -> None:
        self.requirement = requirement
        where = f"dependency {requirement!r}: " if requirement else ""
        super().__init__(gate="environment", reason=where + reason)


class OutputError(KodegenError):
    """An output could not be written or read back. `output` names it ("configmap ns/name");
    `status` is the HTTP status of the API's answer (None: no answer, or no call at all);
    `retryable` is True when trying again may succeed (API conflicts, throttling, server
    errors, an unreachable API, an output replaced while it was being read)."""

    def __init__(
        self, *, output: str, reason: str, status: int | None = None, retryable: bool = False
    ) -> None:
        self.output, self.reason, self.status, self.retryable = output, reason, status, retryable
        super().__init__(f"output {output}: {reason}")


class DestinationError(OutputError):
    """Where the output goes (`destination`: "the output folder out/x", "the file m.yaml")
    cannot be written; `reason` is the filesystem's, or why a check before any work found it
    unwritable. Nothing was written."""

    def __init__(self, *, destination: str, reason: str) -> None:
        self.output, self.reason, self.status, self.retryable = destination, reason, None, False
        KodegenError.__init__(
            self,
            f"cannot write {destination}: {reason}; nothing was written "
            "(check the path, its permissions and the free space)",
        )


class GitError(OutputError):
    """Publishing to Git failed. `remote` is the repository URL without user info; `kind` is
    one of `KINDS` and gives the condition's reason (`condition_reason`) and whether trying
    again may help (`retryable`). The message never holds a credential."""

    KINDS: ClassVar[dict[str, tuple[str, bool]]] = {
        "auth": ("GitAuthFailed", False),
        "non-fast-forward": ("GitNonFastForward", True),
        "protected-branch": ("GitProtectedBranch", False),
        "unreachable": ("GitUnreachable", True),
        "timeout": ("GitTimeout", True),
        "not-found": ("GitNotFound", False),
        "invalid": ("GitInvalid", False),
        "rejected": ("GitRejected", False),
        "forge": ("ForgeFailed", False),
        "forge-unavailable": ("ForgeUnavailable", True),
    }
    """kind -> (condition reason, retryable)."""

    def __init__(self, *, remote: str, kind: str, reason: str, status: int | None = None) -> None:
        self.remote, self.kind = remote, kind
        self.condition_reason, retryable = self.KINDS[kind]
        super().__init__(output=f"git {remote}", reason=reason, status=status, retryable=retryable)


class AIError(KodegenError):
    """The AI layer could not produce an answer."""


class ProviderError(AIError):
    """One call to one provider failed. `kind`: rate_limited, server, timeout, malformed,
    refusal, unparseable, auth, bad_request, unavailable. `retry_after` in seconds when the
    provider said so."""

    def __init__(
        self, *, provider: str, kind: str, reason: str, retry_after: float | None = None
    ) -> None:
        self.provider, self.kind, self.reason, self.retry_after = (
            provider,
            kind,
            reason,
            retry_after,
        )
        super().__init__(f"provider {provider}: {kind}: {reason}")

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate_limited", "server", "timeout")


class BudgetExceeded(AIError):
    def __init__(self, *, limit: str, spent: float, needed: float, fix: str | None = None) -> None:
        self.limit, self.spent, self.needed = limit, spent, needed
        super().__init__(
            f"AI budget: {limit} would be exceeded (spent {spent:g}, the next call needs up to "
            f"{needed:g}); {fix or f'raise spec.ai.{limit} or shorten the specification'}"
        )


def exit_code(error: KodegenError) -> ExitCode:
    """The exit code of the `kodegen` command that stopped on `error`."""
    if isinstance(error, InputError):
        return ExitCode.BAD_INPUT
    if isinstance(error, DestinationError):
        return ExitCode.OUTPUT_UNWRITABLE
    if isinstance(error, OutputError):
        return ExitCode.UNREACHABLE if error.retryable else ExitCode.OUTPUT_FAILED
    if isinstance(error, BudgetExceeded):
        return ExitCode.AI_BUDGET
    if isinstance(error, AIError):
        return ExitCode.AI_UNAVAILABLE
    return ExitCode.GATES_FAILED  # GateError, LeakedKey: the gates did not pass
