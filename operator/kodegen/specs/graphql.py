"""GraphQL SDL -> `graphql_model.GraphQLSpec`.

graphql-core parses and validates the document (syntax, then the SDL rules, then the schema
rules, extensions merged); every error is a `SpecError` naming `line:column` of the SDL and the
reason, in one line. What the Strawberry template cannot serve faithfully is refused the same
way rather than generated wrong: subscriptions and custom directive definitions.
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
    problems = validate_sdl(document)
    if problems:
        raise _error(problems[0])
    _refuse_unsupported(document)
    schema = graphql.build_ast_schema(document, assume_valid_sdl=True)
    problems = list(graphql.validate_schema(schema))
    if problems:
        raise _error(problems[0])
    return _normalize(sdl, schema)


def _error(error: graphql.GraphQLError) -> errors.SpecError:
    locations = error.locations or []
    pointer = f"schema:{locations[0].line}:{locations[0].column}" if locations else "schema"
    return errors.SpecError(pointer=pointer, reason=" ".join(error.message.split()))


def _at(node: graphql.Node, reason: str) -> errors.SpecError:
    return _error(graphql.GraphQLError(reason, node))


def _refuse_unsupported(document: graphql.DocumentNode) -> None:
    for definition in document.definitions:
        if isinstance(definition, graphql.DirectiveDefinitionNode):
            raise _at(
                definition,
                f"custom directive @{definition.name.value}: the python-graphql-service "
                "template serves only the built-in directives (@deprecated, @specifiedBy); "
                "remove the directive definition and its uses",
            )
        if isinstance(definition, graphql.SchemaDefinitionNode | graphql.SchemaExtensionNode):
            for operation in definition.operation_types or ():
                if operation.operation == graphql.OperationType.SUBSCRIPTION:
                    raise _subscriptions(operation)
        if (
            isinstance(definition, graphql.ObjectTypeDefinitionNode)
            and definition.name.value == "Subscription"
        ):
            raise _subscriptions(definition)
        if isinstance(
            definition, graphql.InputObjectTypeDefinitionNode | graphql.TypeExtensionNode
        ):
            for directive in definition.directives or ():
                if directive.name.value == "oneOf":
                    raise _at(
                        directive,
                        f"@oneOf on {definition.name.value}: one-of input types are not "
                        "supported yet; use an input type with nullable fields",
                    )


def _subscriptions(node: graphql.Node) -> errors.SpecError:
    return _at(
        node,
        "subscriptions are not supported: the python-graphql-service template serves "
        "queries and mutations; remove the Subscription type",
    )


def _normalize(sdl: str, schema: graphql.GraphQLSchema) -> gm.GraphQLSpec:
    types = tuple(
        _typedef(named)
        for name, named in schema.type_map.items()
        if not name.startswith("__") and name not in gm.BUILTIN_SCALARS
    )
    query = schema.query_type
    assert query is not None  # validate_schema demands a query root
    mutation = schema.mutation_type
    roots = tuple(gm.Operation("query", field) for field in _fields(query))
    if mutation is not None:
        roots += tuple(gm.Operation("mutation", field) for field in _fields(mutation))
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
        sdl=sdl,
        types=tuple(sorted(types, key=lambda t: _position(schema, t.name))),
        query=query.name,
        mutation=mutation.name if mutation else None,
        roots=roots,
    )


def _position(schema: graphql.GraphQLSchema, name: str) -> tuple[int, str]:
    node = schema.type_map[name].ast_node
    return (node.loc.start if node is not None and node.loc is not None else -1, name)


def _typedef(named: graphql.GraphQLNamedType) -> gm.TypeDef:
    description = named.description
    if isinstance(named, graphql.GraphQLEnumType):
        values = tuple(
            gm.EnumValue(name, value.description, value.deprecation_reason)
            for name, value in named.values.items()
        )
        return gm.TypeDef(named.name, "enum", description, values=values)
    if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        kind: gm.Kind = "object" if isinstance(named, graphql.GraphQLObjectType) else "interface"
        interfaces = tuple(i.name for i in named.interfaces)
        return gm.TypeDef(named.name, kind, description, _fields(named), interfaces=interfaces)
    if isinstance(named, graphql.GraphQLUnionType):
        return gm.TypeDef(
            named.name, "union", description, members=tuple(t.name for t in named.types)
        )
    if isinstance(named, graphql.GraphQLInputObjectType):
        inputs = tuple(_argument(name, field) for name, field in named.fields.items())
        return gm.TypeDef(named.name, "input", description, inputs=inputs)
    assert isinstance(named, graphql.GraphQLScalarType)
    return gm.TypeDef(named.name, "scalar", description, specified_by=named.specified_by_url)


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
        )
        for name, field in named.fields.items()
    )


def _argument(name: str, arg: graphql.GraphQLArgument | graphql.GraphQLInputField) -> gm.Argument:
    default: Any = gm.MISSING
    node = arg.ast_node
    if node is not None and node.default_value is not None:
        default = graphql.value_from_ast_untyped(node.default_value)
    return gm.Argument(name, _ref(arg.type), arg.description, default, arg.deprecation_reason)


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
