"""The models view of python-pydantic-models: root constraints, imports, and one case per
constraint, checked against real pydantic models built from the same type expressions."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Annotated, Any, Literal

import pydantic
import pytest
from pydantic import BaseModel, ConfigDict, Field, RootModel

from kodegen.specs import jsonschema
from kodegen.views.openapi import pymodels, pyview


def view(defs: dict[str, Any]) -> dict[str, Any]:
    spec = jsonschema.parse({"$defs": defs})
    return pymodels.view(pyview.Types(spec.schemas))


def by_name(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in found["models"]}


def build(found: dict[str, Any]) -> dict[str, type[Any]]:
    """The classes models.py.j2 would write, built in-process from the view."""
    namespace: dict[str, Any] = {
        "Annotated": Annotated,
        "Any": Any,
        "Literal": Literal,
        "BaseModel": BaseModel,
        "ConfigDict": ConfigDict,
        "Field": Field,
        "RootModel": RootModel,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "UUID": uuid.UUID,
    }
    for m in found["models"]:
        if m["root"]:
            source = f"class {m['name']}(RootModel[{m['root']}]):\n    pass\n"
        else:
            lines = [f"class {m['name']}(BaseModel):"]
            lines.append(
                f"    model_config = ConfigDict(populate_by_name=True, extra={m['extra']!r})"
            )
            for f in m["fields"]:
                args = [f"default={f['default']}"] if f["default"] else []
                args.append(f"alias={f['alias']!r}")
                if f["constraints"]:
                    args.append(f["constraints"])
                lines.append(f"    {f['name']}: {f['type']} = Field({', '.join(args)})")
            source = "\n".join(lines) + "\n"
        exec(source, namespace)  # test-only: source built from the view under test
    classes = {m["name"]: namespace[m["name"]] for m in found["models"]}
    for cls in classes.values():
        cls.model_rebuild(_types_namespace=namespace)
    return classes


ORDER = {
    "Sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "maxLength": 8},
    "Status": {"enum": ["open", "closed"]},
    "Line": {
        "type": "object",
        "required": ["sku", "quantity"],
        "additionalProperties": False,
        "properties": {
            "sku": {"$ref": "#/$defs/Sku"},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
            "price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
            "note": {"type": ["string", "null"], "minLength": 2, "maxLength": 4},
            "status": {"$ref": "#/$defs/Status"},
            "on": {"type": "string", "format": "date"},
            "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
            "flag": {"type": "boolean"},
            "code": {"type": "string", "pattern": "^c[0-9]+$"},
        },
    },
}


def test_root_models_carry_their_constraints_and_fields_typed_by_them_do_not() -> None:
    models = by_name(view(ORDER))
    assert (
        models["Sku"]["root"]
        == 'Annotated[str, Field(max_length=8, pattern="^[A-Z]{3}-[0-9]{4}$")]'
    )
    assert models["Status"]["root"] == 'Literal["open", "closed"]'
    fields = {f["alias"]: f for f in models["Line"]["fields"]}
    assert fields["sku"]["constraints"] == ""
    assert fields["quantity"]["constraints"] == "ge=1, le=99"


def test_cases_name_every_constraint() -> None:
    models = by_name(view(ORDER))
    ids = [case["id"] for case in models["Line"]["invalid"]]
    assert ids == [
        "code-null",  # optional, not nullable: may be left out, not sent as null
        "code-type",
        "code-pattern",
        "flag-null",
        "flag-type",
        "note-type",  # nullable: null is a value
        "note-minLength",
        "note-maxLength",
        "on-null",
        "on-format",
        "price-null",
        "price-type",
        "price-exclusiveMinimum",
        "price-multipleOf",
        "quantity-required",
        "quantity-type",
        "quantity-minimum",
        "quantity-maximum",
        "sku-required",
        "sku-type",
        "status-enum",  # typed by a root model: whether null passes is the root's to say
        "tags-null",
        "tags-type",
        "tags-minItems",
        "tags-maxItems",
        "additional-property",
    ]
    assert [c["id"] for c in models["Sku"]["invalid"]] == [
        "root-type",
        "root-maxLength",
        "root-pattern",
    ]
    assert [c["id"] for c in models["Status"]["invalid"]] == ["root-enum"]


def test_samples_are_accepted_and_every_case_is_rejected_where_it_says() -> None:
    found = view(ORDER)
    classes = build(found)
    for m in found["models"]:
        cls = classes[m["name"]]
        parsed = cls.model_validate(m["sample"])
        assert cls.model_validate(parsed.model_dump(mode="json", by_alias=True)) == parsed
        for case in m["invalid"]:
            with pytest.raises(pydantic.ValidationError) as caught:
                cls.model_validate(case["value"])
            where = [list(e["loc"][: len(case["loc"])]) for e in caught.value.errors()]
            assert case["loc"] in where, (m["name"], case)


def test_a_pattern_without_an_example_gets_a_matching_sample() -> None:
    models = by_name(view(ORDER))
    assert re.search("^[A-Z]{3}-[0-9]{4}$", models["Sku"]["sample"])
    assert re.search("^c[0-9]+$", models["Line"]["sample"]["code"])
    assert models["Line"]["sample"]["sku"] == models["Sku"]["sample"]


def test_pattern_cases_respect_the_length_bounds() -> None:
    found = by_name(view({"R": {"type": "string", "pattern": "^r-", "minLength": 5}}))
    (pattern,) = [c for c in found["R"]["invalid"] if c["id"] == "root-pattern"]
    assert len(pattern["value"]) >= 5 and not pattern["value"].startswith("r-")


def test_integer_bounds_break_on_the_nearest_whole_number() -> None:
    found = by_name(
        view({"N": {"type": "integer", "exclusiveMinimum": 0.5, "exclusiveMaximum": 9.5}})
    )
    values = {c["id"]: c["value"] for c in found["N"]["invalid"]}
    assert values == {
        "root-type": "not a number",
        "root-exclusiveMinimum": 0,
        "root-exclusiveMaximum": 10,
    }


def test_import_lines_name_what_the_models_use() -> None:
    assert view(ORDER)["import_lines"] == [
        "from datetime import date",
        "from typing import Annotated, Literal",
        "",
        "from pydantic import BaseModel, ConfigDict, Field, RootModel",
    ]
    assert view({})["import_lines"] == []
    assert view({"N": {"type": "integer"}})["import_lines"] == [
        "",
        "from pydantic import RootModel",
    ]
    # a word in an enum value is no name the models use
    words = {"Order": {"type": "string", "enum": ["after-date", "Any 'UUID'", 'a "datetime"']}}
    assert view(words)["import_lines"] == [
        "from typing import Literal",
        "",
        "from pydantic import RootModel",
    ]


def test_the_view_is_deterministic() -> None:
    assert view(ORDER) == view(ORDER)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[A-Z]{3}-\d{4}$",
        r"^(?:cat|dog)s?$",
        r"^[^@\s]+@[a-z]+\.(com|org)$",
        r"^\w{2,}\s?[0-9a-f]+$",
        r"(?i)^x[.]y*$",
    ],
)
def test_samples_match_the_common_kinds_of_pattern(pattern: str) -> None:
    found = by_name(view({"P": {"type": "string", "pattern": pattern, "minLength": 3}}))
    sample = found["P"]["sample"]
    assert re.search(pattern, sample) and len(sample) >= 3


def test_a_pattern_it_cannot_build_for_keeps_the_plain_sample() -> None:
    found = by_name(view({"P": {"type": "string", "pattern": r"^(a)\1$"}}))
    assert found["P"]["sample"] == "string"
