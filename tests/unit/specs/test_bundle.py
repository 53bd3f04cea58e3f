"""Multi-file specs: every `$ref` to another document inlined once, from the spec's folder,
within the limits; attacks refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import errors
from kodegen.documents import limits, remote, sources
from kodegen.specs import inlining, jsonschema, openapi, swagger2
from tests.schema_host import Host

INFO = {"title": "T", "version": "1"}


def tree(root: Path, files: dict[str, Any]) -> Path:
    """Write `files` (name -> data, dumped as YAML or JSON by suffix; str as it is)."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data)
        elif name.endswith(".json"):
            path.write_text(json.dumps(data))
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def bundled(root: Path, entry: str = "openapi.yaml", **options: Any) -> dict[str, Any]:
    return inlining.document(sources.Folder(root, label="spec"), entry, **options)


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


PETSTORE = {
    "openapi.yaml": {
        "openapi": "3.0.3",
        "info": INFO,
        "paths": {"/pets": {"$ref": "paths/pets.yaml"}},
        "components": {"schemas": {"Pet": {"$ref": "schemas/Pet.yaml"}}},
    },
    "paths/pets.yaml": {
        "get": {
            "operationId": "listPets",
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"$ref": "../schemas/Pet.yaml"}},
                            "example": {"$ref": "../examples/pets.json"},
                        }
                    },
                }
            },
        },
        "post": {
            "operationId": "createPet",
            "requestBody": {"$ref": "../common.yaml#/requestBodies/NewPet"},
            "responses": {"201": {"$ref": "../common.yaml#/responses/Created"}},
        },
    },
    "schemas/Pet.yaml": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "owner": {"$ref": "./Owner.yaml"},
            "parent": {"$ref": "Pet.yaml"},
        },
    },
    "schemas/Owner.yaml": {
        "type": "object",
        "properties": {"pets": {"type": "array", "items": {"$ref": "Pet.yaml"}}},
    },
    "common.yaml": {
        "requestBodies": {
            "NewPet": {"content": {"application/json": {"schema": {"$ref": "schemas/Pet.yaml"}}}}
        },
        "responses": {
            "Created": {
                "description": "made",
                "content": {"application/json": {"schema": {"$ref": "#/schemas/Ack"}}},
            }
        },
        "schemas": {"Ack": {"type": "object", "properties": {"ok": {"type": "boolean"}}}},
    },
    "examples/pets.json": [{"name": "Rex"}],
}


def test_a_multi_file_openapi_spec_becomes_one_document(tmp_path: Path) -> None:
    document = bundled(tree(tmp_path, PETSTORE))
    schemas = document["components"]["schemas"]
    assert sorted(schemas) == ["Ack", "Owner", "Pet"]
    # named where the entry names it; recursion across files through names
    assert schemas["Pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    assert schemas["Pet"]["properties"]["parent"] == {"$ref": "#/components/schemas/Pet"}
    assert schemas["Owner"]["properties"]["pets"]["items"] == {"$ref": "#/components/schemas/Pet"}
    get = document["paths"]["/pets"]["get"]
    media = get["responses"]["200"]["content"]["application/json"]
    assert media["schema"]["items"] == {"$ref": "#/components/schemas/Pet"}
    assert media["example"] == [{"name": "Rex"}]  # the example file's content
    post = document["paths"]["/pets"]["post"]
    # a reference from a referenced file is relative to THAT file (common.yaml#/schemas/Ack)
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/Ack"}
    spec = openapi.parse(document)
    assert [op.operation_id for op in spec.operations] == ["listPets", "createPet"]
    assert set(spec.schemas) == {"Ack", "Owner", "Pet"}


def test_bundling_is_deterministic(tmp_path: Path) -> None:
    root = tree(tmp_path, PETSTORE)
    first = json.dumps(bundled(root))
    assert all(json.dumps(bundled(root)) == first for _ in range(3))


def test_a_schema_first_met_in_a_path_gets_a_name_from_its_file(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {
                "openapi": "3.1.0",
                "info": INFO,
                "paths": {
                    "/a": {
                        "get": {
                            "responses": {
                                "200": {
                                    "description": "ok",
                                    "content": {
                                        "application/json": {
                                            "schema": {"$ref": "models/tree.schema.json"}
                                        }
                                    },
                                }
                            }
                        }
                    }
                },
            },
            "models/tree.schema.json": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "https://example.com/tree.schema.json",
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#"}}},
            },
        },
    )
    document = bundled(root)
    tree_schema = document["components"]["schemas"]["tree"]
    assert "$id" not in tree_schema and "$schema" not in tree_schema
    assert tree_schema["properties"]["children"]["items"] == {"$ref": "#/components/schemas/tree"}
    assert "tree" in openapi.parse(document).schemas


