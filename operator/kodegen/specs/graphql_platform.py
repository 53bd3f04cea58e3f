"""What a real SDL uses without declaring, and what kodegen declares for it.

Schemas written for a platform lean on definitions the platform adds:

- **Apollo Federation v2**: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
  import: ["@key", ...])` brings the Federation directives. They are declared here only to
  validate the SDL (`federation_sdl`); the service gets them from Strawberry's federation
  support, and the served schema is compared without them.
- **Directives used but not declared** (`@aws_iam` of AWS AppSync, `@entity` of The Graph,
  `@rateLimit` of a server library): kodegen declares each at the locations it is used, with
  the arguments it is given, typed from their literals (`"x"` String, `1` Int, `[..]` a list,
  `true` Boolean), every argument optional; it is `repeatable` if a definition applies it
  twice. Each is reported as a warning. An argument given an enum value or an object cannot be
  typed so: that schema is refused, naming the directive (declare it to fix).
- **Scalars of a known platform** used but not declared (`AWSDateTime`, The Graph's `BigInt`):
  declared as custom scalars, with a warning. Any other unknown type stays an error.
- **No query root** (The Graph generates it from the `@entity` types): kodegen writes one
  with a get (`token(id: ID!): Token`) and a list (`tokens(first: Int = 100, skip: Int = 0)`)
  per object type with an `id: ID!` field, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql

from kodegen import errors

__all__ = [
    "FEDERATION_TYPES",
    "Additions",
    "additions",
    "federation_sdl",
    "federation_version",
]

FEDERATION_URL = re.compile(r"^https://specs\.apollo\.dev/federation/v(2\.\d+)$")

PLATFORM_SCALARS = {
    **dict.fromkeys(
        (
            "AWSDate",
            "AWSTime",
            "AWSDateTime",
            "AWSTimestamp",
            "AWSEmail",
            "AWSJSON",
            "AWSURL",
            "AWSPhone",
            "AWSIPAddress",
        ),
        "AWS AppSync",
    ),
    **dict.fromkeys(("BigInt", "BigDecimal", "Bytes", "Int8", "Timestamp"), "The Graph"),
}
"""Scalars a platform defines for every schema, by the platform's name."""

_ANY_PLACE = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM"
    " | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
FEDERATION_DIRECTIVES = {
    "key": "@key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE",
    "requires": "@requires(fields: FieldSet!) on FIELD_DEFINITION",
    "provides": "@provides(fields: FieldSet!) on FIELD_DEFINITION",
    "external": "@external(reason: String) on OBJECT | FIELD_DEFINITION",
    "tag": f"@tag(name: String!) repeatable on {_ANY_PLACE}",
    "extends": "@extends on OBJECT | INTERFACE",
    "shareable": "@shareable repeatable on OBJECT | FIELD_DEFINITION",
    "inaccessible": f"@inaccessible on {_ANY_PLACE}",
    "override": "@override(from: String!, label: String) on FIELD_DEFINITION",
    "composeDirective": "@composeDirective(name: String!) repeatable on SCHEMA",
    "interfaceObject": "@interfaceObject on OBJECT",
    "authenticated": "@authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": "@requiresScopes(scopes: [[federation__Scope!]!]!) on FIELD_DEFINITION"
    " | OBJECT | INTERFACE | SCALAR | ENUM",
    "policy": "@policy(policies: [[federation__Policy!]!]!) on FIELD_DEFINITION | OBJECT"
    " | INTERFACE | SCALAR | ENUM",
}
"""The Federation v2 directives (https://www.apollographql.com/docs/graphos/reference/federation/
directives), as kodegen declares them to validate a subgraph's SDL."""

FEDERATION_BASE = """
directive @link(
  url: String!, as: String, import: [link__Import], for: link__Purpose
) repeatable on SCHEMA
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
scalar FieldSet
scalar federation__Scope
scalar federation__Policy
"""

FEDERATION_TYPES = frozenset(
    {"link__Import", "link__Purpose", "FieldSet", "federation__Scope", "federation__Policy"}
)
"""The types `FEDERATION_BASE` declares: not part of the subgraph's own schema."""

_LITERALS = {
    graphql.StringValueNode: "String",
    graphql.IntValueNode: "Int",
    graphql.FloatValueNode: "Float",
    graphql.BooleanValueNode: "Boolean",
}


