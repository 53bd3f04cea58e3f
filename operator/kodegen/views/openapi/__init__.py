"""OpenAPI and JSON Schema specs -> the context of `python-fastapi-service` and
`python-pydantic-models`: `context.build` is the entry point; `pyview` spells schemas as Python
types, `pymodels` adds what a models package needs, `routes` describes each operation."""