def test_vendor_extensions_are_left_alone(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {
                "openapi": "3.0.3",
                "info": INFO,
                "paths": {},
                "x-topics": [{"title": "Intro", "content": {"$ref": "topics/intro.md"}}],
                "components": {"schemas": {"A": {"type": "string", "x-ref": {"$ref": "nowhere"}}}},
            }
        },
    )
    document = bundled(root)  # the files x-* names need not exist
    assert document["x-topics"][0]["content"] == {"$ref": "topics/intro.md"}
    assert document["components"]["schemas"]["A"]["x-ref"] == {"$ref": "nowhere"}
    assert openapi.parse(document).raw["x-topics"] == document["x-topics"]
    inline = yaml.safe_load((root / "openapi.yaml").read_text())
    assert openapi.parse(inline).raw["x-topics"] == document["x-topics"]  # inline too


def test_a_markdown_description_is_its_text(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {
                "openapi": "3.0.3",
                "info": {**INFO, "description": {"$ref": "docs/intro.md"}},
                "paths": {},
            },
            "docs/intro.md": "# Hello\n\nWorld: *with* colons: and - dashes\n",
        },
    )
    assert bundled(root)["info"]["description"].startswith("# Hello")


def test_a_property_named_like_a_keyword_is_a_name(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "schema.json": {
                "$schema": "https://json-schema.org/draft/2019-09/schema",
                "$defs": {
                    "Doc": {
                        "type": "object",
                        "properties": {
                            "$ref": {"type": "string"},
                            "$recursiveRef": {"type": "string"},
                            "default": {"$ref": "other.json"},
                        },
                    }
                },
            },
            "other.json": {"type": "integer"},
        },
    )
    document = bundled(root, "schema.json")
    props = document["$defs"]["Doc"]["properties"]
    assert props["$ref"] == {"type": "string"}
    assert props["$recursiveRef"] == {"type": "string"}
    assert props["default"] == {"$ref": "#/$defs/other"}


def test_go_swagger_refs_in_path_files_name_the_root_definitions(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "index.yaml": {
                "swagger": "2.0",
                "info": INFO,
                "paths": {"/flags": {"$ref": "./flags.yaml"}},
                "definitions": {"flag": {"type": "object"}},
            },
            "flags.yaml": {
                "get": {
                    "operationId": "findFlags",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "schema": {"type": "array", "items": {"$ref": "#/definitions/flag"}},
                        }
                    },
                }
            },
        },
    )
    document = bundled(root, "index.yaml")
    items = document["paths"]["/flags"]["get"]["responses"]["200"]["schema"]["items"]
    assert items == {"$ref": "#/definitions/flag"}
    assert swagger2.is_swagger(document)
    assert [op.operation_id for op in openapi.parse(document).operations] == ["findFlags"]


def test_json_schema_files_with_ids_and_extensionless_refs(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "schema.json": {
                "$schema": "https://json-schema.org/draft/2019-09/schema",
                "$id": "https://example.com/draft/schema",
                "$recursiveAnchor": True,
                "title": "Meta",
                "type": "object",
                "allOf": [{"$ref": "meta/core"}],
                "properties": {"sub": {"$recursiveRef": "#"}},
            },
            "meta/core.json": {
                "$schema": "https://json-schema.org/draft/2019-09/schema",
                "$id": "https://example.com/draft/meta/core",
                "$recursiveAnchor": True,
                "type": "object",
                "properties": {
                    "inner": {"$recursiveRef": "#"},
                    "other": {"$ref": "https://example.com/draft/meta/extra"},
                },
            },
            "meta/extra.json": {"type": "string"},
        },
    )
    document = bundled(root, "schema.json")
    core = document["$defs"]["core"]
    assert core["properties"]["inner"] == {"$ref": "#"}  # the outermost recursive anchor
    assert core["properties"]["other"] == {"$ref": "#/$defs/extra"}  # under the entry's $id
    assert document["properties"]["sub"] == {"$ref": "#"}
    assert "Meta" in jsonschema.parse(document).schemas


