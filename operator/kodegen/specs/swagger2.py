"""Swagger 2.0 documents -> OpenAPI 3.0.3 documents, before `openapi.parse` validates them.

The Swagger document is validated first against the Swagger 2.0 schema, so every refusal names
the JSON pointer in the document the author wrote; the conversion after that trusts its shape.
No maintained Python converter exists (the usual one, swagger2openapi, is JavaScript), so the
rules are here, one function each. Output key order follows the input: same input, same bytes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema.exceptions  # type: ignore[import-untyped]
import openapi_spec_validator
import referencing.exceptions

from kodegen import errors
from kodegen.specs import keywords, patterns, refs, repairs

VERSION = "3.0.3"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
REFS = {
    "#/definitions/": "#/components/schemas/",
    "#/parameters/": "#/components/parameters/",
    "#/responses/": "#/components/responses/",
}
# Swagger parameter keywords that describe the value: they move into the OpenAPI 3 `schema`.
SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
)
# collectionFormat -> (style, explode) for a query parameter; path and header take csv only.
STYLES = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
}


def is_swagger(document: dict[str, Any]) -> bool:
    return "swagger" in document and "openapi" not in document


def convert(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0.3 equivalent of a valid Swagger 2.0 `document`."""
    return converted(document)[0]


def converted(document: dict[str, Any]) -> tuple[dict[str, Any], tuple[repairs.Repair, ...]]:
    """`convert`, and the places kept though Swagger 2.0 lacks them (`TOLERATED`)."""
    if str(document.get("swagger")) != "2.0":
        raise errors.SpecError(
            pointer="/swagger",
            reason=f"unsupported swagger version {document.get('swagger')!r}; expected '2.0'",
        )
    refs.check(document)  # every `$ref` resolves, before the validator follows them
    document, declared = repairs.declare(document)
    kept = _validate(document)
    return _Converter(document).document(), (*declared, *kept)


TOLERATED = frozenset({"oneOf", "anyOf", "not", "writeOnly"})
"""Schema words Swagger 2.0 lacks and OpenAPI 3 has: a schema object using them is kept for the
conversion, whose OpenAPI 3 validation then checks it, and reported."""


def _validate(document: dict[str, Any]) -> tuple[repairs.Repair, ...]:
    checked = patterns.checked(_without_file_responses(document))
    validator = openapi_spec_validator.OpenAPIV2SpecValidator(checked)
    kept: list[repairs.Repair] = []
    try:
        reported = validator.iter_errors()
        error = next((e for e in reported if not _tolerated(e, kept, document)), None)
    except (referencing.exceptions.Unresolvable, RecursionError, ValueError) as exc:
        raise errors.SpecError(pointer="", reason=f"cannot resolve references: {exc}") from exc
    finally:
        # The validator caches every document it saw (see `openapi._VALIDATOR_CACHE`).
        cached = getattr(type(validator).iter_errors, "__wrapped__", None)
        getattr(cached, "cache_clear", lambda: None)()
    if error is None:
        return tuple(kept)
    if isinstance(error, jsonschema.exceptions.ValidationError):
        pointer = refs.join("", *_path(error, document))
        message = keywords.reason(keywords.deepest(error))
    else:
        pointer, message = "", " ".join(str(error).split())
    # openapi-spec-validator names an undeclared path parameter by its path and method only
    found = re.search(r"for '(\w+)' operation in '([^']*)'", message)
    if not pointer and found:
        pointer = refs.join("/paths", found.group(2), found.group(1))
    if len(message) > 300:
        message = message[:297] + "..."
    raise errors.SpecError(pointer=pointer, reason=f"Swagger 2.0: {message}")


def _path(error: Any, document: Any = None) -> list[Any]:
    """Where the deepest cause of `error` is, from the document's root. The validator checks
    each definition on its own too, counting from it (`properties/tag/oneOf`): such a path is
    put under the definition that holds the offending value there."""
    top, path = list(error.absolute_path), list(keywords.deepest(error).absolute_path)
    path = path if path[: len(top)] == top else top + path
    if document is None or _at(document, path) is not _NOTHING:
        return path
    definitions = document.get("definitions") if isinstance(document, dict) else None
    for name, node in (definitions or {}).items():
        if _at(node, path) == error.instance:
            return ["definitions", name, *path]
    return path


_NOTHING = object()


