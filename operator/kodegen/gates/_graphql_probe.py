"""The GraphQL contract gate's runner: an ASGI app's schema and answers, in-process, in the sandbox.

Not imported by kodegen. The gate copies this file into a private folder and runs

    python graphql_probe.py SDL APP RESULT

with the project as working directory and on `PYTHONPATH`. SDL is the source schema file, APP
the ASGI application as `module:attribute`. The result goes to the JSON file RESULT:

    {"operations": 9, "cases": 9, "differences": ["-  title: String!", "+  title: String"],
     "failures": [{"operation": "mutation createBook", "message": "..."}], "fatal": null}

The schema the app serves is read by introspection (POST /graphql), rebuilt with graphql-core
and compared with the SDL, both sorted and printed; for an Apollo Federation subgraph (the SDL
`@link`s specs.apollo.dev/federation) without what Federation adds (`_service`, `_entities`,
`_Any`, `_Entity`, `_Service`, `link__*`, and the Federation directives the SDL uses
undeclared). Then each mutation field, then each query field, is called once with arguments
built from the SDL (the first enum value, "1" for an ID, one item per list, every field of an
input object) and a selection of fields three levels deep; an answer must have `data`, and no
error other than NOT_FOUND.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
import sys
from typing import Any

import graphql
from starlette.testclient import TestClient

FEDERATION = "specs.apollo.dev/federation/"
FEDERATION_TYPES = ("_Any", "_Entity", "_Service", "_FieldSet", "FieldSet")
MESSAGE_CHARS = 1000
DEPTH = 3
INPUT_DEPTH = 3
PATH = "/graphql"


def main(argv: list[str]) -> int:
    sdl_path, target, result_path = argv
    result: dict[str, Any] = {
        "operations": 0,
        "cases": 0,
        "differences": [],
        "failures": [],
        "fatal": None,
    }
    try:
        with open(sdl_path, encoding="utf-8") as file:
            sdl = file.read()
        # validated by kodegen; a Federation subgraph uses Federation's directives undeclared
        given = graphql.build_ast_schema(graphql.parse(sdl), assume_valid_sdl=True)
        module_name, _, attribute = target.partition(":")
        app = getattr(importlib.import_module(module_name), attribute or "app")
        client = TestClient(app)  # not entered: an ASGI app need not speak the lifespan protocol
        served = introspect(client)
        if FEDERATION in sdl:
            served = without_federation(served, given)
        result["differences"] = compare(given, served)
        exercise(client, given, result)
    except Exception as exc:  # reported as the gate's reason: nothing can be judged without it
        result["fatal"] = f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS]
    with open(result_path, "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


def introspect(client: TestClient) -> graphql.GraphQLSchema:
    options = {
        "descriptions": True,
        "specified_by_url": True,
        "directive_is_repeatable": True,
        "input_value_deprecation": True,
        "schema_description": True,
    }
    if "one_of" in inspect.signature(graphql.get_introspection_query).parameters:
        options["one_of"] = True  # graphql-core 3.3: `@oneOf` input types
    query = graphql.get_introspection_query(**options)
    answer = client.post(PATH, json={"query": query})
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"introspection failed: HTTP {answer.status_code}: {answer.text[:500]}")
    return graphql.build_client_schema(body["data"])


def without_federation(
    served: graphql.GraphQLSchema, given: graphql.GraphQLSchema
) -> graphql.GraphQLSchema:
    """A subgraph's served schema without what Federation adds to it: `_service`, `_entities`,
    their types, and the directives the SDL takes from Federation (undeclared there)."""
    declared = {directive.name for directive in given.directives}
    query = served.query_type.name if served.query_type else "Query"
    document = graphql.parse(graphql.print_schema(served))
    kept: list[graphql.DefinitionNode] = []
    for definition in document.definitions:
        name = definition.name.value if hasattr(definition, "name") else ""
        if isinstance(definition, graphql.DirectiveDefinitionNode):
            if name in declared:
                kept.append(definition)
            continue
        if name in FEDERATION_TYPES or name.startswith(("link__", "federation__")):
            continue
        if isinstance(definition, graphql.ObjectTypeDefinitionNode) and name == query:
            definition = graphql.ObjectTypeDefinitionNode(
                name=definition.name,
                description=definition.description,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=tuple(
                    field
                    for field in definition.fields or ()
                    if field.name.value not in ("_entities", "_service")
                ),
            )
        kept.append(definition)
    return graphql.build_ast_schema(graphql.DocumentNode(definitions=tuple(kept)))


def canonical(schema: graphql.GraphQLSchema) -> str:
    return graphql.print_schema(graphql.lexicographic_sort_schema(schema))


def compare(given: graphql.GraphQLSchema, served: graphql.GraphQLSchema) -> list[str]:
    diff = difflib.unified_diff(
        canonical(given).splitlines(), canonical(served).splitlines(), lineterm="", n=0
    )
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def exercise(client: TestClient, schema: graphql.GraphQLSchema, result: dict[str, Any]) -> None:
    roots = [("mutation", schema.mutation_type), ("query", schema.query_type)]
    for kind, root in roots:
        if root is None:
            continue
        for name, field in root.fields.items():
            label = f"{kind} {name}"
            result["operations"] += 1
            document = f"{kind} {{ {name}{arguments(field.args)}{selection(field.type, 1)} }}"
            problems = graphql.validate(schema, graphql.parse(document))
            if problems:
                message = f"kodegen could not build a valid {kind}: {problems[0].message}"
                result["failures"].append({"operation": label, "message": message})
                continue
            result["cases"] += 1
            answer = client.post(PATH, json={"query": document})
            failure = judge(answer.status_code, answer.text)
            if failure:
                result["failures"].append({"operation": label, "message": failure[:MESSAGE_CHARS]})


def judge(status: int, text: str) -> str | None:
    try:
        body = json.loads(text)
    except ValueError:
        return f"HTTP {status}, not JSON: {text[:200]}"
    errors = [
        e
        for e in body.get("errors") or []
        if (e.get("extensions") or {}).get("code") != "NOT_FOUND"
    ]
    if status != 200 or "data" not in body:
        return f"HTTP {status}: {text[:500]}"
    if errors:
        return "; ".join(str(e.get("message")) for e in errors)
    return None


def arguments(args: dict[str, graphql.GraphQLArgument]) -> str:
    given = [f"{name}: {literal(arg.type)}" for name, arg in args.items()]
    return f"({', '.join(given)})" if given else ""


def literal(type_: graphql.GraphQLInputType, seen: frozenset[str] = frozenset()) -> str:
    nullable = graphql.get_nullable_type(type_)
    if isinstance(nullable, graphql.GraphQLList):
        named = graphql.get_named_type(nullable.of_type)
        if isinstance(named, graphql.GraphQLInputObjectType) and (
            named.name in seen or len(seen) >= INPUT_DEPTH
        ):
            return "[]"  # a web of optional filters (`_and: [x_bool_exp!]`) ends here
        return f"[{literal(nullable.of_type, seen)}]"
    if isinstance(nullable, graphql.GraphQLEnumType):
        return str(next(iter(nullable.values)))
    if isinstance(nullable, graphql.GraphQLInputObjectType):
        optional = not isinstance(type_, graphql.GraphQLNonNull)
        if optional and (nullable.name in seen or len(seen) >= INPUT_DEPTH):
            return "null"
        inner = seen | {nullable.name}
        items = list(nullable.fields.items())
        if getattr(nullable, "is_one_of", False):  # @oneOf: exactly one field
            items = items[:1]
        fields = ", ".join(f"{n}: {literal(f.type, inner)}" for n, f in items)
        return f"{{{fields}}}"
    name = getattr(nullable, "name", "")
    return {"Int": "1", "Float": "1.5", "Boolean": "true", "ID": '"1"'}.get(name, '"string"')


def selection(type_: graphql.GraphQLOutputType, depth: int) -> str:
    named = graphql.get_named_type(type_)
    if isinstance(named, graphql.GraphQLUnionType):
        if depth > DEPTH:
            return " { __typename }"
        parts = [f"... on {member.name}{selection(member, depth + 1)}" for member in named.types]
        return " { __typename " + " ".join(parts) + " }"
    if not isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        return ""
    parts = ["__typename"]
    for name, field in named.fields.items():
        required = any(graphql.is_required_argument(arg) for arg in field.args.values())
        leaf = graphql.is_leaf_type(graphql.get_named_type(field.type))
        if required or (not leaf and depth >= DEPTH):
            continue
        parts.append(name + selection(field.type, depth + 1))
    return " { " + " ".join(parts) + " }"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
