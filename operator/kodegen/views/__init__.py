"""View builders: a normalized spec (`kodegen.specs`) -> the context a target's templates render.

One package per family of targets, none importing another: `openapi` (OpenAPI and JSON Schema
specs -> the FastAPI service and the pydantic models package) and `graphql` (GraphQL SDL -> the
Strawberry service). Each returns a `plan.Plan`; `pipeline` only chooses which one to call. A
new spec type or target language is one new package here.
"""
