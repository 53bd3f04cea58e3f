"""What identifies a run: its input hash, and the names of the objects derived from it.

    input_hash(spec, template_digest)  sha256 over the spec's inputs, the resolved template's
                                       digest and the generator version (DESIGN.md §1)
    job(name, digest)                  `<name>-<hash8>`, shortened to a DNS-1123 label
    request(name, digest)              ConfigMap holding the frozen request
    result(name, digest)               ConfigMap the Job writes its result to
    output(name)                       default ConfigMap of the generated code

Every name is a pure function of the CodeGeneration's name and the input hash, so a handler that
runs twice (kopf is at-least-once) asks for the same objects and finds them already there.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import kodegen
from kodegen.api import codegeneration

__all__ = [
    "LABEL_GENERATION",
    "LABEL_INPUT_HASH",
    "LABEL_MANAGED_BY",
    "LABEL_ROLE",
    "generation_label",
    "hash8",
    "input_hash",
    "job",
    "labels",
    "output",
    "request",
    "result",
]

LABEL_GENERATION = "kodegen.dev/generation"
"""Name of the CodeGeneration an object belongs to."""
LABEL_INPUT_HASH = "kodegen.dev/input-hash"
"""The 8-hex-digit input hash of the run an object belongs to."""
LABEL_ROLE = "kodegen.dev/role"
"""request, result, or job."""
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_TEMPLATE = "kodegen.dev/template"
"""Name of the template resource whose tests an object belongs to."""
LABEL_TEMPLATE_KIND = "kodegen.dev/template-kind"

LABEL_MAX = 63
"""Longest DNS-1123 label: a Job's name becomes its pods' `job-name` label value."""
NAME_MAX = 253
"""Longest object name (DNS-1123 subdomain)."""

_NOT_INPUTS = frozenset({"suspend", "drift_policy"})
"""Spec fields that change whether a run starts, or what happens to its output afterwards,
not what it produces."""


def input_hash(spec: codegeneration.CodeGenerationSpec, template_digest: str) -> str:
    """`sha256:<hex>` of what decides the output: every spec field but `suspend`, the resolved
    template's content digest and the generator version. Key order and defaults do not matter:
    the spec is dumped by the model, in its canonical JSON form."""
    inputs: dict[str, Any] = {
        "spec": spec.model_dump(mode="json", by_alias=True, exclude=set(_NOT_INPUTS)),
        "template": template_digest,
        "generator": f"{kodegen.GENERATOR}/{kodegen.__version__}",
    }
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def hash8(digest: str) -> str:
    """The first 8 hex digits of a `sha256:` digest: enough to tell runs of one object apart."""
    return digest.removeprefix("sha256:")[:8]


def job(name: str, digest: str) -> str:
    return _within(name, f"-{hash8(digest)}", LABEL_MAX)


def request(name: str, digest: str) -> str:
    return _within(name, f"-request-{hash8(digest)}", NAME_MAX)


def result(name: str, digest: str) -> str:
    return _within(name, f"-result-{hash8(digest)}", NAME_MAX)


def template_job(name: str, digest: str) -> str:
    """The Job testing template resource `name` at content digest `digest`."""
    return _within(name, f"-test-{hash8(digest)}", LABEL_MAX)


def template_request(name: str, digest: str) -> str:
    return _within(name, f"-test-request-{hash8(digest)}", NAME_MAX)


def template_result(name: str, digest: str) -> str:
    return _within(name, f"-test-result-{hash8(digest)}", NAME_MAX)


def template_labels(kind: str, name: str, digest: str, role: str) -> dict[str, str]:
    """Labels of the objects of a template's test run (role: template-request, -result, -job)."""
    return {
        LABEL_MANAGED_BY: kodegen.GENERATOR,
        LABEL_TEMPLATE: generation_label(name),
        LABEL_TEMPLATE_KIND: kind,
        LABEL_INPUT_HASH: hash8(digest),
        LABEL_ROLE: role,
    }


def output(name: str) -> str:
    return _within(name, "-code", NAME_MAX)


def generation_label(name: str) -> str:
    """The value of `LABEL_GENERATION` for the CodeGeneration `name` (label values are short)."""
    return _within(name, "", LABEL_MAX)


def labels(name: str, digest: str, role: str) -> dict[str, str]:
    """Labels of every object a run creates: found again by selector, never by guessing."""
    return {
        LABEL_MANAGED_BY: kodegen.GENERATOR,
        LABEL_GENERATION: generation_label(name),
        LABEL_INPUT_HASH: hash8(digest),
        LABEL_ROLE: role,
    }


def _within(name: str, suffix: str, limit: int) -> str:
    """`name + suffix`, or when that is too long, a prefix of `name` plus 5 hex digits of its
    hash (so two long names that share a prefix stay distinct) plus `suffix`."""
    if len(name) + len(suffix) <= limit:
        return name + suffix
    tag = hashlib.sha256(name.encode()).hexdigest()[:5]
    room = limit - len(suffix) - len(tag) - 1
    return f"{name[:room].rstrip('-.')}-{tag}{suffix}"
