"""The JSON Schema dialects people write: draft-04, -06, -07, 2019-09 and 2020-12, spelled
with either scheme and with or without the trailing `#`, each validated by the jsonschema
package's validator of that dialect."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import jsonschema

SPELLINGS = {
    "draft-04": [
        "http://json-schema.org/draft-04/schema#",
        "https://json-schema.org/draft-04/schema",
    ],
    "draft-06": [
        "http://json-schema.org/draft-06/schema#",
        "https://json-schema.org/draft-06/schema",
    ],
    "draft-07": [
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft-07/schema#",
    ],
    "2019-09": [
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft/2019-09/schema#",
    ],
    "2020-12": [
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2020-12/schema#",
        "http://json-schema.org/draft/2020-12/schema",
    ],
}


def person(dialect: str, keyword: str) -> dict[str, Any]:
    return {
        "$schema": dialect,
        "title": "Person",
        "type": "object",
        "properties": {"name": {"type": "string"}, "address": {"$ref": f"#/{keyword}/Address"}},
        keyword: {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }


@pytest.mark.parametrize("dialect", [uri for spellings in SPELLINGS.values() for uri in spellings])
def test_every_spelling_of_every_dialect_is_read(dialect: str) -> None:
    keyword = "$defs" if "/draft/" in dialect else "definitions"
    spec = jsonschema.parse(person(dialect, keyword))
    assert list(spec.schemas) == ["Person", "Address"]
    address = {p.name: p for p in spec.schemas["Person"].properties}["address"]
    assert address.schema.ref == "Address"


@pytest.mark.parametrize(
    ("dialect", "bad", "words"),
    [
        (SPELLINGS["draft-04"][0], {"minimum": 1, "exclusiveMinimum": 2}, "draft-04"),
        (SPELLINGS["draft-06"][0], {"exclusiveMinimum": True}, "draft-06"),
        (SPELLINGS["draft-07"][0], {"required": "name"}, "draft-07"),
        (SPELLINGS["2019-09"][0], {"type": "strin"}, "draft 2019-09"),
        (SPELLINGS["2020-12"][0], {"minLength": -1}, "draft 2020-12"),
    ],
)
def test_each_dialect_is_checked_by_its_own_metaschema(
    dialect: str, bad: dict[str, Any], words: str
) -> None:
    document = person(dialect, "$defs" if "/draft/" in dialect else "definitions")
    document["properties"]["name"].update(bad)
    with pytest.raises(errors.SpecError, match=f"not a valid {words} schema") as refused:
        jsonschema.parse(document)
    assert refused.value.pointer.startswith("/properties/name")


def test_draft_04_boolean_exclusive_bounds_flag_the_bound() -> None:
    document = {
        "$schema": SPELLINGS["draft-04"][0],
        "id": "http://example.com/thing.json",
        "definitions": {
            "Score": {
                "type": "object",
                "properties": {
                    "low": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                    "high": {"type": "number", "maximum": 10, "exclusiveMaximum": False},
                },
            }
        },
    }
    spec = jsonschema.parse(document)
    bounds = {p.name: p.schema for p in spec.schemas["Score"].properties}
    low, high = bounds["low"], bounds["high"]
    assert (low.minimum, low.exclusive_minimum) == (None, 0)
    assert (high.maximum, high.exclusive_maximum) == (10, None)


def test_2019_09_recursive_references_are_the_root() -> None:
    document = {
        "$schema": SPELLINGS["2019-09"][0],
        "$recursiveAnchor": True,
        "title": "Tree",
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$recursiveRef": "#"}}},
    }
    spec = jsonschema.parse(document)
    children = spec.schemas["Tree"].properties[0].schema
    assert children.items is not None and children.items.ref == "Tree"


def test_2020_12_dynamic_references_resolve_to_their_anchor() -> None:
    document = {
        "$schema": SPELLINGS["2020-12"][0],
        "$defs": {
            "Node": {
                "$dynamicAnchor": "node",
                "type": "object",
                "properties": {"next": {"$dynamicRef": "#node"}},
            }
        },
    }
    spec = jsonschema.parse(document)
    assert spec.schemas["Node"].properties[0].schema.ref == "Node"


def test_a_dynamic_reference_without_an_anchor_is_refused_in_one_line() -> None:
    document = {"$defs": {"A": {"properties": {"x": {"$dynamicRef": "#missing"}}}}}
    with pytest.raises(errors.SpecError, match="no \\$dynamicAnchor 'missing'") as refused:
        jsonschema.parse(document)
    assert refused.value.pointer == "/$defs/A/properties/x/$dynamicRef"
    assert "\n" not in str(refused.value)


def test_an_unknown_dialect_lists_the_known_ones() -> None:
    with pytest.raises(errors.SpecError, match="unsupported dialect") as refused:
        jsonschema.parse({"$schema": "http://json-schema.org/draft-03/schema#"})
    assert "draft-04" in str(refused.value) and "2020-12" in str(refused.value)