def federation_version(document: graphql.DocumentNode) -> tuple[str, tuple[str, ...]] | None:
    """(version, imported directive names) of the Federation `@link`, or None."""
    for definition in document.definitions:
        if not isinstance(definition, graphql.SchemaDefinitionNode | graphql.SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = {
                a.name.value: graphql.value_from_ast_untyped(a.value)
                for a in directive.arguments or ()
            }
            found = FEDERATION_URL.match(str(args.get("url", "")))
            if found is None:
                continue
            imports = args.get("import") or []
            names = []
            for item in imports if isinstance(imports, list) else [imports]:
                name = item.get("name") if isinstance(item, dict) else item
                if isinstance(name, str) and name.startswith("@"):
                    names.append(name[1:])
            return found.group(1), tuple(names)
    return None


def federation_sdl(imports: tuple[str, ...]) -> str:
    """The declarations that let graphql-core validate a subgraph importing `imports`."""
    lines = [f"directive {FEDERATION_DIRECTIVES[n]}" for n in imports if n in FEDERATION_DIRECTIVES]
    return FEDERATION_BASE + "\n".join(lines) + "\n"


@dataclass
class _Use:
    locations: list[str] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)
    repeatable: bool = False


@dataclass(frozen=True)
class Additions:
    """What kodegen adds to the SDL: SDL text to append, and the warnings saying so."""

    sdl: str = ""
    warnings: tuple[str, ...] = ()


def additions(document: graphql.DocumentNode, federated: tuple[str, ...]) -> Additions:
    """Declarations for what `document` uses without declaring (rules in the module docstring);
    `federated`: the Federation directives it imports (declared elsewhere)."""
    declared_directives = {d.name for d in graphql.specified_directives} | set(federated)
    if federated:
        declared_directives.add("link")
    declared_types = set(graphql.specified_scalar_types)
    for definition in document.definitions:
        if isinstance(definition, graphql.DirectiveDefinitionNode):
            declared_directives.add(definition.name.value)
        elif isinstance(definition, graphql.TypeDefinitionNode):
            declared_types.add(definition.name.value)
    uses: dict[str, _Use] = {}
    for location, directives in _placed(document):
        seen: set[str] = set()
        for directive in directives:
            name = directive.name.value
            if name in declared_directives:
                continue
            use = uses.setdefault(name, _Use())
            if location not in use.locations:
                use.locations.append(location)
            use.repeatable = use.repeatable or name in seen
            seen.add(name)
            for arg in directive.arguments or ():
                _type_arg(name, use, arg)
    parts: list[str] = []
    warnings: list[str] = []
    for name, use in uses.items():
        args = ", ".join(f"{a}: {'String' if t == 'null' else t}" for a, t in use.args.items())
        text = (
            f"directive @{name}{f'({args})' if args else ''}"
            f"{' repeatable' if use.repeatable else ''} on {' | '.join(use.locations)}"
        )
        parts.append(text)
        warnings.append(f"directive @{name} is used but not declared: kodegen declares `{text}`")
    for name in sorted(_referenced(document) - declared_types):
        if name in PLATFORM_SCALARS:
            parts.append(f"scalar {name}")
            warnings.append(
                f"scalar {name} is used but not declared: kodegen declares it as a custom "
                f"scalar, as {PLATFORM_SCALARS[name]} defines it"
            )
    query = _query_root(document, declared_types)
    if query:
        parts.append(query)
        warnings.append(
            "the schema has no query root (a platform such as The Graph generates it): kodegen "
            "writes one with a get and a list per object type with an `id: ID!` field"
        )
    if not parts:
        return Additions()
    header = "# Declared by kodegen: used above without a declaration (see the README)."
    return Additions("\n" + header + "\n" + "\n\n".join(parts) + "\n", tuple(warnings))


def _type_arg(directive: str, use: _Use, arg: graphql.ArgumentNode) -> None:
    name = arg.name.value
    typed = _literal_type(arg.value)
    if typed is None:
        raise errors.SpecError(
            pointer=f"schema:{arg.loc.source.get_location(arg.loc.start).line if arg.loc else 0}",
            reason=f"the undeclared directive @{directive} is given {name}: "
            f"{graphql.print_ast(arg.value)}, whose type kodegen cannot tell; declare the "
            f"directive (`directive @{directive}(...) on ...`)",
        )
    known = use.args.get(name)
    if known is not None and known != typed and typed != "null":
        if known == "null":
            use.args[name] = typed
            return
        raise errors.SpecError(
            pointer=f"schema:@{directive}({name}:)",
            reason=f"the undeclared directive @{directive} is given {name} as {known} and as "
            f"{typed}; declare the directive with the argument's type",
        )
    if known is None:
        use.args[name] = typed


