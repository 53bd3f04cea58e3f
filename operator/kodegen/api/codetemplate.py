"""CodeTemplate and ClusterCodeTemplate: one immutable version of a code template.

:class:`CodeTemplateSpec` is also the schema of `templates/<family>/<version>/template.yaml`
of the builtin templates (which leave `source` out: the folder is the source).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from kodegen.api import base, refs
from kodegen.api import specification as spec_api
from kodegen.documents import regex

Family = Annotated[str, Field(min_length=1, max_length=63, pattern=base.DNS1123_LABEL)]
"""A template family name, e.g. `python-fastapi-service` (a DNS-1123 label)."""

Version = Annotated[str, Field(max_length=128, pattern=base.SEMVER)]
"""A semantic version, e.g. `1.0.0`."""

Category = Literal["service", "repository", "apiHandler", "model", "test", "documentation"]
"""What a template generates."""

VariableType = Literal["string", "integer", "number", "boolean", "array", "object"]
"""The JSON type of a template variable."""

RolloutStrategy = Literal["Manual", "Automatic", "Canary"]
"""How CodeGenerations move to a new version of a template."""

DEFAULT_SPEC_TYPES: tuple[spec_api.SpecType, ...] = ("openapi",)
"""Specification types of a template that does not list them."""

MUTABLE_FIELDS: tuple[str, ...] = ("deprecated", "rollout")
"""The only spec fields that may change after creation; every other one is immutable."""

CONDITION_TYPES: tuple[str, ...] = ("Validated", "Ready")
"""Condition types the operator sets on templates (Ready = content fetched and every test
rendered and passed its gates)."""

BUILTIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/" + base.SEMVER.removeprefix("^")
"""`<family>/<version>` of a template shipped inside the image."""


class TemplateVariable(base.KodegenModel):
    """A typed variable of a template, validated before rendering."""

    name: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    """Name of the variable, usable in the template files (an identifier)."""
    type: VariableType = "string"
    """JSON type of the value: string, integer, number, boolean, array or object."""
    required: bool = False
    """Whether a CodeGeneration must give a value."""
    default: Any = Field(default=None, json_schema_extra=base.PRESERVE)
    """Value used when the CodeGeneration gives none."""
    pattern: Annotated[str, Field(max_length=1024)] | None = None
    """Regular expression a string value must match (Python `re` syntax, anchored by you)."""
    enum: Annotated[list[Any], Field(max_length=256)] | None = None
    """The allowed values."""
    description: Annotated[str, Field(max_length=4096)] | None = None
    """What the variable means, shown to users."""

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None and regex.compile_re2(value) is None:
            raise ValueError(
                "pattern is not a regular expression RE2 can run; values are matched in linear "
                "time, so lookaround and backreferences are not available"
            )
        return value

    @model_validator(mode="after")
    def _pattern_needs_string(self) -> TemplateVariable:
        if self.pattern is not None and self.type != "string":
            raise ValueError(f"variable {self.name}: pattern applies to type string only")
        return self


class InlineSource(base.KodegenModel):
    """Template files written in the resource itself."""

    files: Annotated[dict[str, str], Field(min_length=1, max_length=256)]
    """Path under `files/` (e.g. `app/main.py.j2`) to its content."""


class TemplateSource(base.KodegenModel):
    """Where the template files are: exactly one of builtin, inline, configMapRef, git."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                base.one_of_rule("builtin", "inline", "configMapRef", "git")
            ]
        }
    )

    builtin: Annotated[str, Field(max_length=256, pattern=BUILTIN)] | None = None
    """`<family>/<version>` of a template shipped in `templates/` inside the image."""
    inline: InlineSource | None = None
    """Files written in the resource."""
    config_map_ref: refs.ConfigMapRef | None = None
    """A ConfigMap whose keys are the file paths (`/` written as `__`) and values their
    content."""
    git: refs.GitDirRef | None = None
    """A folder of a Git repository, at a commit or tag."""

    @model_validator(mode="after")
    def _exactly_one(self) -> TemplateSource:
        found = base.given(self, "builtin", "inline", "config_map_ref", "git")
        if len(found) != 1:
            raise ValueError(
                "source: set exactly one of builtin, inline, configMapRef, git "
                f"(got {', '.join(found) or 'none'})"
            )
        return self


