"""One operation or resource of a spec, seen by a template: its parameters, answers and tests.

Semantics come from `specs.resources`; the Python spelling of types from `pyview`.
Error answers use the status and body shape the operation declares (INVALID, NOT_FOUND,
UNAUTHORIZED: the first the operation declares wins; a documented example only when its schema
accepts it), or FALLBACK when it declares none: a *spec gap*, listed in the view's `gaps` for
the run's summary and the contract gate, for the cases the operation can meet (`_cases`).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from kodegen.specs import answers, conformance, envelopes, fields, model, patterns, samples, schemas
from kodegen.templates import untrusted
from kodegen.views.openapi import pyview, storeops

PAGING = {
    "limit": "limit", "pageSize": "limit", "page_size": "limit", "per_page": "limit",
    "perPage": "limit", "size": "limit", "max": "limit", "count": "limit",
    "offset": "offset", "skip": "offset", "start": "offset", "page": "page",
}  # fmt: skip
INVALID = ("400", "422", "4XX", "default")
UNAUTHORIZED = ("401", "403", "4XX", "default")
KEY_PLACEHOLDER = "\x00key\x00"
"""Where the key goes in a test URL while it is built (NUL: no path from a spec holds one)."""
CREDENTIAL = "<kodegen-test-credential>"  # a placeholder secret scanners know as one
NOT_FOUND = ("404", "4XX", "default")
FALLBACK = {"invalid": (422, "application/json", {"detail": "invalid request"}),
            "unauthorized": (401, "application/json", {"detail": "not authenticated"}),
            "not_found": (404, "application/json", {"detail": "not found"})}  # fmt: skip


def resource(spec: model.ApiSpec, resource: model.Resource) -> dict[str, Any]:
    if resource.singleton:
        return singleton(spec, resource)
    item = schemas.flatten(resource.item_schema, spec.schemas)
    create = resource.create_body
    written = schemas.flatten(_written(spec, resource), spec.schemas)
    read = {p.name: p.schema for p in item.properties}
    writable = {  # a field written in another shape (ids, read as objects) is the server's
        p.name
        for p in written.properties
        if p.name not in read or fields.fits(p.schema, read[p.name], spec.schemas)
    }
    always = {p.name for p in written.properties if p.required}
    generate, owned, hidden, defaults = {}, [], [], {}
    for prop in item.properties:
        resolved = schemas.resolve(prop.schema, spec.schemas)
        if resolved.write_only:
            hidden.append(prop.name)
        if resolved.read_only or prop.name not in writable:
            owned.append(prop.name)
        if (prop.name in owned and prop.required) or prop.name == resource.key:
            generate[prop.name] = _generator(resolved, prop.schema, spec)
        elif (
            prop.required
            and create is not None
            and (not create.required or prop.name not in always)
        ):  # a create without a body, or without this field, still answers whole items
            defaults[prop.name] = samples.sample(prop.schema, spec.schemas, writing=True)
    list_op = next(
        (op for op in spec.operations if resource.operations.get(op.operation_id) == "list"), None
    )
    max_items = None
    if list_op is not None:
        success = _success(list_op)
        if success and success.schema is not None:
            max_items = schemas.resolve(success.schema, spec.schemas).max_items
    return {
        "var": store_var(spec, resource),
        "name": untrusted.mark(resource.name),
        "key": untrusted.mark(resource.key),
        "generate": generate,
        "owned": owned,
        "kept": sorted(p.name for p in item.properties if p.required and p.name not in owned),
        "defaults": defaults,
        "hidden": sorted(hidden),
        "max_items": max_items,
        "not_null": _not_null(resource.item_schema, spec),
        "singleton": False,
        "seed": None if create is not None else samples.sample(resource.item_schema, spec.schemas),
    }


def singleton(spec: model.ApiSpec, resource: model.Resource) -> dict[str, Any]:
    """A value stored once per scope: its default (the read's sample) and the fields writes keep."""
    read = next(op for op in spec.operations if resource.operations.get(op.operation_id) == "read")
    success = _success(read)
    default = None
    if success is not None and success.media_type is not None:
        default = samples.example_or_sample(  # the example only when its schema takes it
            success.example, success.schema or model.Schema(), spec.schemas
        )
    return {
        "var": store_var(spec, resource),
        "name": untrusted.mark(resource.name),
        "singleton": True,
        "default": default,
        "accepted": untrusted.mark(storeops.accepted(spec, resource)),
        "not_null": _not_null(resource.item_schema, spec),
    }


def _not_null(item: model.Schema, spec: model.ApiSpec) -> list[str]:
    """The item's fields a read answers never null: a null written to one (a request schema
    may allow it) leaves the field as it was, or unset."""
    flat = schemas.flatten(item, spec.schemas)
    return untrusted.mark(  # type: ignore[no-any-return]
        sorted(
            p.name
            for p in flat.properties
            if not (resolved := schemas.resolve(p.schema, spec.schemas)).nullable
            and not p.schema.nullable
            and resolved.type not in ("any", "null")
            and not (resolved.enum and None in resolved.enum)
        )
    )


def _written(spec: model.ApiSpec, resource: model.Resource) -> model.Schema:
    """What clients write to an item: create's body, else (read-only) a replace or update's."""
    if resource.create_body is not None:
        return resource.create_body.schema
    for op in spec.operations:
        semantics = resource.operations.get(op.operation_id)
        if semantics in ("replace", "update") and op.body is not None:
            inner = envelopes.item(op.body.schema, spec.schemas)
            return inner[1] if inner else op.body.schema
    return model.Schema(type="object")


def store_var(spec: model.ApiSpec, resource: model.Resource) -> str:
    """The module constant holding `resource`'s store (`PETS`), distinct from every other
    resource's even when their names differ only in case or punctuation (`Pet`, `pet`)."""
    taken: set[str] = set()
    for candidate in spec.resources:
        var = base = pyview.snake(candidate.name).upper() + "S"
        count = 2
        while var in taken:
            var, count = f"{base}{count}", count + 1
        taken.add(var)
        if candidate is resource:
            return var
    return pyview.snake(resource.name).upper() + "S"


def _generator(schema: model.Schema, declared: model.Schema, spec: model.ApiSpec) -> str:
    """Python source of a store value generator for a server-owned field (`schema`, resolved
    from `declared`): a sequence, a clock, or for an array or object a sample of it."""
    only = schemas.sole(schema)  # `allOf: [{$ref: SandboxID}]` beside `readOnly`
    schema = schemas.resolve(only, spec.schemas) if only is not None else schema
    if schema.type in ("array", "object"):
        return f"store.constant({pyview.literal(samples.sample(declared, spec.schemas))})"
    if schema.enum:
        return f"store.constant({pyview.literal(schema.enum[0])})"
    if schema.type in ("integer", "number"):
        low = int(schema.minimum if schema.minimum is not None else 1)
        high = schema.maximum
        return f"store.sequence({max(low, 0)}, {int(high) if high is not None else None})"
    if schema.format == "date-time":
        return "store.timestamp"
    if schema.format == "date":
        return "store.today"
    if schema.format == "uuid":
        return "store.uuid"
    if schema.type == "boolean":
        return "store.constant(False)"
    return _text_sequence(schema, declared, spec)


def _text_sequence(schema: model.Schema, declared: model.Schema, spec: model.ApiSpec) -> str:
    """ "1", "2"... for a plain string; for one with a pattern, a format or a minimum length,
    numbers written into its sample (`ord_000...1` for `^ord_[0-9a-z]{26}$`) or after it
    (`https://example.com/1` for a uri): whichever every number tried keeps valid."""
    if schema.pattern is None and schema.format is None and not schema.min_length:
        return "store.text_sequence()"
    template = samples.sample(declared, spec.schemas)
    if not isinstance(template, str) or not template:
        return "store.text_sequence()"
    for append in (schema.format in ("uri", "url"), schema.format not in ("uri", "url")):
        made = [_numbered(template, number, append) for number in ("1", "42", "123456")]
        if all(conformance.conforms(value, declared, spec.schemas) for value in made):
            return f"store.text_sequence({pyview.literal(template)}, append={append})"
    return "store.text_sequence()"


def _numbered(template: str, number: str, append: bool) -> str:
    """What `store.text_sequence(template, append)` makes of `number` (the same rule)."""
    if append:
        return template + number
    return template[: max(len(template) - len(number), 0)] + number


def _success(op: model.Operation) -> model.Response | None:
    """The answer the operation gives when it goes well: its first 2XX, else 1XX or 3XX; for
    one that documents errors only (`405`), the first of those."""
    ordered = sorted(op.responses, key=lambda r: r.status)
    return (
        next((r for r in ordered if r.status.startswith("2")), None)
        or next((r for r in ordered if r.status[0] in "123"), None)
        or (ordered[0] if answers.refuses(op) else None)
    )


def _status(op: model.Operation) -> tuple[int, model.Response | None]:
    success = _success(op)
    if success is not None:
        status = int(success.status.replace("X", "0"))
    else:
        status = {"post": 201, "delete": 204}.get(op.method, 200)
    return status, success


def _problem(
    spec: model.ApiSpec, op: model.Operation, wanted: tuple[str, ...], kind: str
) -> tuple[tuple[int, str | None, Any], bool]:
    """The answer `op` gives for `kind` (status, media type, body), and whether it is a spec
    gap: the operation documents no status for it (none of `wanted`), so the conventional
    FALLBACK answers. A range (`4XX`) answers the conventional code when that lies in it."""
    by_status = {r.status: r for r in op.responses}
    conventional = FALLBACK[kind][0]
    for status in wanted:
        if status in by_status:
            response = by_status[status]
            if status == "default" or (status.endswith("XX") and str(conventional)[0] == status[0]):
                code = conventional
            else:
                code = int(status.replace("X", "0"))
            if response.schema is None:
                return (code, response.media_type, None), False
            hints: dict[str, Any] = {
                h: code for h in ("code", "status", "statusCode", "status_code")
            }
            message = {"invalid": "invalid request", "not_found": "not found"}.get(
                kind, "not authenticated"
            )
            hints |= {h: message for h in ("message", "error", "detail", "title", "description")}
            body = samples.sample(response.schema, spec.schemas, hints=hints)
            return (code, response.media_type, body), False
    return FALLBACK[kind], True


def _cases(op: model.Operation, semantics: str, secured: bool, keyed: bool) -> tuple[str, ...]:
    """The error answers `op`'s service can give: `invalid` when it takes input, `not_found`
    when it looks an item up (an action does when `keyed`: its resource stores items by key,
    not one value per scope), `unauthorized` when it needs credentials."""
    cases = []
    if op.parameters or op.body is not None:
        cases.append("invalid")
    if semantics in ("get", "replace", "update", "delete", "exists") or (
        semantics == "action" and keyed
    ):
        cases.append("not_found")
    if secured:
        cases.append("unauthorized")
    return tuple(cases)


def operation(
    spec: model.ApiSpec,
    op: model.Operation,
    resource: model.Resource | None,
    types: pyview.Types,
    funcs: set[str],
) -> dict[str, Any]:
    func = pyview.snake(op.operation_id)
    while func in funcs:
        func += "_"
    funcs.add(func)
    semantics = resource.operations[op.operation_id] if resource else "custom"
    status, success = _status(op)
    params: list[dict[str, Any]] = []
    names: dict[tuple[str, str], str] = {}
    path = op.path
    for param in op.parameters:
        name = pyview.snake(param.name)
        while name in names.values() or name in ("body", "request", "key", "scope"):
            name += "_"
        names[(param.location, param.name)] = name
        if param.location == "path":
            path = path.replace("{" + param.name + "}", "{" + name + "}")
        params.append(_parameter(spec, op, param, name, types))
    id_param = resource.id_parameter if resource else None
    scope = [
        names[("path", p.name)]
        for p in op.parameters
        if p.location == "path" and p.name != id_param
    ]
    body = None
    if op.body is not None and _body_kind(op.body.media_type) != "raw":
        # a body neither JSON nor a form (`*/*`, octet-stream, text) is not bound: FastAPI
        # would parse it as a form and refuse what is not one
        body = {
            "type": types.expr(op.body.schema, pyview.pascal(func) + "Body"),
            "kind": _body_kind(op.body.media_type),
            "media_type": op.body.media_type,
            "required": op.body.required,
            "sample": samples.sample(op.body.schema, spec.schemas, writing=True),
        }
    response_body = success is not None and success.media_type is not None
    sample = None
    if response_body and success is not None:
        if success.schema is not None:
            sample = samples.example_or_sample(success.example, success.schema, spec.schemas)
        elif success.example is not model.MISSING:
            sample = success.example
    problems, gaps = {}, {}
    for kind, wanted in (
        ("invalid", INVALID),
        ("not_found", NOT_FOUND),
        ("unauthorized", UNAUTHORIZED),
    ):
        problems[kind], gaps[kind] = _problem(spec, op, wanted, kind)
    secured = security(spec, op)
    filters, paging, aliases = {}, {}, {}
    if resource is not None and semantics in ("list", "count", "purge"):
        props = {p.name for p in schemas.flatten(resource.item_schema, spec.schemas).properties}
        for param in op.parameters:
            if param.location != "query":
                continue
            if param.name in PAGING:
                paging[PAGING[param.name]] = names[("query", param.name)]
            elif param.name in props or param.name.rstrip("s") in props:
                prop = param.name if param.name in props else param.name.rstrip("s")
                filters[prop] = names[("query", param.name)]
                aliases[prop] = param.name
    test = _test(spec, op, resource, names, path, scope)
    test["filters"] = {p: test["query"][a] for p, a in aliases.items() if a in test["query"]}
    return {
        "id": untrusted.mark(op.operation_id),
        "func": func,
        "method": op.method,
        "path": untrusted.mark(path),
        "spec_path": untrusted.mark(op.path),
        "summary": untrusted.mark(_summary(op)),
        "deprecated": op.deprecated,
        "tags": untrusted.mark(list(op.tags)),
        "params": sorted(params, key=lambda p: p["default"] != ""),
        "body": body,
        "semantics": semantics,
        "resource": store_var(spec, resource) if resource else None,
        "key_param": names.get(("path", resource.id_parameter or "")) if resource else None,
        "store_key": untrusted.mark(resource.key) if resource else None,
        "scope": scope,
        "filters": filters,
        "paging": paging,
        "store": storeops.view(spec, op, resource, semantics),
        "status": status,
        "media_type": untrusted.mark(success.media_type) if success else None,
        "sample": sample,
        "responses": sorted({r.status for r in op.responses}),
        "headers": _headers(spec, op),
        **problems,
        "gaps": [
            {"case": kind, "status": problems[kind][0]}
            for kind in _cases(op, semantics, bool(secured), bool(resource and resource.key))
            if gaps[kind]
        ],
        "security": secured,
        "test": test,
    }


def _headers(spec: model.ApiSpec, op: model.Operation) -> dict[str, dict[str, str]]:
    """The response headers `op` documents as required, by status (`200`, `4XX`, `default`):
    each with a sample of its schema as HTTP writes it."""
    found = {}
    for response in op.responses:
        values = {
            header.name: _header_text(
                samples.example_or_sample(header.example, header.schema, spec.schemas)
            )
            for header in response.headers
            if header.required
        }
        if values:
            found[response.status] = values
    return dict(sorted(found.items()))


def _header_text(value: Any) -> str:
    """A sample as a header carries it (OpenAPI's `simple` style): lists joined by commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_header_text(item) for item in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{_header_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def security(spec: model.ApiSpec, op: model.Operation) -> list[list[dict[str, str]]]:
    """The alternatives of credentials an operation accepts; [] when it needs none."""
    schemes = spec.raw.get("components", {}).get("securitySchemes", {})
    requirements = op.security if op.security is not None else spec.raw.get("security", [])
    alternatives = []
    for requirement in requirements:
        if not requirement:
            return []  # `{}` among the alternatives: anonymous access is allowed
        alternatives.append(
            [_credential(name, schemes.get(name, {})) for name in sorted(requirement)]
        )
    return alternatives


def _credential(name: str, scheme: Mapping[str, Any]) -> dict[str, str]:
    if scheme.get("type") == "apiKey":
        return {"scheme": name, "in": str(scheme.get("in")), "name": str(scheme.get("name"))}
    prefix = str(scheme.get("scheme", "bearer")) if scheme.get("type") == "http" else "bearer"
    return {"scheme": name, "in": "authorization", "name": prefix.lower()}


def _summary(op: model.Operation) -> str:
    """One line that fits a docstring: the first sentence of the summary, shortened."""
    text = " ".join((op.summary or op.operation_id).split()).split(". ")[0]
    return text if len(text) <= 80 else text[:77].rsplit(" ", 1)[0] + "..."


def _parameter(
    spec: model.ApiSpec, op: model.Operation, param: model.Parameter, name: str, types: pyview.Types
) -> dict[str, Any]:
    resolved = schemas.resolve(param.schema, spec.schemas)
    type_ = types.parameter(param.schema, pyview.pascal(op.operation_id + " " + param.name))
    default = ""
    if not param.required:
        type_ = type_ if type_.endswith("| None") or type_ == "Any" else f"{type_} | None"
        default = "None"
        if resolved.default is not model.MISSING:
            default = pyview.literal(resolved.default)
    kind = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}[
        param.location
    ]
    arguments = [] if param.location == "path" else [f"alias={pyview.literal(param.name)}"]
    if types.constraints(resolved):
        arguments.append(types.constraints(resolved))
    return {
        "name": name,
        "alias": untrusted.mark(param.name),
        "location": param.location,
        "kind": {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}[
            param.location
        ],
        "type": type_,
        "default": default,
        "constraints": types.constraints(resolved),
        "call": f"{kind}({', '.join(arguments)})",
        "required": param.required,
    }


def _body_kind(media_type: str) -> str:
    base = media_type.split(";")[0].strip()
    if "json" in base:
        return "json"
    if base in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return "form"
    return "raw"


def _test(
    spec: model.ApiSpec,
    op: model.Operation,
    resource: model.Resource | None,
    names: Mapping[tuple[str, str], str],
    path: str,
    scope: Sequence[str],
) -> dict[str, Any]:
    """A valid request for the generated tests, and the item to seed the store with."""
    url, query, headers, cookies, scope_values = path, {}, {}, {}, {}
    key_param = resource.id_parameter if resource else None
    unknown: Any = "unknown"
    for param in op.parameters:
        value = samples.example_or_sample(param.example, param.schema, spec.schemas)
        text = value if isinstance(value, str) else json.dumps(value)
        name = names.get((param.location, param.name), "")
        if param.location == "path" and param.name == key_param:
            url = url.replace("{" + name + "}", KEY_PLACEHOLDER)
            unknown = _unknown(schemas.resolve(param.schema, spec.schemas))
        elif param.location == "path":
            url = url.replace("{" + name + "}", urllib.parse.quote(text, safe=""))
            scope_values[name] = pyview.literal(value)
        elif not param.required:
            continue
        elif param.location == "query":
            query[param.name] = value
        elif param.location == "header":
            headers[param.name] = text
        else:
            cookies[param.name] = text
    for credential in (security(spec, op) or [[]])[0]:
        where = {"query": query, "header": headers, "cookie": cookies}.get(credential["in"])
        if where is not None:
            where[credential["name"]] = CREDENTIAL
        else:
            headers["Authorization"] = f"{credential['name'].title()} {CREDENTIAL}"
    seed = None
    if resource is not None and resource.create_body is not None:
        seed = samples.sample(resource.create_body.schema, spec.schemas, writing=True)
    before, _, after = url.partition(KEY_PLACEHOLDER)
    return {
        "url": untrusted.mark(url.replace(KEY_PLACEHOLDER, "{key}")),
        "url_parts": untrusted.mark([before, after]),
        "query": query,
        "headers": headers,
        "cookies": cookies,
        "scope_values": [scope_values[name] for name in scope],
        "seed": seed,
        "key": untrusted.mark(resource.key) if resource else None,
        "unknown_key": unknown,
    }


def _unknown(schema: model.Schema) -> Any:
    """A key no seeded item has, valid for the key parameter's schema."""
    if schema.type in ("integer", "number"):
        high = schema.maximum if schema.maximum is not None else 999_999
        return int(high)
    if schema.format == "uuid":
        return "ffffffff-ffff-4fff-bfff-ffffffffffff"
    if schema.pattern is not None:  # each class at its last member: unlike generated keys
        found = patterns.example(schema.pattern, schema.min_length, schema.max_length, last=True)
        if found is not None:
            return found
    return (
        "unknown"
        if schema.max_length is None or schema.max_length >= 7
        else "z" * schema.max_length
    )
