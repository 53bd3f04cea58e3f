"""CodeGeneration: a request to turn a specification into code with a template version."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from kodegen.api import base, codegeneration_status, refs
from kodegen.api import codetemplate as template_api
from kodegen.api import specification as spec_api

VersionRange = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z.*^~<>=|, +-]+$")
]
"""A semver range: `*`, `1.0.0`, `^1.0`, `~1.2`, `>=1.0,<2` …"""

AIMode = Literal["off", "assist", "full"]
"""off: deterministic templates only; assist: AI fills the gaps templates leave; full: AI
writes the code."""

ProviderName = Literal["anthropic", "openai", "google", "ollama"]
"""The AI providers kodegen has adapters for."""

Severity = Literal["low", "medium", "high"]
DriftPolicy = Literal["Ignore", "Report", "Restore"]
"""What to do when published output was edited by hand: nothing, condition Drifted=True, or
put it back (Git: a new commit, never a force push)."""
IsolationPolicy = Literal["required", "best-effort"]
"""Severity of a scanner finding."""

CONDITION_TYPES: tuple[str, ...] = (
    "SpecValid",
    "TemplateResolved",
    "Generated",
    "QualityGatesPassed",
    "Published",
    "Ready",
    "Reconciling",
    "Stalled",
)
"""Condition types the operator sets on a CodeGeneration, in pipeline order, then kstatus's
abnormal-true pair: `Reconciling` (a run is queued or in progress) and `Stalled` (it cannot
start)."""


class TemplateRef(base.KodegenModel):
    """Which template to generate with: a family and a semver range of its versions."""

    family: template_api.Family
    """Template family, e.g. `python-fastapi-service`."""
    version: VersionRange = "*"
    """Semver range of acceptable versions; the highest ready, non-deprecated match wins."""
    scope: Literal["Namespace", "Cluster"] | None = None
    """Look for CodeTemplates (Namespace) or ClusterCodeTemplates (Cluster) only; both, the
    namespace first, when omitted."""


class Preferences(base.KodegenModel):
    """Preferences a template or an AI provider follows where it has a choice."""

    language: Annotated[str, Field(max_length=64)] | None = None
    """Programming language, e.g. `python`."""
    framework: Annotated[str, Field(max_length=64)] | None = None
    """Framework, e.g. `fastapi`."""
    test_framework: Annotated[str, Field(max_length=64)] | None = None
    """Test framework, e.g. `pytest`."""


class AIProvider(base.KodegenModel):
    """One AI provider; providers are tried in order, with failover."""

    provider: ProviderName
    """The provider: anthropic, openai, google or ollama."""
    model: Annotated[str, Field(min_length=1, max_length=256)]
    """Model name as the provider spells it."""
    secret_ref: refs.SecretKeyRef | None = None
    """Secret key holding the API key (not needed for a local ollama)."""
    base_url: Annotated[str, Field(min_length=1, max_length=2048)] | None = Field(
        default=None, alias="baseURL"
    )
    """Base URL of the API, for self-hosted or proxied endpoints."""


class AISpec(base.KodegenModel):
    """Whether and how AI takes part in the generation."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.mode) || self.mode == 'off' || "
                    "(has(self.providers) && size(self.providers) > 0)",
                    "message": "mode assist or full needs at least one provider",
                }
            ]
        }
    )

    mode: AIMode = "off"
    """off (deterministic templates only), assist or full."""
    providers: Annotated[list[AIProvider], Field(max_length=8)] = Field(default_factory=list)
    """Providers tried in order, with failover."""
    max_cost_usd: Annotated[float, Field(ge=0)] = Field(default=2.0, alias="maxCostUSD")
    """Budget of one generation in US dollars; the run stops when it is spent."""
    repair_attempts: Annotated[int, Field(ge=0, le=10)] = 2
    """How often AI may repair code that failed a quality gate."""

    @model_validator(mode="after")
    def _providers_when_on(self) -> AISpec:
        if self.mode != "off" and not self.providers:
            raise ValueError(f"ai: mode {self.mode!r} needs at least one provider in providers")
        return self


class QualityGates(base.KodegenModel):
    """What the generated code must pass before it is published."""

    min_coverage: Annotated[float, Field(ge=0, le=100)] = 95.0
    """Minimum line coverage of the generated tests, in percent (0 to 100)."""
    fail_on_severity: Severity = "medium"
    """Fail on scanner findings of this severity or higher: low, medium or high."""
    contract: bool = True
    """Run the contract tests (the service must honour its OpenAPI document)."""
    isolation: IsolationPolicy | None = None
    """How the gates must contain the generated code they run (tests, contract): `required`
    refuses to run it where the sandbox lacks namespaces (bubblewrap: read-only system, private
    processes, no network) or a process-count limit; `best-effort` runs it anyway, with a
    warning in the status and the provenance. Omitted: the operator's default,
    `KODEGEN_ISOLATION` (`required` in the operator image)."""


class ConfigMapOutput(base.KodegenModel):
    """Publish the code as ConfigMaps (chunked when large)."""

    name: base.ObjectName
    """Name of the (first) ConfigMap."""


GitMode = Literal["push", "pullRequest"]
"""push: commit to the branch; pullRequest: commit to a branch named after the input hash and
open (or update) a pull request into the branch."""

ForgeName = Literal["github", "gitlab", "gitea"]
"""The forges whose pull/merge request APIs kodegen speaks (Forgejo speaks Gitea's)."""

BranchName = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9._/-]+$")]
"""A branch name: letters, digits, `.`, `_`, `/` and `-` (git check-ref-format decides the
rest)."""


