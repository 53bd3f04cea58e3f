"""What a platform adds to an SDL (Federation v2, AppSync and The Graph scalars, directives used
but not declared, a missing query root): declared by kodegen, each with a warning."""

from __future__ import annotations

import graphql as gql
import pytest

from kodegen import errors
from kodegen.specs import graphql
from kodegen.specs import graphql_platform as platform

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/{version}", import: {names})\n'
)


def linked(body: str, names: str = '["@key", "@shareable"]', version: str = "v2.5") -> str:
    return LINK.format(version=version, names=names) + body


def error(sdl: str) -> str:
    with pytest.raises(errors.SpecError) as caught:
        graphql.parse(sdl)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- Federation v2 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sdl", "found"),
    [
        (linked("type Query { a: Int }"), ("2.5", ("key", "shareable"))),
        (
            linked("type Query { a: Int }", '[{name: "@key"}, "@tag", "FieldSet"]', "v2.0"),
            ("2.0", ("key", "tag")),
        ),
        (linked("type Query { a: Int }", '"@key"'), ("2.5", ("key",))),
        (
            'schema @link(url: "https://specs.apollo.dev/federation/v2.3") { query: Query }\n'
            "type Query { a: Int }",
            ("2.3", ()),
        ),
        # not Federation: another spec's link, Federation v1's URL, no link at all
        ('extend schema @link(url: "https://specs.apollo.dev/link/v1.0")', None),
        ('extend schema @link(url: "https://specs.apollo.dev/federation/v1.0")', None),
        ('extend schema @link(url: "http://specs.apollo.dev/federation/v2.5")', None),
        ("type Query { a: Int }", None),
    ],
)
def test_federation_is_recognised_by_its_link_url(
    sdl: str, found: tuple[str, tuple[str, ...]] | None
) -> None:
    assert platform.federation_version(gql.parse(sdl)) == found


def test_federation_sdl_declares_only_what_is_imported() -> None:
    text = platform.federation_sdl(("key", "shareable", "notAFederationDirective"))
    assert text == platform.FEDERATION_BASE + (
        "directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT"
        " | INTERFACE\n"
        "directive @shareable repeatable on OBJECT | FIELD_DEFINITION\n"
    )
    assert "@requires" not in platform.federation_sdl(("key",))


def test_every_federation_directive_declaration_is_valid_sdl() -> None:
    text = platform.federation_sdl(tuple(platform.FEDERATION_DIRECTIVES))
    schema = gql.build_schema(text + "type Query { a: Int }")
    assert set(platform.FEDERATION_DIRECTIVES) <= {d.name for d in schema.directives}
    assert {t for t in schema.type_map if not t.startswith("__")} >= platform.FEDERATION_TYPES


def test_a_subgraph_is_validated_with_the_federation_directives() -> None:
    spec = graphql.parse(
        linked(
            'type Query { a: A }\ntype A @key(fields: "id") @key(fields: "sku", resolvable: false)'
            " { id: ID! sku: String! @shareable }"
        )
    )
    assert spec.federation == "2.5"
    # the Federation definitions validate the SDL but are not the subgraph's own
    assert spec.directive_defs == ()
    assert [t.name for t in spec.types] == ["Query", "A"]
    assert spec.warnings == ()
    a = spec.type("A")
    assert a is not None
    assert [(d.name, d.args) for d in a.directives] == [
        ("key", (("fields", "id"),)),
        ("key", (("fields", "sku"), ("resolvable", False))),
    ]
    sku = a.field("sku")
    assert sku is not None and [d.name for d in sku.directives] == ["shareable"]
    # what is served is the SDL as given: Strawberry's federation support adds the rest
    assert spec.sdl == spec.raw["schema"]


def test_a_federation_directive_not_imported_is_declared_as_undeclared() -> None:
    spec = graphql.parse(
        linked(
            'type Query { a: A }\ntype A @key(fields: "id") @tag(name: "x") { id: ID! }', '["@key"]'
        )
    )
    assert [(d.name, d.declared_by_kodegen) for d in spec.directive_defs] == [("tag", True)]
    assert spec.warnings == (
        "directive @tag is used but not declared: kodegen declares "
        "`directive @tag(name: String) on OBJECT`",
    )


def test_a_schema_without_the_link_gets_no_federation_directives() -> None:
    message = error(
        'type Query { a: A }\ntype A @key(fields: 1) { id: ID! }\ntype B @key(fields: "x") '
        "{ x: Int }"
    )
    assert message == (
        "specification at schema:@key(fields:): the undeclared directive @key is given fields "
        "as Int and as String; declare the directive with the argument's type"
    )


def test_a_subgraph_declaring_its_own_directive_keeps_it() -> None:
    spec = graphql.parse(
        linked(
            "directive @audit(level: Int = 1) on FIELD_DEFINITION\ntype Query { a: Int @audit }",
            '["@key"]',
        )
    )
    (audit,) = spec.directive_defs
    assert (audit.name, audit.declared_by_kodegen) == ("audit", False)
    assert [(a.name, str(a.type), a.default) for a in audit.args] == [("level", "Int", 1)]


# -- directives used but not declared --------------------------------------------------------