def _at(node: Any, path: list[Any]) -> Any:
    for part in path:
        held = isinstance(node, dict) and part in node
        listed = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (held or listed):
            return _NOTHING
        node = node[part]
    return node


def _tolerated(error: Any, kept: list[repairs.Repair], document: Any) -> bool:
    """Whether `error` is only a schema object using `TOLERATED` words (noted in `kept`), or
    an empty `required` list (which the conversion drops)."""
    if not isinstance(error, jsonschema.exceptions.ValidationError):
        return False
    path = _path(error, document)
    message = str(keywords.deepest(error).message)
    if path[-1:] == ["required"] and message.startswith("[] has less than 1 item"):
        return True
    found = _UNEXPECTED.match(message)
    extra = set(re.findall(r"'([^']*)'", found.group(1))) if found else set()
    if not extra or not extra <= TOLERATED:
        return False
    words = ", ".join(f"`{word}`" for word in sorted(extra))
    kept.append(
        repairs.Repair(
            refs.join("", *path),
            f"{words}: not Swagger 2.0 but OpenAPI 3, kept and checked as OpenAPI 3",
        )
    )
    return True


_UNEXPECTED = re.compile(r"Additional properties are not allowed \((.*) (?:was|were) unexpected\)")


COMPONENTS = {
    "schemas": "/definitions",
    "parameters": "/parameters",
    "responses": "/responses",
    "securitySchemes": "/securityDefinitions",
}


def original(pointer: str) -> str:
    """The pointer in the Swagger document of a place `pointer` names in its conversion: the
    same place where the two agree, else the nearest enclosing one that exists in both."""
    parts = pointer.split("/")[1:]
    if len(parts) >= 2 and parts[0] == "components" and parts[1] in COMPONENTS:
        return COMPONENTS[parts[1]] + "".join("/" + p for p in parts[2:])
    if len(parts) >= 3 and parts[0] == "paths" and parts[2] in METHODS:
        rest = parts[3:]
        if rest[:1] == ["responses"] and len(rest) >= 4 and rest[2] == "content":
            rest = (
                rest[:2] + rest[4:]
            )  # responses/200/content/<media>/schema -> responses/200/schema
        elif rest[:1] in (["parameters"], ["requestBody"]):
            rest = []  # body and form parameters moved: the operation is the place
        return "/" + "/".join(parts[:3] + rest)
    if parts[:1] == ["servers"]:
        return "/host"
    return pointer


def _without_file_responses(document: dict[str, Any]) -> dict[str, Any]:
    """A copy for the validator, whose schema checks refuse a response schema of `type: file`
    although Swagger 2.0 allows it there (at the root of a response's schema only)."""
    copied = copy.deepcopy(document)
    responses = [copied.get("responses")]
    for item in (copied.get("paths") or {}).values():
        if isinstance(item, dict):
            responses += [op.get("responses") for op in item.values() if isinstance(op, dict)]
    for group in responses:
        for response in group.values() if isinstance(group, dict) else ():
            found = response.get("schema") if isinstance(response, dict) else None
            if isinstance(found, dict) and found.get("type") == "file":
                found["type"] = "string"
    return copied


def ref(target: str) -> str:
    """`#/definitions/X` -> `#/components/schemas/X` (and parameters, responses)."""
    for old, new in REFS.items():
        if target.startswith(old):
            return new + target[len(old) :]
    return target