def test_a_metaschema_reference_is_read_offline(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "schema.json": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "definitions": {"Anything": {"$ref": "http://json-schema.org/draft-07/schema#"}},
            }
        },
    )
    document = bundled(root, "schema.json")
    meta = document["definitions"]["Anything"]
    assert meta["definitions"]["schemaArray"]["items"] == {"$ref": "#/definitions/Anything"}
    jsonschema.parse(document)


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    ["../../etc/passwd", "../outside.yaml", "/etc/passwd", "file:///etc/passwd", "paths/../../x"],
)
def test_a_reference_out_of_the_folder_is_refused(tmp_path: Path, reference: str) -> None:
    (tmp_path / "outside.yaml").write_text("secret: 1\n")
    root = tree(
        tmp_path / "spec",
        {"openapi.yaml": {"openapi": "3.0.3", "info": INFO, "paths": {"/a": {"$ref": reference}}}},
    )
    with pytest.raises(errors.SpecError) as refused:
        bundled(root)
    message = one_line(refused)
    assert "/paths/~1a/$ref" in message
    assert "secret" not in message


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text("get: {responses: {'200': {description: x}}}\n")
    root = tree(
        tmp_path / "spec",
        {"openapi.yaml": {"openapi": "3.0.3", "info": INFO, "paths": {"/a": {"$ref": "a.yaml"}}}},
    )
    (root / "a.yaml").symlink_to(tmp_path / "outside.yaml")
    with pytest.raises(errors.SpecError, match="outside the spec's folder"):
        bundled(root)


def test_a_chain_of_references_across_files_is_a_cycle(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {"openapi": "3.0.3", "info": INFO, "paths": {"/a": {"$ref": "a.yaml"}}},
            "a.yaml": {"$ref": "b.yaml"},
            "b.yaml": {"$ref": "a.yaml"},
        },
    )
    with pytest.raises(errors.SpecError, match=r"\$ref cycle a\.yaml -> b\.yaml -> a\.yaml"):
        bundled(root)


def test_schemas_that_only_refer_to_each_other_are_refused(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {
                "openapi": "3.0.3",
                "info": INFO,
                "paths": {},
                "components": {"schemas": {"A": {"$ref": "a.yaml"}}},
            },
            "a.yaml": {"$ref": "b.yaml"},
            "b.yaml": {"$ref": "a.yaml"},
        },
    )
    with pytest.raises(errors.SpecError, match="cycle"):
        openapi.parse(bundled(root))


def test_missing_files_and_fragments_are_named(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {
                "openapi": "3.0.3",
                "info": INFO,
                "paths": {"/a": {"$ref": "a.yaml"}, "/b": {"$ref": "b.yaml#/nowhere"}},
            },
            "b.yaml": {"get": {}},
        },
    )
    with pytest.raises(errors.SpecError, match=r"spec/a\.yaml: no such file"):
        bundled(root)
    (root / "a.yaml").write_text("get: {responses: {'200': {description: x}}}\n")
    with pytest.raises(errors.SpecError, match=r"b\.yaml#/nowhere points to nothing"):
        bundled(root)


def test_an_inline_document_cannot_refer_to_files() -> None:
    document = {"openapi": "3.0.3", "info": INFO, "paths": {"/a": {"$ref": "paths/a.yaml"}}}
    with pytest.raises(errors.SpecError, match="inline document has no folder") as refused:
        openapi.parse(document)
    message = one_line(refused)
    assert message.startswith("specification at /paths/~1a/$ref: $ref 'paths/a.yaml'")
    assert "`/` written as `__`" in message


