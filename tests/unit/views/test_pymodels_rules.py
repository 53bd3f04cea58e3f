"""The pydantic models of `tests.models_rules.RULES`, rendered by the real templates and
imported: dependency order, names, composition, and samples that the source schema accepts
(checked here with the `jsonschema` library itself) and the models accept too."""

from __future__ import annotations

import copy
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

import jsonschema
import pydantic
import pytest
from tests.models_rules import RULES

from kodegen.specs import jsonschema as jsonschema_spec
from kodegen.specs import model, openapi, samples
from kodegen.templates import registry, render
from kodegen.views.openapi import context, pymodels, pyview


def rendered(document: dict[str, Any], family: str, package: str) -> dict[str, str]:
    if "openapi" in document:
        spec = openapi.parse(copy.deepcopy(document))
    else:
        spec = jsonschema_spec.parse(copy.deepcopy(document))
    template = registry.resolve(family, "^1.0")
    built = context.build(spec, template, {"packageName": package, "port": 8000})
    return render.render(template, built.context)


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return rendered(RULES, "python-pydantic-models", "rules_pkg")


@pytest.fixture(scope="module")
def module(files: dict[str, str]) -> Iterator[types.ModuleType]:
    """The rendered models.py imported as a module (built from this file's own schema)."""
    name = "rules_pkg_models"
    loaded = types.ModuleType(name)
    sys.modules[name] = loaded  # pydantic resolves the forward references in the module
    try:
        exec(compile(files["rules_pkg/models.py"], name, "exec"), loaded.__dict__)
        yield loaded
    finally:
        del sys.modules[name]


@pytest.fixture(scope="module")
def found() -> dict[str, Any]:
    spec = jsonschema_spec.parse(copy.deepcopy(RULES))
    result = pymodels.view(pyview.Types(spec.schemas), spec.raw)
    result["pointers"] = {
        m["name"]: pyview.Types(spec.schemas).sources[m["name"]].pointer for m in result["models"]
    }
    return result


def classes_in_order(source: str) -> list[str]:
    return re.findall(r"^class (\w+)\(", source, re.MULTILINE)


def test_every_model_is_defined_after_the_models_its_root_type_names(files: dict[str, str]) -> None:
    source = files["rules_pkg/models.py"]
    order = classes_in_order(source)
    assert order.index("Alert") < order.index("Alerts") < order.index("Inventory")
    assert order.index("Circle") < order.index("Shape") and order.index("Square") < order.index(
        "Shape"
    )
    assert "class Alerts(RootModel[list[Alert]]):" in source
    assert "class Tree(RootModel):" in source  # recursive: the root is a lazy annotation
    assert "    root: str | list[Tree]" in source


def test_the_module_imports_and_every_class_is_complete(module: types.ModuleType) -> None:
    for name in module.__all__:
        cls = getattr(module, name)
        assert cls.__pydantic_complete__, name
    tree = module.Tree.model_validate(["leaf", ["deeper", []]])
    assert tree.model_dump() == ["leaf", ["deeper", []]]
    alerts = module.Alerts.model_validate([{"level": 3, "related": [{"level": None}]}])
    assert alerts.root[0].related.root[0].level.root is None


def test_names_are_python_safe_distinct_and_stable(found: dict[str, Any]) -> None:
    models = {m["name"]: m for m in found["models"]}
    fields = {f["alias"]: f["name"] for f in models["Inventory"]["fields"]}
    assert fields["date"] == "date_"  # would shadow the type `date` in the class body
    assert fields["class"] == "class_"
    assert fields["model_config"] == "model_config_"
    assert fields["Pet"] == "pet"  # a field named like a model is not the class name
    assert fields["Name"] != fields["name"]
    assert fields["名前"] == "u540d_u524d" and fields["名字"] == "u540d_u5b57"
    long_name = next(n for a, n in fields.items() if a.startswith("a property name far"))
    assert len(long_name) <= pyview.MAX_NAME
    assert len(set(fields.values())) == len(fields)
    assert {"Date", "Date2"} <= set(models)  # `Date` and `date`: one class each


def test_patterns_pydantic_cannot_run_are_left_unchecked(found: dict[str, Any]) -> None:
    models = {m["name"]: m for m in found["models"]}
    assert models["Lookahead"]["root"] == "str"
    assert [c["id"] for c in models["Lookahead"]["invalid"]] == ["root-type"]
    assert "pattern=" in models["Code"]["root"]


