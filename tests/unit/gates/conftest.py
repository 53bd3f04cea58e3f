"""A small FastAPI project that passes every gate, and helpers to break it one way at a time."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from kodegen.gates import config, report, runner

MAIN = '''\
"""The Petstore API."""

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI(title="Petstore", version="1.0.0")


class NewPet(BaseModel):
    name: str


class Pet(NewPet):
    id: int


PETS: dict[int, Pet] = {1: Pet(id=1, name="Rex")}


@app.get("/pets", response_model=list[Pet])
def list_pets() -> list[Pet]:
    return list(PETS.values())


@app.post("/pets", response_model=Pet, status_code=201)
def create_pet(pet: NewPet) -> Pet:
    created = Pet(id=len(PETS) + 1, name=pet.name)
    PETS[created.id] = created
    return created


@app.get("/pets/{pet_id}", response_model=Pet)
def get_pet(pet_id: int) -> Pet:
    if pet_id not in PETS:
        raise HTTPException(status_code=404, detail="pet not found")
    return PETS[pet_id]
'''

TESTS = '''\
"""Tests of the Petstore API."""

from fastapi.testclient import TestClient

from petstore.main import app

client = TestClient(app)


def test_list_pets() -> None:
    response = client.get("/pets")
    assert response.status_code == 200
    assert response.json()[0] == {"id": 1, "name": "Rex"}


def test_create_and_get_pet() -> None:
    created = client.post("/pets", json={"name": "Tom"})
    assert created.status_code == 201
    pet = created.json()
    assert client.get(f"/pets/{pet['id']}").json() == pet


def test_missing_pet() -> None:
    response = client.get("/pets/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "pet not found"}
'''

PYPROJECT = """\
[project]
name = "petstore"
version = "1.0.0"
requires-python = ">=3.11"

[tool.ruff]
line-length = 100
"""


def _json(schema: object) -> dict[str, object]:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


OPENAPI: dict[str, object] = {
    "openapi": "3.0.3",
    "info": {"title": "Petstore", "version": "1.0.0"},
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "responses": {
                    "200": {
                        "description": "All pets",
                        "content": _json({"type": "array", "items": _ref("Pet")}),
                    }
                },
            },
            "post": {
                "operationId": "createPet",
                "requestBody": {"required": True, "content": _json(_ref("NewPet"))},
                "responses": {"201": {"description": "Created", "content": _json(_ref("Pet"))}},
            },
        },
        "/pets/{pet_id}": {
            "get": {
                "operationId": "getPet",
                "parameters": [
                    {
                        "name": "pet_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {"description": "One pet", "content": _json(_ref("Pet"))},
                    "404": {"description": "No such pet", "content": _json(_ref("Error"))},
                },
            }
        },
    },
    "components": {
        "schemas": {
            "NewPet": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            },
            "Pet": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            "Error": {
                "type": "object",
                "required": ["detail"],
                "properties": {"detail": {"type": "string"}},
            },
        }
    },
}

CLEAN_FILES: Mapping[str, str] = {
    "pyproject.toml": PYPROJECT,
    "petstore/__init__.py": '"""Petstore service."""\n',
    "petstore/main.py": MAIN,
    "petstore/openapi.json": json.dumps(OPENAPI, indent=2) + "\n",
    "tests/__init__.py": "",
    "tests/test_main.py": TESTS,
}


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """Write `files` (relative path -> text, dedented) under `root`; return `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root` with its content and modification time, to prove nothing changed."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def by_name(reports: tuple[report.GateReport, ...]) -> dict[str, report.GateReport]:
    return {item.name: item for item in reports}


@pytest.fixture(scope="session")
def clean_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean project, shared and read-only: copy it (`project`) to change anything."""
    return write_files(tmp_path_factory.mktemp("clean") / "petstore", CLEAN_FILES)


@pytest.fixture
def project(tmp_path: Path, clean_project: Path) -> Path:
    """A private copy of the clean project, for a test to break."""
    return Path(shutil.copytree(clean_project, tmp_path / "petstore"))


@pytest.fixture(scope="session")
def gate_config() -> config.GateConfig:
    return config.GateConfig(
        package="petstore", app="petstore.main:app", openapi="petstore/openapi.json"
    )


@pytest.fixture(scope="session")
def clean_run(
    clean_project: Path, gate_config: config.GateConfig
) -> tuple[tuple[report.GateReport, ...], list[str], dict[str, tuple[bytes, int]]]:
    """All gates over the clean project, once per session: reports, progress calls, and the
    project's files before the run."""
    before = snapshot(clean_project)
    finished: list[str] = []
    reports = runner.run_all(
        clean_project, gate_config, progress=lambda name, _report: finished.append(name)
    )
    return reports, finished, before
