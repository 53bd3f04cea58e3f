"""What the gates take from the source specification: its security and its own values."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from kodegen.gates import config, contract, secrets

from .conftest import MAIN, OPENAPI, write_files

SECURED = MAIN.replace(
    "from fastapi import FastAPI, HTTPException",
    "import os\n\nfrom fastapi import FastAPI, HTTPException, Request",
).replace(
    "def create_pet(pet: NewPet) -> Pet:\n",
    "def create_pet(pet: NewPet, request: Request) -> Pet:\n"
    "    keys = os.environ.get('API_KEYS', '').split(',')\n"
    "    if request.headers.get('x-api-key') not in keys:\n"
    "        raise HTTPException(status_code=401, detail='no')\n",
)


def secured_spec(documented: bool) -> str:
    spec = json.loads(json.dumps(OPENAPI))
    spec["components"]["securitySchemes"] = {
        "key": {"type": "apiKey", "in": "header", "name": "x-api-key"}
    }
    post = spec["paths"]["/pets"]["post"]
    post["security"] = [{"key": []}]
    if documented:
        post["responses"]["401"] = {"description": "no credential"}
    return json.dumps(spec, indent=2) + "\n"


async def test_the_probe_sends_the_credentials_the_spec_asks_for(
    project: Path, gate_config: config.GateConfig
) -> None:
    write_files(
        project, {"petstore/main.py": SECURED, "petstore/openapi.json": secured_spec(False)}
    )
    result = await contract.run(project, dataclasses.replace(gate_config, max_examples=10))
    # 401 is not documented: passing proves every request carried the configured key
    assert (result.passed, result.reason) == (True, None)
    assert result.counts["cases"] > 0


async def test_values_of_the_spec_are_not_secrets_of_the_generation(
    project: Path, gate_config: config.GateConfig
) -> None:
    value = "".join(["oa_", "citations"])
    spec = json.loads(json.dumps(OPENAPI))
    spec["info"]["x-example"] = {"apiKey": value}
    write_files(
        project,
        {
            "petstore/openapi.json": json.dumps(spec, indent=2) + "\n",
            "petstore/data.py": f'EXAMPLE = {{"apiKey": "{value}"}}\n',
        },
    )
    result = await secrets.run(project, gate_config)
    assert result.passed
    assert result.counts["from_specification"] == 2  # the spec itself and the code that carries it
    other = "".join(["zq8", "Xw2pLm4"])
    write_files(project, {"petstore/more.py": f'EXAMPLE = {{"apiKey": "{other}"}}\n'})
    result = await secrets.run(project, gate_config)
    assert not result.passed
    assert [(f.file, f.line) for f in result.findings] == [("petstore/more.py", 1)]