def schema(node: Any) -> Any:
    """A Swagger schema in OpenAPI 3.0 terms; vendor extensions are copied untouched."""
    if isinstance(node, list):
        return [schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") and key != "x-nullable":
            out[key] = value
        elif key == "$ref" and isinstance(value, str):
            out[key] = ref(value)
        elif key == "x-nullable":
            if value is True:
                out["nullable"] = True
        elif key == "type" and value == "file":
            out["type"], out["format"] = "string", "binary"
        elif key == "discriminator" and isinstance(value, str):
            out[key] = {"propertyName": value}
        elif key == "required" and value == []:
            continue  # OpenAPI 3.0 wants at least one name; none means the same
        elif key in ("properties", "definitions", "patternProperties"):
            out[key] = {name: schema(item) for name, item in value.items()}
        elif key in ("example", "enum", "default", "const"):
            out[key] = value
        else:
            out[key] = schema(value)
    return out


class _Converter:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.consumes: list[str] = raw.get("consumes") or ["application/json"]
        self.produces: list[str] = raw.get("produces") or ["application/json"]

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"openapi": VERSION}
        servers = self.servers()
        for key, value in self.raw.items():
            if key in ("swagger", "host", "basePath", "schemes", "consumes", "produces"):
                continue
            if key in ("definitions", "parameters", "responses", "securityDefinitions"):
                continue
            if key == "paths":
                value = {
                    path: self.path_item(item, refs.join("/paths", path))
                    for path, item in value.items()
                }
            out[key] = value
            if key == "info" and servers:
                out["servers"] = servers
        if servers and "servers" not in out:
            out["servers"] = servers
        components = self.components()
        if components:
            out["components"] = components
        return out

    def servers(self) -> list[dict[str, Any]]:
        host, base = self.raw.get("host"), self.raw.get("basePath", "")
        if not host:
            return [{"url": base}] if base else []
        return [
            {"url": f"{scheme}://{host}{base}"} for scheme in self.raw.get("schemes") or ["https"]
        ]

    def components(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "definitions" in self.raw:
            out["schemas"] = {name: schema(node) for name, node in self.raw["definitions"].items()}
        parameters = {
            name: self.parameter(node, refs.join("/parameters", name))
            for name, node in self.raw.get("parameters", {}).items()
            if node.get("in") not in ("body", "formData")
        }
        if parameters:
            out["parameters"] = parameters
        if "responses" in self.raw:
            out["responses"] = {
                name: self.response(node, self.produces)
                for name, node in self.raw["responses"].items()
            }
        if "securityDefinitions" in self.raw:
            out["securitySchemes"] = {
                name: _security(node) for name, node in self.raw["securityDefinitions"].items()
            }
        return out

    def resolved(self, node: dict[str, Any], pointer: str) -> dict[str, Any]:
        if "$ref" not in node:
            return node
        found = refs.lookup(self.raw, str(node["$ref"]), at=pointer)
        if not isinstance(found, dict):
            raise errors.SpecError(pointer=pointer, reason="a parameter $ref must name a parameter")
        return found

    def path_item(self, item: dict[str, Any], pointer: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        shared = item.get("parameters", [])
        for key, value in item.items():
            if key in METHODS:
                out[key] = self.operation(value, shared, pointer, refs.join(pointer, key))
            elif key == "parameters":
                kept = self.parameters(value, pointer + "/parameters")
                if kept:
                    out[key] = kept
            elif key == "$ref":
                out[key] = ref(value)
            else:
                out[key] = value
        return out

    def parameters(self, nodes: list[dict[str, Any]], pointer: str) -> list[dict[str, Any]]:
        """The parameters that stay parameters (body and formData become the request body)."""
        kept = []
        for index, node in enumerate(nodes):
            at = refs.join(pointer, index)
            if self.resolved(node, at).get("in") in ("body", "formData"):
                continue
            kept.append({"$ref": ref(node["$ref"])} if "$ref" in node else self.parameter(node, at))
        return kept

    def parameter(self, node: dict[str, Any], pointer: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        value: dict[str, Any] = {}
        for key, item in node.items():
            if key in SCHEMA_KEYS:
                value[key] = item
            elif key == "x-nullable":
                if item is True:
                    value["nullable"] = True
            elif key == "collectionFormat":
                out.update(_style(node, pointer))
            elif key != "allowEmptyValue" or node.get("in") == "query":
                out[key] = item
        if (
            value.get("type") == "array"
            and "collectionFormat" not in node
            and node["in"] == "query"
        ):
            out.update(_style(node, pointer))
        out["schema"] = schema(value)
        return out

    def operation(
        self, node: dict[str, Any], shared: list[dict[str, Any]], item: str, pointer: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        own = node.get("parameters", [])
        located = [(p, refs.join(pointer, "parameters", i)) for i, p in enumerate(own)]
        names = {
            (self.resolved(p, at).get("in"), self.resolved(p, at).get("name")) for p, at in located
        }
        for index, p in enumerate(shared):
            at = refs.join(item, "parameters", index)
            found = self.resolved(p, at)
            if (found.get("in"), found.get("name")) not in names:
                located.append((p, at))
        body = self.request_body(node, located, pointer)
        produces = node.get("produces") or self.produces
        for key, value in node.items():
            if key in ("consumes", "produces", "schemes"):
                continue
            if key == "parameters":
                kept = self.parameters(value, pointer + "/parameters")
                if kept:
                    out[key] = kept
                if body is not None:
                    out["requestBody"] = body
            elif key == "responses":
                out[key] = {
                    str(code): {"$ref": ref(r["$ref"])}
                    if "$ref" in r
                    else self.response(r, produces)
                    for code, r in value.items()
                }
            else:
                out[key] = value
        if body is not None and "requestBody" not in out:
            out["requestBody"] = body
        return out

    def request_body(
        self, node: dict[str, Any], located: list[tuple[dict[str, Any], str]], pointer: str
    ) -> dict[str, Any] | None:
        consumes: list[str] = node.get("consumes") or self.consumes
        found = [(self.resolved(p, at), at) for p, at in located]
        bodies = [p for p, _ in found if p.get("in") == "body"]
        form = [(p, at) for p, at in found if p.get("in") == "formData"]
        if bodies:
            body = bodies[0]
            out: dict[str, Any] = {}
            if "description" in body:
                out["description"] = body["description"]
            out["content"] = {media: {"schema": schema(body["schema"])} for media in consumes}
            if body.get("required") is True:
                out["required"] = True
            out.update({k: v for k, v in body.items() if k.startswith("x-")})
            return out
        if not form:
            return None
        files = any(p.get("type") == "file" for p, _ in form)
        media = [m for m in consumes if m in FORMS] or (
            ["multipart/form-data"] if files else ["application/x-www-form-urlencoded"]
        )
        if files and "multipart/form-data" not in media:
            raise errors.SpecError(
                pointer=pointer + "/consumes",
                reason="a formData parameter of type file needs consumes multipart/form-data",
            )
        properties: dict[str, Any] = {}
        required: list[str] = []
        for p, at in form:
            value = self.parameter(p, at)["schema"]
            if "description" in p:
                value["description"] = p["description"]
            properties[p["name"]] = value
            if p.get("required") is True:
                required.append(p["name"])
        shape: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            shape["required"] = required
        return {
            "content": {m: {"schema": shape} for m in media},
            **({"required": True} if required else {}),
        }

    def response(self, node: dict[str, Any], produces: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"description": node.get("description", "")}
        examples = node.get("examples") or {}
        for key, value in node.items():
            if key == "schema":
                content: dict[str, Any] = {}
                for media in produces:
                    content[media] = {"schema": schema(value)}
                    if media in examples:
                        content[media]["example"] = examples[media]
                out["content"] = content
            elif key == "headers":
                out[key] = {name: self.header(h) for name, h in value.items()}
            elif key.startswith("x-"):
                out[key] = value
        return out

    def header(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        value: dict[str, Any] = {}
        for key, item in node.items():
            if key in SCHEMA_KEYS:
                value[key] = item
            elif key == "description" or key.startswith("x-"):
                out[key] = item
        out["schema"] = schema(value)
        return out


def _style(node: dict[str, Any], pointer: str) -> dict[str, Any]:
    form = node.get("collectionFormat", "csv")
    where = node.get("in")
    if where == "formData":
        return {}  # the request body's encoding: form fields keep their defaults
    if where == "query" and form in STYLES:
        style, explode = STYLES[form]
        return {"style": style, "explode": explode}
    if where in ("path", "header") and form == "csv":
        return {}  # `simple`, the default for path and header, is csv
    raise errors.SpecError(
        pointer=pointer + "/collectionFormat",
        reason=f"collectionFormat {form!r} has no OpenAPI 3 equivalent for a {where} parameter",
    )


FLOWS = {
    "implicit": ("implicit", ("authorizationUrl",)),
    "password": ("password", ("tokenUrl",)),
    "application": ("clientCredentials", ("tokenUrl",)),
    "accessCode": ("authorizationCode", ("authorizationUrl", "tokenUrl")),
}


def _security(node: dict[str, Any]) -> dict[str, Any]:
    kind = node["type"]
    out: dict[str, Any] = {}
    if kind == "basic":
        out = {"type": "http", "scheme": "basic"}
    elif kind == "apiKey":
        out = {"type": "apiKey", "name": node["name"], "in": node["in"]}
    else:
        flow, urls = FLOWS[node["flow"]]
        settings = {url: node[url] for url in urls}
        out = {"type": "oauth2", "flows": {flow: {**settings, "scopes": node.get("scopes", {})}}}
    for key, value in node.items():
        if key == "description" or key.startswith("x-"):
            out[key] = value
    return out
