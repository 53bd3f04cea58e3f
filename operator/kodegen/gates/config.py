"""What the gates are told about the project they judge, and how strictly to judge it."""

from __future__ import annotations

import dataclasses
from typing import Literal

from kodegen.gates import environment, isolation

__all__ = ["SEVERITIES", "GateConfig", "Severity"]

Severity = Literal["low", "medium", "high"]

SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
"""Every severity, from the least to the most severe."""


@dataclasses.dataclass(frozen=True)
class GateConfig:
    """Settings of one run of the gates: `spec.qualityGates` plus the template's entrypoints."""

    package: str
    """The import name of the generated package (`petstore`): what coverage is measured on."""

    app: str | None
    """The ASGI application as `module:attribute` (`petstore.main:app`), or None if there is none.

    The contract gate imports it in-process; without it the contract gate is disabled.
    """

    openapi: str | None
    """The source OpenAPI document, relative to the project (`petstore/openapi.json`).

    The contract gate tests the app against this file, not against the schema the framework
    generates from the code: the specification is the contract, the code must honour it.
    """

    graphql: str | None = None
    """The source GraphQL schema (SDL text) of a GraphQL service, or None for any other project.

    When set, the contract gate checks that the schema `app` serves (introspection) equals this
    one and that real queries are answered, instead of running schemathesis: the
    specification is the contract, as for OpenAPI.
    """

    min_coverage: float = 95.0
    """Minimal line coverage of `package` by the project's tests, in percent.

    95 rather than 100: generated code has a few defensive lines (error handlers, `__main__`
    guards) whose tests would cost more than they prove; below 95 whole behaviours go untested.
    """

    fail_on_severity: Severity = "medium"
    """The least bandit severity that fails the security gate.

    `medium` because bandit's `low` issues are mostly advice (importing `subprocess`, `assert`)
    that would drown real problems; `medium` and `high` are issues a reviewer would block.
    """

    contract: bool = True
    """Whether to run the contract gate (schemathesis against the app) at all; see
    `contract_skipped` for when it does not apply."""

    timeout_seconds: float = 180.0
    """Wall-time limit of each gate, in seconds; a gate past it is killed and fails.

    180 s is far above what a generated service needs (a couple of seconds) yet bounds a test
    suite stuck in an infinite loop or waiting on a network that is not there.
    """

    memory_mb: int = 2048
    """Address-space limit of each gate subprocess, in MiB (`RLIMIT_AS`).

    Address space, not resident memory: Python with its thread stacks and mapped libraries
    reserves several hundred MiB it never touches, so 2 GiB is roomy for pytest or schemathesis
    while still stopping a runaway allocation long before it hurts the node. Gates run in
    parallel, so the worst case is six times this.
    """

    max_examples: int = 25
    """Cases schemathesis generates per API operation.

    25 finds the usual contract breaks (undocumented status codes, wrong response shapes,
    server errors on edge values) in about a second for a small API; more is for fuzzing.
    A large API gets fewer per operation (`max_cases`).
    """

    max_cases: int = 400
    """Cases schemathesis sends in all, at most: with many operations each gets
    `max_cases // operations` (never fewer than `contract_min_examples`, never more than
    `max_examples`).

    A case costs ~20-40 ms of CPU; 400 keep the contract gate near 10 s on one core. The
    breaks it looks for show in the first cases of an operation (on the corpus, 9 cases per
    operation found every failure 25 found, in half the time); an API of 16 operations or
    fewer is not affected.
    """

    contract_min_examples: int = 5
    """The fewest cases an operation gets however large the API (`max_cases`)."""

    isolation: isolation.Policy = "best-effort"
    """What to do where the sandbox cannot fully contain generated code (`isolation` module).

    `required` refuses to run generated code (tests, contract) without namespaces and a
    process-count limit: those gates fail, naming what is missing. `best-effort` runs it with
    a warning in every report. The pipeline passes `qualityGates.isolation`, or where the
    manifest does not say, `KODEGEN_ISOLATION` (`required` in the operator image).
    """

    spec_gaps: tuple[tuple[str, str, int], ...] = ()
    """(method, path, status) answers the contract gate accepts though the specification does
    not document them: the spec gaps the generator reported (a case the service must answer,
    such as an unknown id, for which the operation documents no status). Nothing else is
    accepted; `path` is spelled as in the specification, `method` in upper case."""

    interpreter: environment.Environment = environment.OWN
    """The Python that runs the project's code (tests, contract): kodegen's own, or a cached
    virtualenv adding the packages the project declares that kodegen lacks. The runner sets
    it (`environment.prepare`); a problem there fails the gates that run generated code."""

    def contract_skipped(self) -> str | None:
        """Why the contract gate does not run (it then passes, by design), or None if it runs.

        A project without an app (a package of models, a library) has no contract to test: that
        is not a failure, and the reason says so rather than a bare "disabled".
        """
        if not self.contract:
            return "disabled: spec.qualityGates.contract is false"
        if self.app is None:
            return (
                "not applicable: the template declares no app (entrypoints.app), "
                "so there is no served API to test (a models-only or library project)"
            )
        if self.openapi is None:
            return (
                "not applicable: the template declares no OpenAPI document "
                "(entrypoints.openapi) to test the app against"
            )
        return None

    def __post_init__(self) -> None:
        rules = (
            ("min_coverage", 0.0 <= self.min_coverage <= 100.0, "a percentage from 0 to 100"),
            ("fail_on_severity", self.fail_on_severity in SEVERITIES, "'low', 'medium' or 'high'"),
            ("timeout_seconds", self.timeout_seconds > 0, "a positive number of seconds"),
            ("memory_mb", self.memory_mb > 0, "a positive number of MiB"),
            ("max_examples", self.max_examples >= 1, "at least 1"),
            ("max_cases", self.max_cases >= 1, "at least 1"),
            ("contract_min_examples", self.contract_min_examples >= 1, "at least 1"),
            ("isolation", self.isolation in isolation.POLICIES, "'required' or 'best-effort'"),
        )
        for field, valid, expected in rules:
            if not valid:
                raise ValueError(
                    f"GateConfig.{field}={getattr(self, field)!r}: expected {expected}"
                )