def test_an_undeclared_directive_is_declared_at_its_locations_with_typed_arguments() -> None:
    spec = graphql.parse(
        'type Query @cache { a(x: Int @check): Int @rate(max: 3, per: "1m", tags: ["a"],'
        " on: true, ratio: 0.5, none: null) @rate(max: 4)\n"
        "  b: E @cache }\n"
        "enum E @cache { X @cache }\ninput I @cache { f: Int @check }\n"
        "interface N @cache { id: ID }\nunion U @cache = Query\nscalar S @cache\n"
        "directive @d(arg: Int @check) on FIELD_DEFINITION"
    )
    declared = {d.name: d for d in spec.directive_defs}
    assert declared["cache"].locations == (
        "OBJECT",
        "FIELD_DEFINITION",
        "ENUM",
        "ENUM_VALUE",
        "INPUT_OBJECT",
        "INTERFACE",
        "UNION",
        "SCALAR",
    )
    assert declared["check"].locations == ("ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION")
    rate = declared["rate"]
    assert [(a.name, str(a.type)) for a in rate.args] == [
        ("max", "Int"),
        ("per", "String"),
        ("tags", "[String]"),
        ("on", "Boolean"),
        ("ratio", "Float"),
        ("none", "String"),
    ]
    assert rate.repeatable is True
    assert declared["cache"].repeatable is False
    assert all(d.declared_by_kodegen for n, d in declared.items() if n != "d")
    assert declared["d"].declared_by_kodegen is False
    assert "\n# Declared by kodegen: used above without a declaration (see the README).\n" in (
        spec.sdl
    )
    assert spec.warnings[0] == (
        "directive @cache is used but not declared: kodegen declares `directive @cache on "
        "OBJECT | FIELD_DEFINITION | ENUM | ENUM_VALUE | INPUT_OBJECT | INTERFACE | UNION | "
        "SCALAR`"
    )


def test_a_null_argument_takes_the_type_given_elsewhere() -> None:
    spec = graphql.parse("type Query { a: Int @w(n: null) b: Int @w(n: 2) c: Int @w(n: null) }")
    (w,) = spec.directive_defs
    assert [(a.name, str(a.type)) for a in w.args] == [("n", "Int")]


def test_an_empty_list_argument_is_a_list_of_strings() -> None:
    (w,) = graphql.parse("type Query { a: Int @w(n: []) }").directive_defs
    assert [str(a.type) for a in w.args] == ["[String]"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("RED", "RED"), ("{a: 1}", "{ a: 1 }"), ('[1, "a"]', '[1, "a"]')],
)
def test_an_argument_whose_type_cannot_be_told_is_refused(value: str, shown: str) -> None:
    message = error(f"type Query {{\n  a: Int @w(n: {value})\n}}")
    assert message == (
        f"specification at schema:2: the undeclared directive @w is given n: {shown}, whose "
        "type kodegen cannot tell; declare the directive (`directive @w(...) on ...`)"
    )


def test_a_declared_directive_is_not_redeclared() -> None:
    spec = graphql.parse(
        "directive @w(n: Int!) on FIELD_DEFINITION\ntype Query { a: Int @w(n: 1) }"
    )
    assert spec.warnings == ()
    assert spec.sdl == spec.raw["schema"]


# -- platform scalars ------------------------------------------------------------------------


def test_platform_scalars_are_declared_with_their_platform() -> None:
    spec = graphql.parse("type Query { at: AWSDateTime, n: BigInt! }")
    assert spec.warnings == (
        "scalar AWSDateTime is used but not declared: kodegen declares it as a custom scalar, "
        "as AWS AppSync defines it",
        "scalar BigInt is used but not declared: kodegen declares it as a custom scalar, as "
        "The Graph defines it",
    )
    assert [(t.name, t.kind) for t in spec.types if t.kind == "scalar"] == [
        ("AWSDateTime", "scalar"),
        ("BigInt", "scalar"),
    ]
    assert spec.sdl.endswith("scalar AWSDateTime\n\nscalar BigInt\n")


def test_a_declared_platform_scalar_is_left_alone() -> None:
    spec = graphql.parse("scalar BigInt\ntype Query { n: BigInt }")
    assert spec.warnings == ()


def test_an_unknown_scalar_stays_an_error() -> None:
    assert (
        error("type Query { n: MyDate }") == "specification at schema:1:17: Unknown type 'MyDate'."
    )


# -- a missing query root --------------------------------------------------------------------


def test_a_query_root_is_written_for_the_keyed_types() -> None:
    spec = graphql.parse(
        "type Category { id: ID!, name: String }\n"
        "type Box { id: ID! }\n"
        "type Person { id: ID! }\n"
        "type Note { id: String! }\n"  # no `id: ID!`: no field
        "type Comment { id(x: Int): ID! }"  # an id with arguments is no key
    )
    assert spec.query == "Query"
    assert [(op.field.name, str(op.field.type)) for op in spec.roots] == [
        ("category", "Category"),
        ("categories", "[Category!]!"),
        ("box", "Box"),
        ("boxes", "[Box!]!"),
        ("person", "Person"),
        ("persons", "[Person!]!"),
    ]
    many = spec.roots[1].field
    assert [(a.name, str(a.type), a.default) for a in many.args] == [
        ("first", "Int", 100),
        ("skip", "Int", 0),
    ]
    assert spec.warnings[-1].startswith("the schema has no query root (a platform such as")


def test_names_taken_by_another_type_are_left_out() -> None:
    # `Buse`'s list would be `Bus`'s: the first type keeps it, the second gets no fields
    spec = graphql.parse("type Bus { id: ID! }\ntype Buse { id: ID! }")
    assert [op.field.name for op in spec.roots] == ["bus", "buses"]


@pytest.mark.parametrize(
    "sdl", ["schema { query: Root }\ntype Root { id: ID! }", "type Query { id: ID! }"]
)
def test_no_query_root_is_written_when_there_is_one(sdl: str) -> None:
    spec = graphql.parse(sdl)
    assert spec.warnings == ()
    assert spec.sdl == sdl


def test_nothing_keyed_leaves_the_schema_without_a_query_root() -> None:
    assert error("type Mutation { a: Int }") == (
        "specification at schema: Query root type must be provided."
    )
