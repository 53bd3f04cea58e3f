"""Spec model + template -> what gets rendered, and what is honestly not implemented.

The context is plain data (dicts, lists, strings) so any template, builtin or a team's own,
can render it: `api`, `operations`, `resources`, `models` and the validated variables. Text
taken from the spec as it is (titles, versions, ids, paths, summaries, names) is marked
`untrusted.SpecText`: a template prints it only through a context filter.
"""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from kodegen import errors
from kodegen.specs import conformance, model
from kodegen.templates import model as template_model
from kodegen.templates import untrusted
from kodegen.views import plan
from kodegen.views.openapi import pymodels, pyview, reasons, routes


def build(
    spec: model.ApiSpec,
    template: template_model.Template,
    variables: Mapping[str, Any],
    operations: Sequence[str] | None = None,
) -> plan.Plan:
    selected = _select(spec, operations)
    if template.spec.category == "model":  # models only: operations are out of scope, not missing
        selected = []
    types = pyview.Types(spec.schemas)
    owners = {op_id: r for r in spec.resources for op_id in r.operations}
    rendered_ops: list[dict[str, Any]] = []
    missing: list[plan.NotImplementedOp] = []
    funcs: set[str] = set()
    for op in selected:
        resource = owners.get(op.operation_id)
        view = routes.operation(spec, op, resource, types, funcs)
        rendered_ops.append(view)
        if view["semantics"] == "custom":
            missing.append(
                plan.NotImplementedOp(op.operation_id, op.method, op.path, reasons.why(spec, op))
            )
        for callback in op.callbacks:
            reason = f"callback {callback!r}: kodegen does not call clients back"
            missing.append(
                plan.NotImplementedOp(f"{op.operation_id}.{callback}", "callback", op.path, reason)
            )
    used = {owners[op.operation_id].collection_path for op in selected if op.operation_id in owners}
    resource_views = [routes.resource(spec, r) for r in spec.resources if r.collection_path in used]
    context = {
        **variables,
        "api": untrusted.mark(
            {
                "title": spec.title,
                "version": spec.version,
                "app_version": spec.version.strip() or "0.0.0",
                "description": spec.description or "",
                "base_path": _base_path(spec.raw),
                "server": _base_path(spec.raw) or "/",
            }
        ),
        "openapi_json": json.dumps(served(spec), indent=2, ensure_ascii=False) + "\n",
        "models": [dataclasses.asdict(m) for m in types.ordered()],
        "pydantic_models": pymodels.view(types, spec.raw),
        **_imports(types, rendered_ops),
        "operations": rendered_ops,
        "resources": resource_views,
        "not_implemented": untrusted.mark([m.to_dict() for m in missing]),
    }
    gaps = tuple(
        sorted(
            plan.SpecGap(
                method=op.method.upper(),
                path=op.path,
                status=gap["status"],
                case=gap["case"],
                operation_id=op.operation_id,
            )
            for op, view in zip(selected, rendered_ops, strict=True)
            for gap in view["gaps"]
        )
    )
    return plan.Plan(
        context,
        tuple(missing),
        plan.entrypoints(template, context),
        spec_gaps=gaps,
        warnings=_warnings(spec, gaps),
    )


def _warnings(spec: model.ApiSpec, gaps: Sequence[plan.SpecGap]) -> tuple[plan.SpecWarning, ...]:
    found = [plan.SpecWarning("spec-gap", f"{g.method} {g.path}", g.message()) for g in gaps]
    found += [plan.SpecWarning("repaired", r.pointer, r.message) for r in spec.repairs]
    for bad in conformance.invalid_examples(spec):
        if bad.secret:
            text = f"the example is secret-shaped ({bad.reason}); code and tests use a sample"
            found.append(plan.SpecWarning("secret-shaped-example", bad.pointer, text))
        else:
            text = f"the example does not meet its schema ({bad.reason}); a sample is used"
            found.append(plan.SpecWarning("invalid-example", bad.pointer, text))
    return tuple(sorted(found))


def served(spec: model.ApiSpec) -> dict[str, Any]:
    """The document the service serves at `/openapi.json`: the specification as written (a
    Swagger 2.0 one as converted to OpenAPI 3), with one server, the base path it is served
    under. The contract gate tests the service against the same document."""
    return {**spec.raw, "servers": [{"url": _base_path(spec.raw) or "/"}]}


def _base_path(raw: Mapping[str, Any]) -> str:
    """The path of the first server URL (its variables at their defaults): where the API lives."""
    servers = raw.get("servers") or [{"url": "/"}]
    url = str(servers[0].get("url", "/"))
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    path = urllib.parse.urlsplit(url).path if "//" in url else url
    return "/" + path.strip("/") if path.strip("/") else ""


def _select(spec: model.ApiSpec, wanted: Sequence[str] | None) -> list[model.Operation]:
    if not wanted:
        return list(spec.operations)
    known = [op.operation_id for op in spec.operations]
    for op_id in wanted:
        if op_id not in known:
            raise errors.ManifestError(
                field="spec.specification.operations",
                reason=f"unknown operation {op_id!r}; the specification has {', '.join(known)}",
            )
    return [op for op in spec.operations if op.operation_id in wanted]


def _imports(types: pyview.Types, views: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Import lines of models.py and routes.py, from the names their type expressions use."""
    model_types = [f.type for m in types.models.values() for f in m.fields]
    model_types += [m.root for m in types.models.values() if m.root]
    route_types = [p["type"] for v in views for p in v["params"]]
    route_types += [v["body"]["type"] for v in views if v["body"]]
    kinds = {p["kind"] for v in views for p in v["params"]}
    kinds |= {"Body" if v["body"]["kind"] == "json" else "Form" for v in views if v["body"]}
    model_names = set(types.models)
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(route_types)))
    pydantic = ["BaseModel", "ConfigDict", "Field"]
    if any(m.root for m in types.models.values()):
        pydantic.append("RootModel")
    if "EmailStr" in " ".join(model_types):
        pydantic.append("EmailStr")
    return {
        "model_imports": sorted(pyview.names_in(model_types)),
        "model_import_lines": [
            *pyview.stdlib_imports(model_types),
            "",
            f"from pydantic import {', '.join(sorted(pydantic))}",
        ],
        "route_import_lines": pyview.stdlib_imports(
            [*route_types, "Annotated"] if kinds else route_types
        ),
        "route_param_kinds": sorted(kinds),
        "route_models": sorted(used & model_names),
    }
