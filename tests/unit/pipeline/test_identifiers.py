"""Names from a spec become identifiers that import and do not collide: keywords, builtins,
names that shadow their own annotation type, leading digits, case twins."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kodegen.api import codegeneration
from kodegen.pipeline import generate
from kodegen.views.openapi import pyview

OBJECT = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "integer"},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "str": {"type": "string"},
        "list": {"type": "array", "items": {"type": "string"}},
        "class": {"type": "string"},
        "None": {"type": "string"},
        "2fa": {"type": "boolean"},
        "_private": {"type": "string"},
        "userId": {"type": "integer"},
        "user_id": {"type": "integer"},
        "model_config": {"type": "string"},
    },
}
SCHEMAS = {
    "Pet": OBJECT,
    "pet": {"type": "object", "properties": {"name": {"type": "string"}}},
    "None": {"type": "object", "properties": {"value": {"type": "string"}}},
    "Field": {"type": "object", "properties": {"value": {"type": "string"}}},
    "2Things": {"type": "object", "properties": {"3d": {"type": "integer"}}},
}


def openapi_manifest() -> dict[str, Any]:
    def listing(op_id: str, ref: str) -> dict[str, Any]:
        return {
            "operationId": op_id,
            "parameters": [
                {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "class", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": ref}}},
                }
            },
        }

    return {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": "names"},
        "spec": {
            "specification": {
                "type": "openapi",
                "openapi": {
                    "inline": {
                        "openapi": "3.0.3",
                        "info": {"title": "Names", "version": "1.0.0"},
                        "paths": {
                            "/things": {"get": listing("listPets", "#/components/schemas/Pet")},
                            "/other": {"get": listing("list_pets", "#/components/schemas/pet")},
                            "/none": {"get": listing("class", "#/components/schemas/None")},
                        },
                        "components": {"schemas": copy.deepcopy(SCHEMAS)},
                    }
                },
            },
            "template": {"family": "python-fastapi-service", "version": "^1.0"},
            "variables": {"packageName": "names"},
        },
    }


def models_manifest() -> dict[str, Any]:
    data = openapi_manifest()
    data["spec"]["template"] = {"family": "python-pydantic-models", "version": "^1.0"}
    data["spec"]["specification"]["openapi"]["inline"]["paths"] = {}
    return data


def generated(tmp_path: Path, data: dict[str, Any]) -> Path:
    generator = generate.Generator()
    prepared = generator.validate(codegeneration.CodeGeneration.model_validate(data))
    for path, content in generator.format(prepared, generator.render(prepared)).items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return tmp_path


def run(folder: Path, code: str) -> None:
    process = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 0, process.stderr


def test_fastapi_service_with_clashing_names_imports_and_validates(tmp_path: Path) -> None:
    folder = generated(tmp_path, openapi_manifest())
    run(
        folder,
        "from names import models, routes, main\n"
        "pet = models.Pet.model_validate({'id': 1, 'date': '2024-01-02', 'str': 's', "
        "'2fa': True, 'userId': 1, 'user_id': 2, 'None': 'n', 'class': 'c', "
        "'_private': 'p', 'model_config': 'm'})\n"
        "assert str(pet.date_) == '2024-01-02', pet\n"
        "assert (pet.user_id, pet.user_id_) == (1, 2)\n"
        "assert pet.field_2fa is True and pet.private == 'p'\n"
        "assert models.Pet is not models.Pet2\n"
        "assert {'None2', 'Field2', '_2Things'} <= set(vars(models))\n"
        "assert models._2Things(**{'3d': 4}).field_3d == 4\n"
        "assert callable(routes.list_pets) and callable(routes.list_pets_)\n",
    )


def test_models_package_with_clashing_names_imports(tmp_path: Path) -> None:
    folder = generated(tmp_path, models_manifest())
    run(
        folder,
        "from names import models\n"
        "pet = models.Pet.model_validate({'id': 1, 'date': '2024-01-02'})\n"
        "assert str(pet.date_) == '2024-01-02'\n",
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("date", "date_"), ("str", "str_"), ("2fa", "field_2fa"), ("_x", "x"), ("3d", "field_3d"),
        ("class", "class_"), ("model_x", "model_x_"), ("json", "json_"), ("name", "name"),
    ],
)  # fmt: skip
def test_field_names(name: str, expected: str) -> None:
    assert pyview.snake(name) == expected


def test_model_class_names_avoid_python_constants_and_imports() -> None:
    types = pyview.Types({})
    assert types._unique("None") == "None2"
    assert types._unique("Field") == "Field2"
    assert types._unique("Pet") == "Pet"
