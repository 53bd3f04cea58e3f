"""What every kodegen resource shares: the model configuration, object metadata, conditions.

Pure data: these models validate what they are given and do nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict

GROUP = "kodegen.dev"
"""The API group of every kodegen resource."""

VERSION = "v1alpha1"
"""The one served and stored version."""

API_VERSION: Literal["kodegen.dev/v1alpha1"] = "kodegen.dev/v1alpha1"
"""`apiVersion` of every kodegen object."""

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""A DNS-1123 label: namespaces, template families (at most 63 characters)."""

DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
"""A DNS-1123 subdomain: object names (at most 253 characters)."""

SEMVER = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
    r"(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
)
"""A semantic version (semver.org 2.0.0), written with [0-9] so Go, Rust and Python agree."""

PRESERVE: JsonDict = {"x-kubernetes-preserve-unknown-fields": True}
"""Schema marker of a free-form value (kept as it is by the API server)."""

DIGEST = r"^sha256:[0-9a-f]{64}$"
"""A content digest as kodegen writes it."""

ObjectName = Annotated[str, Field(min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN)]
"""The name of a Kubernetes object in the same namespace (ConfigMap, Secret, Job...)."""

Digest = Annotated[str, Field(pattern=DIGEST)]
"""`sha256:` followed by 64 lowercase hex digits."""


class KodegenModel(BaseModel):
    """Base of every kodegen API model: unknown fields are errors, fields are camelCase in
    YAML/JSON and snake_case in Python (both accepted on input), attribute docstrings become
    the descriptions of the generated CRD schemas."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


class ObjectMeta(KodegenModel):
    """The standard Kubernetes object metadata (every field of `metav1.ObjectMeta`, so an
    object read from the API server parses, and a misspelled field is still an error)."""

    name: ObjectName
    """Name of the object, a DNS-1123 subdomain."""
    generate_name: str | None = None
    """Prefix of a server-generated name."""
    namespace: Annotated[str, Field(max_length=63, pattern=DNS1123_LABEL)] | None = None
    """Namespace of the object; absent for cluster-scoped objects."""
    self_link: str | None = None
    """Deprecated by Kubernetes; kept so objects from old servers parse."""
    uid: str | None = None
    """Unique identifier set by the API server."""
    resource_version: str | None = None
    """Opaque version of the object set by the API server."""
    generation: int | None = None
    """Sequence number of the desired state (incremented on every spec change)."""
    creation_timestamp: str | None = None
    """When the object was created (RFC 3339)."""
    deletion_timestamp: str | None = None
    """When the object is to be deleted (RFC 3339)."""
    deletion_grace_period_seconds: int | None = None
    """Seconds allowed for graceful termination."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the object."""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations of the object."""
    owner_references: list[dict[str, Any]] = Field(default_factory=list)
    """Objects this one depends on (garbage collection)."""
    finalizers: list[str] = Field(default_factory=list)
    """Finalizers that must finish before the object is deleted."""
    managed_fields: list[dict[str, Any]] = Field(default_factory=list)
    """Server-side apply bookkeeping."""


ConditionStatus = Literal["True", "False", "Unknown"]
"""The status of a condition."""


class Condition(KodegenModel):
    """One aspect of the observed state, following the Kubernetes API conventions
    (`metav1.Condition`)."""

    type: Annotated[str, Field(min_length=1, max_length=316)]
    """Type of the condition in CamelCase (e.g. `Ready`)."""
    status: ConditionStatus
    """Status of the condition: True, False or Unknown."""
    reason: Annotated[
        str,
        Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"),
    ]
    """Machine-readable CamelCase reason for the last transition."""
    message: Annotated[str, Field(max_length=32768)] = ""
    """Human-readable details of the last transition."""
    observed_generation: Annotated[int, Field(ge=0)] | None = None
    """`metadata.generation` the condition was computed from."""
    last_transition_time: AwareDatetime
    """When the status last changed (RFC 3339)."""


CONDITION_LIST: JsonDict = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
"""Schema markers of a condition list: one entry per `type`."""

Conditions = Annotated[list[Condition], Field(max_length=32, json_schema_extra=CONDITION_LIST)]
"""The conditions of an object, at most one per type."""


def given(model: BaseModel, *fields: str) -> list[str]:
    """The camelCase names of those `fields` of `model` that are set (not None), for the
    messages of one-of validators."""
    return [
        model.__class__.model_fields[name].alias or name
        for name in fields
        if getattr(model, name) is not None
    ]


def one_of_rule(*aliases: str, at_most: bool = False) -> JsonDict:
    """The CEL rule (`x-kubernetes-validations` entry) saying that exactly one (or at most
    one) of the fields `aliases` is set: the API server's copy of a one-of validator."""
    count = " + ".join(f"(has(self.{alias}) ? 1 : 0)" for alias in aliases)
    names = ", ".join(aliases)
    if at_most:
        return {"rule": f"{count} <= 1", "message": f"set at most one of {names}"}
    return {"rule": f"{count} == 1", "message": f"set exactly one of {names}"}


class LabelSelectorRequirement(KodegenModel):
    """One requirement of a label selector (`metav1.LabelSelectorRequirement`)."""

    key: Annotated[str, Field(min_length=1, max_length=317)]
    """The label key the requirement applies to."""
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    """How the key relates to the values."""
    values: Annotated[list[str], Field(max_length=64)] = Field(default_factory=list)
    """Values for In and NotIn; empty for Exists and DoesNotExist."""


class LabelSelector(KodegenModel):
    """A Kubernetes label selector (`metav1.LabelSelector`); the requirements are ANDed."""

    match_labels: dict[str, str] = Field(default_factory=dict)
    """Labels that must all be present with these values."""
    match_expressions: Annotated[list[LabelSelectorRequirement], Field(max_length=16)] = Field(
        default_factory=list
    )
    """Further requirements on labels."""