class GitAuthor(base.KodegenModel):
    """Author and committer of kodegen's commits."""

    name: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^<>\n]+$")] = "kodegen"
    """Name of the author."""
    email: Annotated[str, Field(min_length=3, max_length=256, pattern=r"^[^<>\s]+@[^<>\s]+$")] = (
        "kodegen@kodegen.dev"
    )
    """Email address of the author."""


class PullRequestSettings(base.KodegenModel):
    """Which forge API opens the pull (merge) request, for `mode: pullRequest`."""

    provider: ForgeName
    """github, gitlab or gitea (also Forgejo)."""
    api_url: Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^https?://")] | None = (
        Field(default=None, alias="apiURL")
    )
    """Base URL of the forge's REST API; default: https://api.github.com for github, the
    repository's host + /api/v4 for gitlab, + /api/v1 for gitea."""


class GitOutput(base.KodegenModel):
    """Publish the code as a commit to a Git branch (no commit when nothing changed)."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.mode) || self.mode != 'pullRequest' || "
                    "has(self.pullRequest)",
                    "message": "mode pullRequest needs pullRequest.provider",
                }
            ]
        }
    )

    url: refs.GitUrl
    """URL of the repository (https, ssh or git; user info in it is refused)."""
    branch: BranchName
    """Branch to commit to (pullRequest: the branch the pull request targets)."""
    path: refs.RepoPath | None = None
    """Folder of the repository to write to; the root when omitted. Nothing outside it
    changes."""
    secret_ref: refs.SecretRef | None = None
    """Secret with the credentials: `token` (or `username`/`password`) for https and the forge
    API, or `ssh-privatekey` with `known_hosts` (required) for ssh."""
    mode: GitMode = "push"
    """push: commit to `branch`; pullRequest: commit to `kodegen/<input hash>` and open or
    update a pull request into `branch`."""
    author: GitAuthor = Field(default_factory=GitAuthor)
    """Author and committer of the commits."""
    message: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Commit message template; placeholders `{name}`, `{namespace}`, `{family}`,
    `{version}`, `{inputHash}`, `{files}`. Trailers with the input hash and the provenance
    digest are always appended."""
    pull_request: PullRequestSettings | None = None
    """The forge API for `mode: pullRequest`."""

    @model_validator(mode="after")
    def _forge_for_pull_requests(self) -> GitOutput:
        if self.mode == "pullRequest" and self.pull_request is None:
            raise ValueError("output.git: mode pullRequest needs pullRequest.provider")
        return self


class Output(base.KodegenModel):
    """Where the code goes: at most one of configMap and git; a ConfigMap named
    `<name>-code` when neither is set."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [base.one_of_rule("configMap", "git", at_most=True)]
        }
    )

    config_map: ConfigMapOutput | None = None
    """ConfigMaps in the namespace of the CodeGeneration."""
    git: GitOutput | None = None
    """A Git repository."""

    @model_validator(mode="after")
    def _at_most_one(self) -> Output:
        found = base.given(self, "config_map", "git")
        if len(found) > 1:
            raise ValueError(f"output: set at most one of configMap, git (got {', '.join(found)})")
        return self


class CodeGenerationSpec(base.KodegenModel):
    """The desired generation."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!(self.specification.type in "
                    f"{list(spec_api.AI_ONLY_SPEC_TYPES)!r}) || "
                    "(has(self.ai) && has(self.ai.mode) && self.ai.mode != 'off')",
                    "message": "specification types adr and userStory need ai.mode assist or full",
                }
            ]
        }
    )

    specification: spec_api.Specification
    """The formal specification to generate from."""
    template: TemplateRef
    """The template family and version range."""
    variables: dict[str, Any] = Field(default_factory=dict, json_schema_extra=base.PRESERVE)
    """Values of the template variables."""
    preferences: Preferences = Field(default_factory=Preferences)
    """Language, framework and test framework preferences."""
    ai: AISpec = Field(default_factory=AISpec)
    """AI participation; off by default."""
    quality_gates: QualityGates = Field(default_factory=QualityGates)
    """Coverage, severity and contract thresholds."""
    output: Output = Field(default_factory=Output)
    """Where the code is published."""
    drift_policy: DriftPolicy = "Report"
    """Published output edited by hand (Git output): Ignore, Report (condition Drifted=True
    with the files) or Restore (a new commit putting the folder back). Not an input: changing
    it starts no run."""
    suspend: bool = False
    """Stop starting new runs (a running one finishes)."""
    regenerate: Annotated[str, Field(max_length=253)] = ""
    """Change the value to force a new run with unchanged inputs."""

    @model_validator(mode="after")
    def _ai_for_ai_only_types(self) -> CodeGenerationSpec:
        kind = self.specification.type
        if kind in spec_api.AI_ONLY_SPEC_TYPES and self.ai.mode == "off":
            raise ValueError(f"specification type {kind!r} needs AI: set ai.mode to assist or full")
        return self


class CodeGeneration(base.KodegenModel):
    """A request: a specification, a template version range, preferences, AI, quality gates
    and where the code goes."""

    api_version: Literal["kodegen.dev/v1alpha1"]
    """API version: kodegen.dev/v1alpha1."""
    kind: Literal["CodeGeneration"]
    """Kind: CodeGeneration."""
    metadata: base.ObjectMeta
    """Standard object metadata."""
    spec: CodeGenerationSpec
    """The desired generation."""
    status: codegeneration_status.CodeGenerationStatus = Field(
        default_factory=codegeneration_status.CodeGenerationStatus
    )
    """Observed state, written by the operator."""
