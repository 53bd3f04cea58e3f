"""The observed state of a CodeGeneration, rebuilt by the operator on every pass."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from kodegen.api import base

Phase = Literal["Pending", "Queued", "Running", "Succeeded", "Failed"]
"""Where a CodeGeneration is: Pending (accepted), Queued (waiting for a slot), Running,
Succeeded or Failed."""

HISTORY_LIMIT = 20
"""Most runs kept in `status.history` (oldest dropped first)."""


class ResolvedTemplate(base.KodegenModel):
    """The template version the range resolved to."""

    kind: Literal["CodeTemplate", "ClusterCodeTemplate", "Builtin"] | None = None
    """Where the version came from: a CodeTemplate, a ClusterCodeTemplate or the image."""
    name: Annotated[str, Field(min_length=1, max_length=253)]
    """Name of the template object (`<family>/<version>` for a builtin template)."""
    family: Annotated[str, Field(min_length=1, max_length=63)]
    """Template family."""
    version: Annotated[str, Field(min_length=1, max_length=128)]
    """Template version."""
    digest: base.Digest
    """Digest of the template content."""


class JobStatus(base.KodegenModel):
    """The Job running the current generation."""

    name: base.ObjectName
    """Name of the Job."""
    attempts: Annotated[int, Field(ge=0)] = 0
    """Pods started for this input so far."""


class GenerationResult(base.KodegenModel):
    """Figures of the last finished run."""

    files: Annotated[int, Field(ge=0)] = 0
    """Files generated."""
    lines: Annotated[int, Field(ge=0)] = 0
    """Lines generated."""
    coverage: Annotated[float, Field(ge=0, le=100)] | None = None
    """Line coverage of the generated tests, in percent."""
    findings: dict[str, int] = Field(default_factory=dict)
    """Number of scanner findings by severity (`high`, `medium`, `low`)."""
    duration_seconds: Annotated[float, Field(ge=0)] | None = None
    """Wall time of the run, in seconds."""
    provider: Annotated[str, Field(max_length=64)] | None = None
    """AI provider that answered; null when no AI took part."""
    model: Annotated[str, Field(max_length=256)] | None = None
    """AI model that answered; null when no AI took part."""
    tokens: Annotated[int, Field(ge=0)] = 0
    """AI tokens used (prompt and completion)."""
    cost_usd: Annotated[float, Field(ge=0)] = Field(default=0.0, alias="costUSD")
    """AI cost of the run, in US dollars."""


class PullRequestStatus(base.KodegenModel):
    """The pull (merge) request carrying the code."""

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    """Web address of the pull request."""
    number: Annotated[int, Field(ge=1)]
    """Its number (GitLab: the merge request's iid)."""
    state: Literal["open", "closed", "merged"]
    """open, closed or merged."""


class GitPublication(base.KodegenModel):
    """Where the code was committed."""

    commit: Annotated[str, Field(min_length=1, max_length=64)]
    """Commit written (or found unchanged)."""
    branch: Annotated[str, Field(min_length=1, max_length=256)]
    """Branch it is on."""
    url: Annotated[str, Field(max_length=2048)] | None = None
    """The repository (user info removed)."""
    path: Annotated[str, Field(max_length=1024)] | None = None
    """Folder of the repository holding the code; the root when omitted."""
    changed: bool = True
    """False when the tree was already there and no commit was made."""
    pull_request: PullRequestStatus | None = None
    """The pull request, for `mode: pullRequest`."""


class OutputStatus(base.KodegenModel):
    """Where the code of a run was published."""

    config_maps: Annotated[list[str], Field(max_length=256)] = Field(default_factory=list)
    """Names of the ConfigMaps holding the code."""
    git: GitPublication | None = None
    """The commit holding the code."""


class HistoryEntry(base.KodegenModel):
    """One finished run."""

    revision: Annotated[int, Field(ge=1)]
    """Run number, counting from 1."""
    input_hash: base.Digest
    """Input hash of the run."""
    template_version: Annotated[str, Field(max_length=128)] | None = None
    """Template version the run used."""
    phase: Literal["Succeeded", "Failed"] | None = None
    """How the run ended."""
    output: OutputStatus | None = None
    """Where the run published its code."""
    finished_at: AwareDatetime
    """When the run finished (RFC 3339)."""


class CodeGenerationStatus(base.KodegenModel):
    """The observed state of a CodeGeneration."""

    phase: Phase | None = None
    """Pending, Queued, Running, Succeeded or Failed."""
    conditions: base.Conditions = Field(default_factory=list)
    """SpecValid, TemplateResolved, Generated, QualityGatesPassed, Published, Ready."""
    observed_generation: Annotated[int, Field(ge=0)] | None = None
    """`metadata.generation` this status was computed from."""
    input_hash: base.Digest | None = None
    """Digest of spec, resolved template digest, variables and generator version; an
    unchanged hash after success means there is nothing to do."""
    resolved_template: ResolvedTemplate | None = None
    """The template version the range resolved to."""
    job: JobStatus | None = None
    """The Job of the current run."""
    result: GenerationResult | None = None
    """Figures of the last finished run."""
    output: OutputStatus | None = None
    """Where the last successful run published its code."""
    history: Annotated[list[HistoryEntry], Field(max_length=HISTORY_LIMIT)] = Field(
        default_factory=list
    )
    """The last finished runs, newest last (at most 20)."""
    kopf: dict[str, Any] | None = Field(default=None, json_schema_extra=base.PRESERVE)
    """The operator framework's own records (kopf's handler progress and the last handled
    spec), kept here rather than in annotations so a large spec fits; kodegen never reads
    them."""