class TemplateTest(base.KodegenModel):
    """A specification the template must turn into code that passes the quality gates."""

    name: Annotated[str, Field(min_length=1, max_length=63, pattern=base.DNS1123_LABEL)]
    """Name of the test (a DNS-1123 label)."""
    specification: spec_api.Specification
    """The specification to generate from."""
    variables: dict[str, Any] = Field(default_factory=dict, json_schema_extra=base.PRESERVE)
    """Values of the template variables."""


class Rollout(base.KodegenModel):
    """How CodeGenerations that ask for a version range move to this version."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.strategy == 'Canary' ? has(self.percent) : "
                    "!has(self.percent) && !has(self.selector) && !has(self.maxFailures)",
                    "message": "percent is required with strategy Canary; percent, selector "
                    "and maxFailures are allowed with Canary only",
                }
            ]
        }
    )

    strategy: RolloutStrategy = "Manual"
    """Manual (regenerate on request), Automatic (regenerate every matching
    CodeGeneration) or Canary (a share first, then the rest)."""
    percent: Annotated[int, Field(ge=1, le=100)] | None = None
    """Canary: the share of matching CodeGenerations moved first."""
    selector: base.LabelSelector | None = None
    """Canary: which CodeGenerations may be in the first share."""
    max_failures: Annotated[int, Field(ge=0)] | None = None
    """Canary: failures in the first share that stop the rollout."""

    @model_validator(mode="after")
    def _canary_fields(self) -> Rollout:
        if self.strategy == "Canary":
            if self.percent is None:
                raise ValueError("rollout: percent is required with strategy Canary")
        else:
            extra = base.given(self, "percent", "selector", "max_failures")
            if extra:
                raise ValueError(
                    f"rollout: {', '.join(extra)} apply to strategy Canary only, "
                    f"not {self.strategy}"
                )
        return self


class Entrypoints(base.KodegenModel):
    """Where the generated project's pieces are, for the quality gates. Each value is a
    Jinja expression over the template variables."""

    package: Annotated[str, Field(min_length=1, max_length=512)] = "{{ packageName }}"
    """The importable package (e.g. `{{ packageName }}`)."""
    app: Annotated[str, Field(min_length=1, max_length=512)] | None = None
    """The ASGI application as `module:attribute` (e.g. `{{ packageName }}.main:app`)."""
    openapi: Annotated[str, Field(min_length=1, max_length=512)] | None = None
    """The OpenAPI document of the generated service, relative to the project root."""


def _immutable_spec(schema: JsonDict, cls: type[Any]) -> None:
    """Add the CEL transition rule that makes every spec field but MUTABLE_FIELDS immutable."""
    checks = []
    for name, field in cls.model_fields.items():
        if name in MUTABLE_FIELDS:
            continue
        alias = field.alias or name
        if field.is_required():
            checks.append(f"self.{alias} == oldSelf.{alias}")
        else:
            checks.append(
                f"has(self.{alias}) == has(oldSelf.{alias}) && "
                f"(!has(self.{alias}) || self.{alias} == oldSelf.{alias})"
            )
    schema["x-kubernetes-validations"] = [
        {
            "rule": " && ".join(f"({check})" for check in checks),
            "message": "a template version is immutable: only deprecated and rollout may "
            "change; publish a new version instead",
        }
    ]


def _unique_names(kind: str, items: list[Any]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{kind} {item.name!r} is declared twice")
        seen.add(item.name)


class CodeTemplateSpec(base.KodegenModel):
    """One version of a template. Immutable once created, except deprecated and rollout."""

    model_config = ConfigDict(json_schema_extra=_immutable_spec)

    family: Family
    """The family CodeGenerations ask for, e.g. `python-fastapi-service`."""
    version: Version
    """Semantic version of this template, e.g. `1.0.0`."""
    language: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9+#.-]*$")]
    """Language of the generated code, lowercase (e.g. `python`)."""
    category: Category
    """What the template generates."""
    spec_types: Annotated[
        list[spec_api.SpecType],
        Field(
            min_length=1,
            max_length=len(spec_api.SPEC_TYPES),
            json_schema_extra={"x-kubernetes-list-type": "set"},
        ),
    ] = Field(default_factory=lambda: list(DEFAULT_SPEC_TYPES))
    """Specification types the template can generate from."""
    variables: Annotated[
        list[TemplateVariable],
        Field(
            max_length=64,
            json_schema_extra={
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
            },
        ),
    ] = Field(default_factory=list)
    """The typed variables of the template."""
    source: TemplateSource | None = None
    """Where the template files are (builtin templates on disk leave it out)."""
    tests: Annotated[
        list[TemplateTest],
        Field(
            max_length=32,
            json_schema_extra={
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
            },
        ),
    ] = Field(default_factory=list)
    """Specifications the template must handle; a template without tests is never Ready."""
    deprecated: bool = False
    """Deprecated versions are resolved only when nothing else matches (mutable)."""
    rollout: Rollout = Field(default_factory=Rollout)
    """How CodeGenerations move to this version (mutable)."""
    entrypoints: Entrypoints = Field(default_factory=Entrypoints)
    """Where the generated project's package, app and OpenAPI document are."""

    @field_validator("spec_types")
    @classmethod
    def _distinct_spec_types(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"specTypes lists a type twice: {value}")
        return value

    @model_validator(mode="after")
    def _distinct_names(self) -> CodeTemplateSpec:
        _unique_names("variable", self.variables)
        _unique_names("test", self.tests)
        return self


