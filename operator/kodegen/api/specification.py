"""The formal specification a CodeGeneration (or a template test) generates code from."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from kodegen.api import base, refs

SpecType = Literal["openapi", "jsonSchema", "graphql", "adr", "userStory"]
"""The kinds of specification kodegen reads; `adr` and `userStory` need AI."""

SPEC_TYPES: tuple[SpecType, ...] = ("openapi", "jsonSchema", "graphql", "adr", "userStory")
"""Every specification type, in the order of the fields of :class:`Specification`."""

AI_ONLY_SPEC_TYPES: tuple[SpecType, ...] = ("adr", "userStory")
"""Specification types that only an AI provider can turn into code."""

OperationId = Annotated[str, Field(min_length=1, max_length=256)]
"""An operation name (OpenAPI `operationId`, GraphQL field)."""

Operations = Annotated[list[OperationId], Field(max_length=1024)]
"""A subset of operations; every operation when omitted."""

SpecFile = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^/\\\x00][^\\\x00]*$")]
"""A path on disk relative to the manifest's folder (no leading slash, no backslash)."""

UrlPrefix = Annotated[
    str, Field(min_length=8, max_length=2048, pattern=r"^https?://[^/@?#]+(/[^?#]*)?$")
]
"""An http(s) URL prefix: scheme, host (and port), optionally a path; no user info."""


class OpenAPISource(base.KodegenModel):
    """Where the OpenAPI (3.x, or Swagger 2.0) document is: exactly one of `inline`,
    `configMapRef`, `git`, `file`. A document may `$ref` sibling files (`paths/pets.yaml`,
    `schemas.yaml#/Pet`), resolved from its own folder: the ConfigMap's other keys, the Git
    tree, the folder on disk."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [base.one_of_rule("inline", "configMapRef", "git", "file")]
        }
    )

    inline: dict[str, Any] | None = Field(default=None, json_schema_extra=base.PRESERVE)
    """The OpenAPI document itself, as a YAML/JSON object."""
    config_map_ref: refs.ConfigMapKeyRef | None = None
    """A ConfigMap holding the document (YAML or JSON) under `key`; the files it `$ref`s are
    its other keys, each path with `/` written as `__` (`paths__pets.yaml` is
    `paths/pets.yaml`), or listed in the key `kodegen.index.json` (`{"key": "path"}`)."""
    git: refs.GitFileRef | None = None
    """A file in a Git repository holding the document (YAML or JSON)."""
    file: SpecFile | None = None
    """The document on disk, relative to the manifest's folder (`kodegen generate` only; the
    operator has no disk: use configMapRef or git there)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> OpenAPISource:
        found = base.given(self, "inline", "config_map_ref", "git", "file")
        if len(found) != 1:
            raise ValueError(
                "openapi: set exactly one of inline, configMapRef, git, file "
                f"(got {', '.join(found) or 'none'})"
            )
        return self


class JSONSchemaSource(base.KodegenModel):
    """Where the JSON Schema document is (draft-04, -06, -07, 2019-09 or 2020-12): exactly one
    of `inline`, `configMapRef`, `file`. It may `$ref` sibling files, as an OpenAPI document
    may."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [base.one_of_rule("inline", "configMapRef", "file")]
        }
    )

    inline: dict[str, Any] | None = Field(default=None, json_schema_extra=base.PRESERVE)
    """The JSON Schema document itself, as a YAML/JSON object; its `$defs` (or `definitions`)
    become models, and the root schema too when it is an object with a title."""
    config_map_ref: refs.ConfigMapKeyRef | None = None
    """A ConfigMap holding the document (YAML or JSON) under `key`; the files it `$ref`s are
    its other keys, each path with `/` written as `__` (`defs__common.json` is
    `defs/common.json`), or listed in the key `kodegen.index.json` (`{"key": "path"}`)."""
    file: SpecFile | None = None
    """The document on disk, relative to the manifest's folder (`kodegen generate` only; the
    operator has no disk: use configMapRef there)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> JSONSchemaSource:
        found = base.given(self, "inline", "config_map_ref", "file")
        if len(found) != 1:
            raise ValueError(
                "jsonSchema: set exactly one of inline, configMapRef, file "
                f"(got {', '.join(found) or 'none'})"
            )
        return self


class GraphQLSpec(base.KodegenModel):
    """A GraphQL schema."""

    sdl: str = Field(alias="schema", min_length=1)
    """The schema in GraphQL SDL."""
    operations: Operations | None = None
    """Query and mutation fields to generate; all of them when omitted."""


class ADRSpec(base.KodegenModel):
    """An architecture decision record (needs AI)."""

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]*$")]
    """Identifier of the record, e.g. `ADR-012`."""
    version: Annotated[str, Field(pattern=base.SEMVER)] | None = None
    """Version of the record (semver)."""
    text: str = Field(min_length=1)
    """The record itself (Markdown)."""


class UserStorySpec(base.KodegenModel):
    """A user story with its acceptance criteria (needs AI)."""

    story: str = Field(min_length=1)
    """The story: as a …, I want …, so that …"""
    acceptance_criteria: Annotated[list[str], Field(max_length=256)] = Field(default_factory=list)
    """Criteria the generated code and tests must meet."""


_MEMBERS: dict[SpecType, str] = {
    "openapi": "openapi",
    "jsonSchema": "json_schema",
    "graphql": "graphql",
    "adr": "adr",
    "userStory": "user_story",
}


class Specification(base.KodegenModel):
    """The formal specification: `type` names the one member that is set."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": " && ".join(
                        f"(self.type == '{t}') == has(self.{t})" for t in SPEC_TYPES
                    ),
                    "message": "set the member named by type (openapi, jsonSchema, graphql, "
                    "adr or userStory) and no other",
                }
            ]
        }
    )

    type: SpecType
    """Kind of specification: openapi, jsonSchema, graphql, adr or userStory."""
    openapi: OpenAPISource | None = None
    """The OpenAPI document (type openapi)."""
    json_schema: JSONSchemaSource | None = None
    """The JSON Schema document (type jsonSchema): models only, no operations."""
    operations: Operations | None = None
    """Operations (`operationId`) to generate; every operation when omitted."""
    allow_remote_refs: Annotated[list[UrlPrefix], Field(max_length=32)] | None = None
    """URL prefixes (`https://geojson.org/schema/`) under which the document's remote `$ref`s
    may be fetched (bounded in time and size); none when omitted: kodegen fetches nothing. In
    a cluster a prefix also needs the operator's allowance (KODEGEN_REMOTE_REF_PREFIXES)."""
    graphql: GraphQLSpec | None = None
    """The GraphQL schema (type graphql)."""
    adr: ADRSpec | None = None
    """The architecture decision record (type adr; needs AI)."""
    user_story: UserStorySpec | None = None
    """The user story (type userStory; needs AI)."""

    @model_validator(mode="after")
    def _member_matches_type(self) -> Specification:
        wanted = _MEMBERS[self.type]
        if getattr(self, wanted) is None:
            raise ValueError(f"specification: type is {self.type!r} but {self.type} is not set")
        others = base.given(self, *(m for m in _MEMBERS.values() if m != wanted))
        if others:
            raise ValueError(
                f"specification: type is {self.type!r}, so {', '.join(others)} must not be set"
            )
        return self
