"""Provenance: an in-toto Statement v1 for every output, with an SLSA-style predicate.

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": <path>, "digest": {"sha256": ...}}, ...],   every file but this one
     "predicateType": "https://kodegen.dev/provenance/v1",
     "predicate": {
       "buildDefinition": {"buildType", "externalParameters" (the manifest, secrets redacted),
                           "internalParameters" (variables after defaults),
                           "resolvedDependencies" (specification, template)},
       "runDetails": {"builder": {"id": "kodegen@<version>", "version"}, "metadata"},
       "gates": [<GateReport.to_dict() without durations>], "notImplemented": [...],
       "passed": bool,
       "ai": {"mode", "provider", "model", "providers", "calls", "cached", "failures",
              "inputTokens", "outputTokens", "costUSD", "attempts", "chosenAttempt",
              "exchanges": [{"purpose", "provider", "model", "request", "response"}]}
                                 (only when spec.ai.mode is not off; digests are sha256)}}

Nothing here depends on the clock: two runs over the same inputs give the same bytes, so the
statement can live inside the output it describes (gate durations are dropped for that reason;
stage timings live in the CLI's summary, not in the output). With AI the statement says
`reproducible: false`: a model may answer an identical prompt differently (the AI layer's cache
is what makes a re-run give the same bytes), and every prompt/response pair is hashed in `ai`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import kodegen

__all__ = [
    "BUILD_TYPE",
    "PATH",
    "PREDICATE_TYPE",
    "REDACTED",
    "STATEMENT_TYPE",
    "dump",
    "statement",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://kodegen.dev/provenance/v1"
BUILD_TYPE = "https://kodegen.dev/CodeGeneration/v1"
PATH = ".kodegen/provenance.json"
"""Where the statement lives inside the output; it is not a subject of itself."""
REDACTED = "<redacted>"

_SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|api[_-]?key|credential|private[_-]?key)$", re.IGNORECASE
)
_TIMING_KEYS = frozenset({"duration_seconds", "durationSeconds"})


def statement(
    *,
    files: Mapping[str, bytes],
    name: str,
    parameters: Mapping[str, Any],
    spec_digest: str,
    template_family: str,
    template_version: str,
    template_digest: str,
    variables: Mapping[str, Any],
    gates: Sequence[Mapping[str, Any]],
    not_implemented: Sequence[Mapping[str, Any]],
    passed: bool,
    ai: Mapping[str, Any] | None = None,
    isolation: Mapping[str, Any] | None = None,
    warnings: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Build the statement.

    files: every output file (path -> bytes); all but `PATH` become subjects, sorted by path.
    name: the CodeGeneration's metadata.name.
    parameters: the CodeGeneration's spec as JSON (camelCase); secret-looking values redacted.
    spec_digest / template_digest: "sha256:<hex>".
    variables: the template variables after validation and defaults.
    gates: the gate reports' `to_dict()`; durations are dropped (they differ run to run).
    not_implemented: operations answered with conforming placeholder data, to be implemented.
    passed: whether every gate passed.
    ai: what the AI layer did (`ai.session.Summary.to_dict()` plus `exchanges`); None (the key
        is then absent) when AI took no part.
    isolation: how the gates contained the generated code they ran (policy, whether contained,
        what was missing); None (the key is then absent) when not told.
    warnings: what the specification lacked or got wrong and kodegen worked around (spec gaps,
        invalid examples), each `{kind, where, message}`; the key is absent when there are none.
    """
    version = kodegen.__version__
    document: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": path, "digest": {"sha256": hashlib.sha256(files[path]).hexdigest()}}
            for path in sorted(files)
            if path != PATH
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"name": name, "spec": _redact(parameters)},
                "internalParameters": {"variables": _redact(variables)},
                "resolvedDependencies": [
                    {
                        "name": "specification",
                        "digest": _digest_set(spec_digest),
                    },
                    {
                        "name": f"template:{template_family}@{template_version}",
                        "uri": f"kodegen-template:{template_family}/{template_version}",
                        "digest": _digest_set(template_digest),
                        "annotations": {"family": template_family, "version": template_version},
                    },
                ],
            },
            "runDetails": {
                "builder": {
                    "id": f"{kodegen.GENERATOR}@{version}",
                    "version": {kodegen.GENERATOR: version},
                },
                "metadata": {"reproducible": True},
            },
            "gates": [_without_timings(report) for report in gates],
            "notImplemented": [dict(operation) for operation in not_implemented],
            "passed": passed,
        },
    }
    if warnings:
        document["predicate"]["specWarnings"] = [dict(warning) for warning in warnings]
    if isolation is not None:
        document["predicate"]["isolation"] = dict(isolation)
    if ai is not None:
        document["predicate"]["ai"] = _redact(dict(ai))
        document["predicate"]["runDetails"]["metadata"]["reproducible"] = False
    return document


def dump(document: Mapping[str, Any]) -> bytes:
    """The canonical file form: sorted keys, two-space indent, UTF-8, trailing newline."""
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode()


def _digest_set(digest: str) -> dict[str, str]:
    algorithm, _, value = digest.partition(":")
    if not value:
        raise ValueError(f"digest {digest!r} is not '<algorithm>:<hex>'")
    return {algorithm: value}


def _redact(value: Any) -> Any:
    """Copy `value`, replacing scalar values under secret-looking keys (`secretRef` stays)."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED
            if _SECRET_KEY.search(str(key)) and not isinstance(item, Mapping | list)
            else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def _without_timings(report: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key not in _TIMING_KEYS}