class TemplateTestResult(base.KodegenModel):
    """The outcome of one template test."""

    name: Annotated[str, Field(min_length=1, max_length=63)]
    """Name of the test."""
    passed: bool
    """Whether the code rendered and passed every quality gate."""
    coverage: Annotated[float, Field(ge=0, le=100)] | None = None
    """Line coverage of the generated tests, in percent."""
    findings: dict[str, int] = Field(default_factory=dict)
    """Number of scanner findings by severity."""
    message: Annotated[str, Field(max_length=4096)] | None = None
    """Why the test failed."""


RolloutPhase = Literal["Waiting", "Progressing", "Complete", "Halted"]


class RolloutStatus(base.KodegenModel):
    """How far CodeGenerations have moved to this version."""

    phase: RolloutPhase | None = None
    """Waiting (Manual: users regenerate when they choose), Progressing (canaries running),
    Complete (every user may move) or Halted (too many canaries failed)."""
    canaries: Annotated[list[str], Field(max_length=256)] = Field(default_factory=list)
    """CodeGenerations (`namespace/name`) moved first, under strategy Canary."""
    succeeded: Annotated[list[str], Field(max_length=256)] = Field(default_factory=list)
    """Canaries whose run on this version passed every gate."""
    failed: Annotated[list[str], Field(max_length=256)] = Field(default_factory=list)
    """Canaries whose run on this version failed."""


class CodeTemplateStatus(base.KodegenModel):
    """The observed state of a template version."""

    observed_generation: Annotated[int, Field(ge=0)] | None = None
    """`metadata.generation` this status was computed from."""
    conditions: base.Conditions = Field(default_factory=list)
    """Validated and Ready."""
    content_digest: base.Digest | None = None
    """Digest of the fetched template files."""
    commit: Annotated[str, Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")] | None = None
    """For a git source: the commit its ref resolved to when it was validated."""
    tests: Annotated[
        list[TemplateTestResult],
        Field(
            max_length=32,
            json_schema_extra={
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
            },
        ),
    ] = Field(default_factory=list)
    """The outcome of each test."""
    used_by: Annotated[int, Field(ge=0)] = 0
    """Number of CodeGenerations resolved to this version."""
    rollout: RolloutStatus | None = None
    """Progress of the move of CodeGenerations to this version."""
    kopf: dict[str, Any] | None = Field(default=None, json_schema_extra=base.PRESERVE)
    """The operator framework's own records (kopf's handler progress and the last handled
    spec), kept here rather than in annotations; kodegen never reads them."""


class CodeTemplate(base.KodegenModel):
    """One immutable version of a code template, owned by a team (namespaced)."""

    api_version: Literal["kodegen.dev/v1alpha1"]
    """API version: kodegen.dev/v1alpha1."""
    kind: Literal["CodeTemplate"]
    """Kind: CodeTemplate."""
    metadata: base.ObjectMeta
    """Standard object metadata."""
    spec: CodeTemplateSpec
    """The template version."""
    status: CodeTemplateStatus = Field(default_factory=CodeTemplateStatus)
    """Observed state, written by the operator."""


class ClusterCodeTemplate(base.KodegenModel):
    """One immutable version of a code template, published by the platform team for every
    namespace (cluster-scoped)."""

    api_version: Literal["kodegen.dev/v1alpha1"]
    """API version: kodegen.dev/v1alpha1."""
    kind: Literal["ClusterCodeTemplate"]
    """Kind: ClusterCodeTemplate."""
    metadata: base.ObjectMeta
    """Standard object metadata."""
    spec: CodeTemplateSpec
    """The template version."""
    status: CodeTemplateStatus = Field(default_factory=CodeTemplateStatus)
    """Observed state, written by the operator."""
