"""GraphQL SDL -> `graphql_model.GraphQLSpec`.

graphql-core parses and validates the document (syntax, then the SDL rules, then the schema
rules, extensions merged); every error is a `SpecError` naming `line:column` of the SDL and the
reason, in one line. What a platform adds to the SDL it is written for (Apollo Federation's
directives, AppSync's scalars, The Graph's query root, directives used but not declared) is
declared by `graphql_platform` first, each reported as a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import graphql
from graphql.validation.validate import validate_sdl

from kodegen import errors
from kodegen.documents import limits as limits_
from kodegen.documents import loading
from kodegen.specs import graphql_model as gm
from kodegen.specs import graphql_platform as platform

__all__ = ["parse"]

_BUILTIN_DIRECTIVES = frozenset(d.name for d in graphql.specified_directives)


def parse(sdl: str, *, limits: limits_.Limits = limits_.DEFAULT) -> gm.GraphQLSpec:
    """Parse, validate and normalize one GraphQL schema in SDL, within `limits` (bytes,
    tokens; a type nested too deeply for the parser is refused the same way)."""
    with loading.guard("the GraphQL schema"):
        return _parse(sdl, limits)


def _parse(sdl: str, limits: limits_.Limits) -> gm.GraphQLSpec:
    size = len(sdl.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise errors.SpecError(
            pointer="schema",
            reason=f"{size} bytes is more than the {limits.max_bytes} kodegen reads "
            "(limits.max_bytes)",
        )
    try:
        document = graphql.parse(sdl, max_tokens=limits.max_sdl_tokens)
    except graphql.GraphQLSyntaxError as exc:
        raise _error(exc) from exc
    federation = platform.federation_version(document)
    imports = federation[1] if federation else ()
    added = platform.additions(document, imports)
    served = sdl + added.sdl
    checked = served + (platform.federation_sdl(imports) if federation else "")
    if checked != sdl:
        document = graphql.parse(checked, max_tokens=limits.max_sdl_tokens * 2)
    problems = validate_sdl(document)
    if problems:
        raise _error(problems[0])
    schema = graphql.build_ast_schema(document, assume_valid_sdl=True)
    problems = list(graphql.validate_schema(schema))
    if problems:
        raise _error(problems[0])
    hidden = set(imports) | {"link"} if federation else set()
    return _normalize(
        sdl,
        served,
        schema,
        federation=federation[0] if federation else None,
        hidden=hidden,
        warnings=added.warnings,
    )


def _error(error: graphql.GraphQLError) -> errors.SpecError:
    locations = error.locations or []
    pointer = f"schema:{locations[0].line}:{locations[0].column}" if locations else "schema"
    return errors.SpecError(pointer=pointer, reason=" ".join(error.message.split()))


def _normalize(
    sdl: str,
    served: str,
    schema: graphql.GraphQLSchema,
    *,
    federation: str | None,
    hidden: set[str],
    warnings: tuple[str, ...],
) -> gm.GraphQLSpec:
    platform_types = platform.FEDERATION_TYPES if federation else frozenset()
    types = tuple(
        _typedef(named)
        for name, named in schema.type_map.items()
        if not name.startswith("__")
        and name not in gm.BUILTIN_SCALARS
        and name not in platform_types
    )
    query = schema.query_type
    assert query is not None  # validate_schema demands a query root
    mutation = schema.mutation_type
    subscription = schema.subscription_type
    roots = tuple(gm.Operation("query", field) for field in _fields(query))
    if mutation is not None:
        roots += tuple(gm.Operation("mutation", field) for field in _fields(mutation))
    if subscription is not None:
        roots += tuple(gm.Operation("subscription", field) for field in _fields(subscription))
    specified = {d.name for d in graphql.specified_directives}
    directive_defs = tuple(
        _directive(d, sdl)
        for d in schema.directives
        if d.name not in specified and d.name not in hidden
    )
    return gm.GraphQLSpec(
        title=schema.description.strip().splitlines()[0] if schema.description else query.name,
        version="1.0.0",
        openapi_version="",
        description=schema.description,
        schemas={},
        operations=(),
        resources=(),
        raw={"schema": sdl},
        digest="sha256:" + hashlib.sha256(sdl.encode()).hexdigest(),
        sdl=served,
        types=tuple(sorted(types, key=lambda t: _position(schema, t.name))),
        query=query.name,
        mutation=mutation.name if mutation else None,
        roots=roots,
        subscription=subscription.name if subscription else None,
        directive_defs=directive_defs,
        federation=federation,
        warnings=warnings,
    )


def _directive(directive: graphql.GraphQLDirective, sdl: str) -> gm.DirectiveDef:
    node = directive.ast_node
    own = node is not None and node.loc is not None and node.loc.start < len(sdl)
    return gm.DirectiveDef(
        directive.name,
        tuple(location.name for location in directive.locations),
        tuple(_argument(name, arg) for name, arg in directive.args.items()),
        directive.description,
        directive.is_repeatable,
        declared_by_kodegen=not own,
    )


def _applied(*nodes: graphql.Node | None) -> tuple[gm.Applied, ...]:
    """The directives applied at `nodes` (a definition and its extensions), built-ins left out."""
    found = []
    for node in nodes:
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value in _BUILTIN_DIRECTIVES:
                continue
            args = tuple(
                (arg.name.value, graphql.value_from_ast_untyped(arg.value))
                for arg in directive.arguments or ()
            )
            found.append(gm.Applied(directive.name.value, args))
    return tuple(found)


def _nodes(named: graphql.GraphQLNamedType) -> tuple[graphql.Node | None, ...]:
    return (named.ast_node, *(named.extension_ast_nodes or ()))


def _position(schema: graphql.GraphQLSchema, name: str) -> tuple[int, str]:
    node = schema.type_map[name].ast_node
    return (node.loc.start if node is not None and node.loc is not None else -1, name)


def _typedef(named: graphql.GraphQLNamedType) -> gm.TypeDef:
    description = named.description
    applied = _applied(*_nodes(named))
    if isinstance(named, graphql.GraphQLEnumType):
        values = tuple(
            gm.EnumValue(
                name, value.description, value.deprecation_reason, _applied(value.ast_node)
            )
            for name, value in named.values.items()
        )
        return gm.TypeDef(named.name, "enum", description, values=values, directives=applied)
    if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        kind: gm.Kind = "object" if isinstance(named, graphql.GraphQLObjectType) else "interface"
        interfaces = tuple(i.name for i in named.interfaces)
        return gm.TypeDef(
            named.name,
            kind,
            description,
            _fields(named),
            interfaces=interfaces,
            directives=applied,
        )
    if isinstance(named, graphql.GraphQLUnionType):
        return gm.TypeDef(
            named.name,
            "union",
            description,
            members=tuple(t.name for t in named.types),
            directives=applied,
        )
    if isinstance(named, graphql.GraphQLInputObjectType):
        inputs = tuple(_argument(name, field) for name, field in named.fields.items())
        return gm.TypeDef(
            named.name,
            "input",
            description,
            inputs=inputs,
            directives=applied,
            one_of=bool(getattr(named, "is_one_of", False)),
        )
    assert isinstance(named, graphql.GraphQLScalarType)
    return gm.TypeDef(
        named.name,
        "scalar",
        description,
        specified_by=named.specified_by_url,
        directives=applied,
    )


def _fields(
    named: graphql.GraphQLObjectType | graphql.GraphQLInterfaceType,
) -> tuple[gm.Field, ...]:
    return tuple(
        gm.Field(
            name,
            _ref(field.type),
            field.description,
            tuple(_argument(arg_name, arg) for arg_name, arg in field.args.items()),
            field.deprecation_reason,
            _applied(field.ast_node),
        )
        for name, field in named.fields.items()
    )


def _argument(name: str, arg: graphql.GraphQLArgument | graphql.GraphQLInputField) -> gm.Argument:
    default: Any = gm.MISSING
    node = arg.ast_node
    if node is not None and node.default_value is not None:
        default = graphql.value_from_ast_untyped(node.default_value)
    return gm.Argument(
        name,
        _ref(arg.type),
        arg.description,
        default,
        arg.deprecation_reason,
        _applied(node),
    )


def _ref(type_: graphql.GraphQLType) -> gm.TypeRef:
    if isinstance(type_, graphql.GraphQLNonNull):
        inner = _ref(type_.of_type)
        return gm.TypeRef(inner.name, inner.of, non_null=True)
    if isinstance(type_, graphql.GraphQLList):
        return gm.TypeRef(of=_ref(type_.of_type))
    assert isinstance(type_, graphql.GraphQLNamedType)
    return gm.TypeRef(type_.name)


def names(spec: gm.GraphQLSpec, root: gm.Root | None = None) -> Sequence[str]:
    """The names of the root fields (of one root type, or of both)."""
    return [op.field.name for op in spec.roots if root is None or op.root == root]
