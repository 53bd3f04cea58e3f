"""The secrets gate: detect-secrets finds nothing in any file of the project.

Every file is scanned, not only Python (a key in `README.md` or `.github/` leaks as well); the
files are named one by one because detect-secrets otherwise asks git which files exist, and a
generated project is not a git checkout. `--no-verify`: nothing is sent anywhere to check
whether a secret is live. One finding fails the gate; a line that is a deliberate false
positive can carry detect-secrets' `# pragma: allowlist secret` marker.

Values the source specification itself carries (`GateConfig.openapi`: its examples, say an
`apiKey: oa_citations` example) are what the user asked to be generated from, not secrets the
generation introduced: they are counted as `from_specification` and do not fail the gate. They
are recognised by detect-secrets' own SHA-1 of the value, so no value is ever compared in clear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import gate, report

__all__ = ["NAME", "run"]

NAME = "secrets"


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    files = [gate.relative(path, project) for path in gate.all_files(project)]
    if not files:
        return report.GateReport(name=NAME, passed=True, counts={"secrets": 0})
    argv = gate.static_tool("detect_secrets", "scan", "--no-verify", *files)
    outcome = await gate.tool(NAME, argv, cwd=project, config=config)
    if outcome.returncode != 0:
        raise gate.unparseable(NAME, "detect-secrets output", "unexpected exit status", outcome)
    data = gate.parse_json(NAME, "detect-secrets output", outcome.stdout, outcome)
    known = _specification_hashes(project, config.openapi)
    try:
        found = [secret for secrets in data["results"].values() for secret in secrets]
        findings = tuple(
            _finding(project, secret) for secret in found if secret["hashed_secret"] not in known
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, "detect-secrets output", repr(exc), outcome) from exc
    return report.GateReport(
        name=NAME,
        passed=not findings,
        counts={"secrets": len(findings), "from_specification": len(found) - len(findings)},
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


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _finding(project: Path, secret: Mapping[str, Any]) -> report.Finding:
    kind = str(secret["type"])
    return report.Finding(
        file=gate.relative(secret["filename"], project),
        line=int(secret["line_number"]),
        code=kind,
        # Neither the value nor detect-secrets' SHA-1 of it: a weak password is found from its hash.
        message=f"potential {kind}; the value is not reported",
        severity="high",
    )
