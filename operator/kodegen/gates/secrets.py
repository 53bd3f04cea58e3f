"""The secrets gate: detect-secrets finds nothing in any file of the project.

Every file is scanned, not only Python (a key in `README.md` or `.github/` leaks as well); the
files are named one by one because detect-secrets otherwise asks git which files exist, and a
generated project is not a git checkout. `--no-verify`: nothing is sent anywhere to check
whether a secret is live. One finding fails the gate; a line that is a deliberate false
positive can carry detect-secrets' `# pragma: allowlist secret` marker.

Values the source specification itself carries (`GateConfig.openapi`: its examples, say an
`apiKey: oa_citations` example) are what the user asked to be generated from, not secrets the
generation introduced: they are counted as `from_specification` and do not fail the gate. They
are recognised by detect-secrets' own SHA-1 of the value, so no value is ever compared in clear;
a finding inside the specification file itself is one of them by definition (detect-secrets may
report part of a value, such as a JWT without its signature, whose hash no whole string has).
Likewise the names of the generated package's own modules (`own_names`: `vault`,
`vault.main:run`, where `vault/main.py` exists): a package named `password_vault` makes
detect-secrets read `password_vault = "password_vault.main:run"` as a password.

`held` is the other half of the secret scan, run where the keys are (the author step, never
the gates step, which holds none): every output file searched for the exact values of the
keys kodegen holds and their encodings, whatever they look like; a key that a model was told
or guessed need not look like a key to detect-secrets.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kodegen.gates import condense, gate, report
from kodegen.gates import config as config_

__all__ = ["NAME", "held", "run"]

NAME = "secrets"


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    files = [gate.relative(path, project) for path in gate.all_files(project)]
    if not files:
        return report.GateReport(name=NAME, passed=True, counts={"secrets": 0})
    argv = gate.static_tool("detect_secrets", "scan", "--no-verify", *files)
    with tempfile.TemporaryDirectory(prefix="kodegen-secrets-") as scratch:
        # detect-secrets reads each distinct line once (`condense`): same findings, a third
        # of the time on generated code
        condensed = condense.write(project, files, Path(scratch))
        outcome = await gate.tool(NAME, argv, cwd=Path(scratch), config=config)
    if outcome.returncode != 0:
        raise gate.unparseable(NAME, "detect-secrets output", "unexpected exit status", outcome)
    data = gate.parse_json(NAME, "detect-secrets output", outcome.stdout, outcome)
    known = _specification_hashes(project, config.openapi)
    own = _own_name_hashes(project, files, config.package) - known
    try:
        found = [secret for secrets in data["results"].values() for secret in secrets]
        findings = tuple(
            _finding(secret, condensed)
            for secret in found
            if secret["hashed_secret"] not in known | own
            and gate.relative(str(secret["filename"]), Path(".")) != config.openapi
        )
        names = sum(secret["hashed_secret"] in own for secret in found)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, "detect-secrets output", repr(exc), outcome) from exc
    return report.GateReport(
        name=NAME,
        passed=not findings,
        counts={
            "secrets": len(findings),
            "from_specification": len(found) - len(findings) - names,
            "own_names": names,
        },
        findings=findings,
        reason=f"{len(findings)} potential secret(s)" if findings else None,
        metrics={"files": float(len(files))},
    )


def _specification_hashes(project: Path, spec: str | None) -> frozenset[str]:
    """SHA-1 of every string in the source specification (JSON), as detect-secrets hashes them."""
    if spec is None or not (project / spec).is_file():
        return frozenset()
    try:
        document = json.loads((project / spec).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        return frozenset()
    # nosec B324: SHA-1 only to match detect-secrets' own hashes, not for security
    return frozenset(hashlib.sha1(t.encode()).hexdigest() for t in _strings(document))  # nosec


_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"


def _own_name_hashes(project: Path, files: Sequence[str], package: str) -> frozenset[str]:
    """SHA-1 of every name in the project's text of a module of its own package (`package`,
    `package.module`, either with `:attribute`), kept only where that module exists."""
    if not package.isidentifier():
        return frozenset()
    pattern = re.compile(
        rf"(?<![\w.]){re.escape(package)}(?:\.{_DOTTED})?(?::{_DOTTED})?(?![\w.:])"
    )
    names: set[str] = set()
    for name in files:
        try:
            text = (project / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        names.update(match.group(0) for match in pattern.finditer(text))
    # nosec B324: SHA-1 only to match detect-secrets' own hashes, not for security
    return frozenset(
        hashlib.sha1(name.encode()).hexdigest()  # nosec
        for name in names
        if _is_module(project, name.partition(":")[0])
    )


def _is_module(project: Path, dotted: str) -> bool:
    path = project.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _finding(secret: Mapping[str, Any], condensed: condense.Condensed) -> report.Finding:
    kind = str(secret["type"])
    file = gate.relative(str(secret["filename"]), Path("."))
    return report.Finding(
        file=file,
        line=condensed.line(file, int(secret["line_number"])),
        code=kind,
        # Neither the value nor detect-secrets' SHA-1 of it: a weak password is found from its hash.
        message=f"potential {kind}; the value is not reported",
        severity="high",
    )


def held(
    files: Mapping[str, bytes], forms: Sequence[tuple[str, str]]
) -> tuple[report.Finding, ...]:
    """A finding (file, line) for every place a form of a held key occurs in `files`.

    forms: (label, text) pairs: each key as it is and encoded, the label naming the key's
    variable and the form (`OPENAI_API_KEY, encoded`); the text itself is never reported.
    Files are searched as bytes, so binary and non-UTF-8 files are covered too.
    """
    needles = [(label, text.encode()) for label, text in forms if text]
    found: list[report.Finding] = []
    for path in sorted(files):
        content = files[path]
        for label, needle in needles:
            start = content.find(needle)
            while start >= 0:
                line = content.count(b"\n", 0, start) + 1
                found.append(
                    report.Finding(
                        file=path,
                        line=line,
                        code="held-key",
                        message=f"holds {label}",
                        severity="high",
                    )
                )
                start = content.find(needle, start + len(needle))
    return tuple(sorted(set(found), key=lambda f: (f.file, f.line, f.message)))