def test_every_sample_is_valid_by_the_source_schema_and_by_its_model(
    found: dict[str, Any], module: types.ModuleType
) -> None:
    validator = jsonschema.Draft202012Validator(
        RULES, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert all(m["checked"] for m in found["models"])
    for m in found["models"]:
        pointer = found["pointers"][m["name"]]
        node: Any = RULES
        for part in pointer.split("/")[1:]:
            node = node[part]
        errors = [e.message for e in validator.evolve(schema=node).iter_errors(m["sample"])]
        assert errors == [], (m["name"], m["sample"])
        getattr(module, m["name"]).model_validate(m["sample"])


def test_an_all_of_whose_other_members_only_annotate_is_its_one_typed_member(
    found: dict[str, Any],
) -> None:
    models = {m["name"]: m for m in found["models"]}
    assert models["Described"]["root"] == "Code"  # allOf: [$ref] beside a description
    assert models["Counted"]["root"] == "Date"  # allOf: [$ref, {default: 0}]
    fields = {f["alias"]: f["type"] for f in models["Inventory"]["fields"]}
    assert fields["code"] == "Code"
    assert isinstance(models["Described"]["sample"], str)
    assert isinstance(models["Counted"]["sample"], int)
    cases = {m["name"]: [c["id"] for c in m["invalid"]] for m in found["models"]}
    assert "code-type" in cases["Inventory"]  # tested as the member is
    count = next(f for f in models["Inventory"]["fields"] if f["alias"] == "count")
    assert (count["type"], count["constraints"]) == ("int", "ge=0")  # enforced as well
    assert {"count-type", "count-minimum"} <= set(cases["Inventory"])
    assert models["Bounded"]["root"] == "Annotated[int, Field(le=9)]"
    assert cases["Bounded"] == ["root-type", "root-maximum"]
    assert cases["Described"] == ["root-type"] and cases["Counted"] == ["root-type"]
    spec = jsonschema_spec.parse(copy.deepcopy(RULES))  # built so, not repaired afterwards
    assert isinstance(samples.sample(model.Schema(ref="Described"), spec.schemas), str)
    assert isinstance(samples.sample(model.Schema(ref="Counted"), spec.schemas), int)


def test_samples_are_repaired_for_keywords_the_models_leave_permissive(
    found: dict[str, Any],
) -> None:
    samples = {m["name"]: m["sample"] for m in found["models"]}
    assert samples["Step"] == {"uses": "string"}  # oneOf beside properties: exactly one
    assert len(samples["Ignorable"]) == 1  # not: {required: [ignore, from]}
    assert samples["Tagged"] and all(k.startswith("x-") for k in samples["Tagged"])
    assert samples["Conditional"].get("kind") != "a" or "n" in samples["Conditional"]


def test_every_invalid_case_is_rejected_where_it_says(
    found: dict[str, Any], module: types.ModuleType
) -> None:
    for m in found["models"]:
        cls = getattr(module, m["name"])
        for case in m["invalid"]:
            with pytest.raises(pydantic.ValidationError) as caught:
                cls.model_validate(case["value"])
            where = [list(e["loc"][: len(case["loc"])]) for e in caught.value.errors()]
            assert case["loc"] in where, (m["name"], case)


def test_a_sample_no_repair_can_fix_is_dropped_not_tested() -> None:
    document = {
        "$defs": {"Never": {"type": "object", "properties": {"a": {"type": "string"}}, "not": {}}}
    }
    spec = jsonschema_spec.parse(document)
    (never,) = pymodels.view(pyview.Types(spec.schemas), spec.raw)["models"]
    assert never["checked"] is False
    tests = rendered(document, "python-pydantic-models", "never")["tests/test_models.py"]
    assert "\nVALID:" not in tests and "No sample valid by the source schema" in tests


@pytest.mark.parametrize(
    ("schemas", "requirements"),
    [
        ({"Contact": {"type": "string", "format": "email"}}, ["pydantic[email]>=2.8"]),
        ({"Count": {"type": "integer"}}, ["pydantic>=2.8"]),
        ({}, []),
    ],
)
def test_the_pyproject_declares_exactly_what_the_models_import(
    schemas: dict[str, Any], requirements: list[str]
) -> None:
    files = rendered({"$defs": schemas}, "python-pydantic-models", "deps")
    declared = re.search(
        r"dependencies = \[\n(.*?)^\]", files["pyproject.toml"], re.DOTALL | re.MULTILINE
    )
    assert declared is not None
    assert re.findall(r'"([^"]+)"', declared.group(1)) == requirements
    imports = "EmailStr" in files["deps/models.py"]
    assert imports == any("[email]" in r for r in requirements)


SERVICE = {
    "openapi": "3.0.3",
    "info": {"title": "Alerts", "version": "1.0.0"},
    "paths": {
        "/alerts": {
            "get": {
                "operationId": "listAlerts",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Alerts"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "Alert": {
                "type": "object",
                "required": ["owner"],
                "properties": {
                    "owner": {"type": "string", "format": "email"},
                    "date": {"type": "string", "format": "date", "nullable": True},
                },
            },
        }
    },
}


def test_the_service_models_come_in_dependency_order_and_declare_the_email_extra() -> None:
    files = rendered(SERVICE, "python-fastapi-service", "svc")
    order = classes_in_order(files["svc/models.py"])
    assert order.index("Alert") < order.index("Alerts")
    assert "    date_: date | None" in files["svc/models.py"]
    assert '"pydantic[email]>=2.8"' in files["pyproject.toml"]
    assert '"email-validator' not in files["pyproject.toml"]