def test_the_total_size_of_all_files_is_bounded(tmp_path: Path) -> None:
    files: dict[str, Any] = {
        "openapi.yaml": {
            "openapi": "3.0.3",
            "info": INFO,
            "paths": {f"/p{i}": {"$ref": f"p{i}.yaml"} for i in range(6)},
        }
    }
    for i in range(6):
        files[f"p{i}.yaml"] = {"get": {"description": "x" * 300, "responses": {}}}
    root = tree(tmp_path, files)
    bundled(root)
    with pytest.raises(errors.SpecError, match=r"limits\.max_bytes"):
        bundled(root, limits=limits.Limits(max_bytes=1500))
    with pytest.raises(errors.SpecError, match=r"limits\.max_documents"):
        bundled(root, limits=limits.Limits(max_documents=4))


def test_the_bundled_depth_is_bounded(tmp_path: Path) -> None:
    files: dict[str, Any] = {"openapi.yaml": {"openapi": "3.0.3", "info": INFO, "paths": {}}}
    files["openapi.yaml"]["paths"]["/a"] = {"$ref": "d0.yaml"}
    for i in range(12):
        files[f"d{i}.yaml"] = {"get": {"x": {"y": {"$ref": f"d{i + 1}.yaml"}}}}
    files["d12.yaml"] = {"end": True}
    root = tree(tmp_path, files)
    with pytest.raises(errors.SpecError, match=r"limits\.max_depth"):
        bundled(root, limits=limits.Limits(max_depth=20))


def test_an_alias_bomb_in_a_sibling_file_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    root = tree(
        tmp_path,
        {
            "openapi.yaml": {"openapi": "3.0.3", "info": INFO, "paths": {"/a": {"$ref": "b.yaml"}}},
            "b.yaml": bomb,
        },
    )
    with pytest.raises(errors.SpecError, match=r"limits\.max_nodes"):
        bundled(root)


# -- remote references -------------------------------------------------------------------------


def _remote_spec(tmp_path: Path, url: str) -> Path:
    return tree(
        tmp_path,
        {
            "openapi.yaml": {
                "openapi": "3.0.3",
                "info": INFO,
                "paths": {},
                "components": {"schemas": {"Geo": {"$ref": url}}},
            }
        },
    )


def test_a_remote_reference_is_refused_unless_allowed(tmp_path: Path, schema_host: Host) -> None:
    url = schema_host.serve("/schema/Geo.json", '{"type": "object"}')
    root = _remote_spec(tmp_path, url)
    with pytest.raises(errors.SpecError, match="allowRemoteRefs") as refused:
        bundled(root)
    assert url in one_line(refused)
    assert schema_host.seen == []  # nothing fetched
    document = bundled(root, remote=remote.Remote(allow=(schema_host.url + "/schema/",)))
    assert document["components"]["schemas"]["Geo"] == {"type": "object"}
    assert schema_host.seen == ["/schema/Geo.json"]


def test_a_remote_document_refers_to_its_own_siblings(tmp_path: Path, schema_host: Host) -> None:
    url = schema_host.serve(
        "/schema/Feature.json",
        '{"type": "object", "properties": {"geometry": {"$ref": "Geometry.json"}}}',
    )
    schema_host.serve("/schema/Geometry.json", '{"type": "string"}')
    schema_host.serve("/private/secret.json", '{"type": "string"}')
    document = bundled(
        _remote_spec(tmp_path, url), remote=remote.Remote(allow=(schema_host.url + "/schema/",))
    )
    assert document["components"]["schemas"]["Geometry"] == {"type": "string"}
    escape = schema_host.serve(
        "/schema/Escape.json", '{"properties": {"x": {"$ref": "../private/secret.json"}}}'
    )
    with pytest.raises(errors.SpecError, match="not fetched"):
        bundled(
            _remote_spec(tmp_path / "b", escape),
            remote=remote.Remote(allow=(schema_host.url + "/schema/",)),
        )
    assert "/private/secret.json" not in schema_host.seen