def _literal_type(value: graphql.ValueNode) -> str | None:
    for kind, name in _LITERALS.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, graphql.NullValueNode):
        return "null"  # typed by another use, else String (`additions`)
    if isinstance(value, graphql.ListValueNode):
        items = {_literal_type(item) for item in value.values} - {"null"} or {"String"}
        if len(items) != 1 or None in items:
            return None
        return f"[{items.pop()}]"
    return None


_LOCATIONS: dict[type[graphql.Node], str] = {
    graphql.SchemaDefinitionNode: "SCHEMA",
    graphql.SchemaExtensionNode: "SCHEMA",
    graphql.ScalarTypeDefinitionNode: "SCALAR",
    graphql.ScalarTypeExtensionNode: "SCALAR",
    graphql.ObjectTypeDefinitionNode: "OBJECT",
    graphql.ObjectTypeExtensionNode: "OBJECT",
    graphql.InterfaceTypeDefinitionNode: "INTERFACE",
    graphql.InterfaceTypeExtensionNode: "INTERFACE",
    graphql.UnionTypeDefinitionNode: "UNION",
    graphql.UnionTypeExtensionNode: "UNION",
    graphql.EnumTypeDefinitionNode: "ENUM",
    graphql.EnumTypeExtensionNode: "ENUM",
    graphql.InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    graphql.InputObjectTypeExtensionNode: "INPUT_OBJECT",
}


def _placed(
    document: graphql.DocumentNode,
) -> Iterator[tuple[str, tuple[graphql.ConstDirectiveNode, ...]]]:
    """Every applied directive list of the document, with its location."""
    for definition in document.definitions:
        if isinstance(definition, graphql.DirectiveDefinitionNode):
            for arg in definition.arguments or ():
                yield "ARGUMENT_DEFINITION", tuple(arg.directives or ())
            continue
        location = _LOCATIONS.get(type(definition))
        if location is None:
            continue
        yield location, tuple(getattr(definition, "directives", None) or ())
        for value in getattr(definition, "values", None) or ():
            yield "ENUM_VALUE", tuple(value.directives or ())
        for item in getattr(definition, "fields", None) or ():
            if location == "INPUT_OBJECT":
                yield "INPUT_FIELD_DEFINITION", tuple(item.directives or ())
                continue
            yield "FIELD_DEFINITION", tuple(item.directives or ())
            for arg in item.arguments or ():
                yield "ARGUMENT_DEFINITION", tuple(arg.directives or ())


def _referenced(document: graphql.DocumentNode) -> set[str]:
    found: set[str] = set()

    class Names(graphql.Visitor):
        def enter_named_type(self, node: graphql.NamedTypeNode, *_: Any) -> None:
            found.add(node.name.value)

    graphql.visit(document, Names())
    return found


def _query_root(document: graphql.DocumentNode, declared: set[str]) -> str:
    """A query root for a schema without one, or "" (rule in the module docstring)."""
    for definition in document.definitions:
        if isinstance(definition, graphql.SchemaDefinitionNode):
            return ""
    if "Query" in declared:
        return ""
    lines = []
    taken: set[str] = set()
    for definition in document.definitions:
        if not isinstance(definition, graphql.ObjectTypeDefinitionNode):
            continue
        keyed = any(
            f.name.value == "id" and graphql.print_ast(f.type) == "ID!" and not f.arguments
            for f in definition.fields or ()
        )
        if not keyed:
            continue
        name = definition.name.value
        one = name[0].lower() + name[1:]
        many = _plural(one)
        if {one, many} & taken or one == many:
            continue
        taken |= {one, many}
        lines.append(f"  {one}(id: ID!): {name}")
        lines.append(f"  {many}(first: Int = 100, skip: Int = 0): [{name}!]!")
    if not lines:
        return ""
    return "type Query {\n" + "\n".join(lines) + "\n}"


def _plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"
