"""RPC-style singleton writes (`specs.singletons`): `PUT /x/update` or `POST /x/set` writing
the singleton `GET /x` (or a sibling `GET /x/status`) reads, `POST /x/enable` setting one of
its fields; and the look-alikes that must stay custom."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kodegen.specs import model, openapi
from kodegen.templates import registry
from kodegen.views.openapi import context, reasons

SPECS = Path(__file__).resolve().parents[2] / "specs" / "crud"

STATUS = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean"},
        "mode": {"type": "string", "enum": ["fast", "safe"]},
        "interval": {"type": "integer"},
    },
}


def answer(schema: dict[str, Any] | None, status: str = "200") -> dict[str, Any]:
    if schema is None:
        return {status: {"description": "done"}}
    return {status: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def known(answers: dict[str, Any]) -> dict[str, Any]:
    """`answers` and a 404 for an unknown key (what a seeded store's keyed operations need)."""
    return {**answers, "404": {"description": "unknown"}}


def op(
    op_id: str, *, body: dict[str, Any] | None = None, answers: dict[str, Any]
) -> dict[str, Any]:
    found: dict[str, Any] = {"operationId": op_id, "responses": answers}
    if body is not None:
        found["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return found


def parse(paths: dict[str, Any]) -> dict[str, model.Resource]:
    spec = openapi.parse(
        {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}
    )
    return {r.collection_path: r for r in spec.resources}


def test_an_update_verb_writes_the_singleton_its_parent_path_reads() -> None:
    found = parse(
        {
            "/config": {"get": op("getConfig", answers=answer(STATUS))},
            "/config/update": {
                "post": op(
                    "updateConfig",
                    body={"type": "object", "properties": {"mode": STATUS["properties"]["mode"]}},
                    answers=answer(None),
                )
            },
        }
    )
    config = found["/config"]
    assert config.singleton and config.operations == {"getConfig": "read", "updateConfig": "write"}
    assert "/config/update" not in found


def test_a_sibling_status_read_is_written_by_set_and_changed_by_enable_and_disable() -> None:
    found = parse(
        {
            "/filter/status": {"get": op("filterStatus", answers=answer(STATUS))},
            "/filter/set": {
                "put": op(
                    "setFilter",
                    body={"type": "object", "properties": {"interval": {"type": "integer"}}},
                    answers=answer(STATUS),
                )
            },
            "/filter/enable": {"post": op("enableFilter", answers=answer(None))},
            "/filter/disable": {"post": op("disableFilter", answers=answer(None))},
        }
    )
    status = found["/filter/status"]
    assert status.singleton and status.operations == {
        "filterStatus": "read",
        "disableFilter": "action",
        "enableFilter": "action",
        "setFilter": "write",
    }
    assert status.actions == {
        "enableFilter": ("enabled", True),
        "disableFilter": ("enabled", False),
    }


def test_the_read_sharing_most_fields_with_the_body_wins_and_scopes_must_match() -> None:
    other = {"type": "object", "properties": {"interval": {"type": "integer"}}}
    both = {"type": "object", "properties": {**STATUS["properties"], "label": {"type": "string"}}}
    found = parse(
        {
            "/dns/info": {"get": op("dnsInfo", answers=answer(other))},
            "/dns/status": {"get": op("dnsStatus", answers=answer(STATUS))},
            "/dns/update": {"post": op("dnsUpdate", body=both, answers=answer(None))},
            "/users/{id}/prefs/update": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "post": op("updatePrefs", body=both, answers=answer(None)),
            },
            "/users/prefs": {"get": op("getPrefs", answers=answer(STATUS))},
        }
    )
    assert found["/dns/status"].operations == {"dnsStatus": "read", "dnsUpdate": "write"}
    assert "/dns/info" not in found
    assert "/users/prefs" not in found  # /users/{id}/prefs/update has a scope /users/prefs lacks


def test_look_alikes_stay_custom() -> None:
    found = parse(
        {
            "/job/status": {"get": op("jobStatus", answers=answer(STATUS))},
            # a body sharing no field with what the read answers
            "/job/update": {
                "post": op(
                    "updateJob",
                    body={"type": "object", "properties": {"command": {"type": "string"}}},
                    answers=answer(None),
                )
            },
            # an answer other than the stored value
            "/job/set": {
                "post": op(
                    "setJob",
                    body={"type": "object", "properties": {"mode": {"type": "string"}}},
                    answers=answer({"type": "object", "properties": {"ok": {"type": "boolean"}}}),
                )
            },
            # a verb that names no field, and a verb that is no update
            "/job/restart": {"post": op("restartJob", answers=answer(None))},
            "/job/login": {
                "post": op(
                    "login",
                    body={"type": "object", "properties": {"mode": {"type": "string"}}},
                    answers=answer(None),
                )
            },
            # a path that reads for itself
            "/job/edit": {
                "get": op("getEdit", answers=answer({"type": "string"})),
                "post": op(
                    "edit",
                    body={"type": "object", "properties": {"mode": {"type": "string"}}},
                    answers=answer(None),
                ),
            },
        }
    )
    assert "/job/status" not in found
    assert "/job/edit" not in found


def test_the_switches_spec_reads_writes_and_switches_its_singletons() -> None:
    spec = openapi.parse(yaml.safe_load((SPECS / "switches.yaml").read_text()))
    found = {r.collection_path: r for r in spec.resources}
    assert found["/things/{thingId}/settings"].operations == {
        "getThingSettings": "read",
        "updateThingSettings": "write",
    }
    assert found["/filter/status"].operations == {
        "filterStatus": "read",
        "disableFilter": "action",
        "enableFilter": "action",
        "setFilter": "write",
    }
    assert found["/machine.info"].actions == {"pauseMachine": ("state", "Paused")}
    assert found["/queues/{queueName}"].operations == {"getQueue": "read", "putQueue": "write"}
    assert found["/dns_info"].operations == {"dnsInfo": "read", "dnsConfig": "write"}
    assert found["/nodes"].operations == {
        "listNodes": "list",
        "getNode": "get",
        "changeNode": "update",
    }


def test_puts_update_words_root_siblings_and_dotted_verbs() -> None:
    vm = {
        "type": "object",
        "properties": {"state": {"type": "string", "enum": ["Created", "Running", "Paused"]}},
    }
    found = parse(
        {
            "/safe/status": {"get": op("safeStatus", answers=answer(STATUS))},
            "/safe/settings": {"put": op("safeSettings", body=STATUS, answers=answer(None))},
            "/dns_info": {"get": op("dnsInfo", answers=answer(STATUS))},
            "/stats_info": {"get": op("statsInfo", answers=answer(STATUS))},
            "/dns_config": {"post": op("dnsConfig", body=STATUS, answers=answer(None))},
            "/lease/set_config": {"post": op("setLease", body=STATUS, answers=answer(None))},
            "/lease/state": {"get": op("leaseState", answers=answer(STATUS))},
            "/vm.info": {"get": op("vmInfo", answers=answer(vm))},
            "/vm.pause": {"put": op("vmPause", answers=answer(None, "204"))},
            "/vm.create": {"put": op("vmCreate", answers=answer(None, "204"))},
            "/vm.reboot": {"put": op("vmReboot", answers=answer(None, "204"))},
        }
    )
    assert found["/safe/status"].operations == {"safeStatus": "read", "safeSettings": "write"}
    assert found["/dns_info"].operations == {"dnsInfo": "read", "dnsConfig": "write"}
    assert "/stats_info" not in found  # dns_config shares a longer start with dns_info
    assert found["/lease/state"].operations == {"leaseState": "read", "setLease": "write"}
    assert found["/vm.info"].actions == {
        "vmCreate": ("state", "Created"),
        "vmPause": ("state", "Paused"),
    }


def test_fields_of_another_type_are_not_shared() -> None:
    found = parse(
        {
            "/job/status": {"get": op("jobStatus", answers=answer(STATUS))},
            "/job/update": {
                "post": op(
                    "updateJob",
                    body={"type": "object", "properties": {"mode": {"type": "string"}}},
                    answers=answer(None),
                )
            },
        }
    )
    assert found == {}


def test_a_post_on_an_item_path_sending_its_fields_is_an_update() -> None:
    item = {"type": "object", "properties": {"id": {"type": "integer"}, **STATUS["properties"]}}
    param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    found = parse(
        {
            "/nodes": {"get": op("listNodes", answers=answer({"type": "array", "items": item}))},
            "/nodes/{id}": {
                "parameters": param,
                "get": op("getNode", answers=known(answer(item))),
                "post": op("changeNode", body=STATUS, answers=known(answer(None, "204"))),
            },
            "/jobs": {"get": op("listJobs", answers=answer({"type": "array", "items": item}))},
            "/jobs/{id}": {
                "parameters": param,
                "get": op("getJob", answers=known(answer(item))),
                "post": op(  # sends nothing the item holds
                    "runJob",
                    body={"type": "object", "properties": {"args": {"type": "string"}}},
                    answers=known(answer(None, "204")),
                ),
            },
        }
    )
    assert found["/nodes"].operations["changeNode"] == "update"
    assert "runJob" not in found["/jobs"].operations


def test_a_list_envelope_a_put_writes_whole_is_a_singleton() -> None:
    entry = {"type": "object", "properties": {"id": {"type": "integer"}, "cve": {"type": "string"}}}
    allow = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": entry},
            "expiresAt": {"type": "integer"},
        },
    }
    found = parse(
        {
            "/allowlist": {
                "get": op("getAllowlist", answers=answer(allow)),
                "put": op("putAllowlist", body=allow, answers=answer(None)),
            },
            "/entries": {"get": op("listEntries", answers=answer(allow))},
        }
    )
    assert found["/allowlist"].singleton
    assert found["/allowlist"].operations == {"getAllowlist": "read", "putAllowlist": "write"}
    assert not found["/entries"].singleton  # nothing writes it whole: a read-only list


def test_a_write_under_an_item_sending_its_fields_besides_the_key_is_an_update() -> None:
    item = {"type": "object", "properties": {"id": {"type": "integer"}, **STATUS["properties"]}}
    param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    keyed = {"type": "object", "properties": {"id": {"type": "integer"}}}
    found = parse(
        {
            "/jobs": {"get": op("listJobs", answers=answer({"type": "array", "items": item}))},
            "/jobs/{id}": {"parameters": param, "get": op("getJob", answers=known(answer(item)))},
            "/jobs/{id}/mode": {
                "parameters": param,
                "put": op("setMode", body=STATUS, answers=known(answer(None, "204"))),
            },
            "/jobs/{id}/copy": {
                "parameters": param,
                "post": op("copyJob", body=keyed, answers=known(answer(None, "204"))),
            },
        }
    )
    assert found["/jobs"].operations["setMode"] == "update"
    assert "copyJob" not in found["/jobs"].operations  # only the key: nothing of the item changes


def test_a_value_per_key_needs_a_write_when_no_collection_claims_the_path() -> None:
    param = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    found = parse(
        {
            "/queues/{name}": {
                "parameters": param,
                "get": op("getQueue", answers=answer(STATUS)),
                "put": op("putQueue", body=STATUS, answers=answer(None, "204")),
            },
            "/consents/{name}": {
                "parameters": param,
                "get": op("getConsent", answers=answer(STATUS)),
                "delete": op("deleteConsent", answers=answer(None, "204")),
            },
        }
    )
    assert found["/queues/{name}"].singleton
    assert found["/queues/{name}"].operations == {"getQueue": "read", "putQueue": "write"}
    assert "/consents/{name}" not in found  # a reset alone would bring a deleted value back


def test_a_write_beside_a_read_it_cannot_write_says_why() -> None:
    spec = openapi.parse(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/job/status": {"get": op("jobStatus", answers=answer(STATUS))},
                "/job/restart": {"post": op("restartJob", answers=answer(None))},
            },
        }
    )
    assert reasons.why(spec, spec.operation("restartJob")) == (
        "POST /job/restart sends no field of what GET /job/status answers with the same name "
        "and type (or, without a body, names no field of it to set), so it writes no stored value"
    )


def test_an_enumerated_path_parameter_is_no_item_key() -> None:
    """`GET /basic/{format}` (json or xml) answers an object with a `request_id`: the format
    picks a form of the answer, it names no stored item."""
    item = {"type": "object", "properties": {"request_id": {"type": "string"}}}
    param = [{"name": "format", "in": "path", "required": True,
              "schema": {"type": "string", "enum": ["json", "xml"]}}]  # fmt: skip
    spec = openapi.parse(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/basic/{format}": {"parameters": param, "get": op("basic", answers=answer(item))}
            },
        }
    )
    assert spec.resources == ()


def test_a_seeded_store_serves_keyed_operations_and_reports_an_undocumented_miss() -> None:
    """`GET /jobs/{id}` documents 200 only: the store still serves it, and an unknown id gets
    the conventional 404, reported as a spec gap (the contract gate accepts it there alone)."""
    item = {"type": "object", "properties": {"id": {"type": "integer"}, **STATUS["properties"]}}
    param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    spec = openapi.parse(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/jobs": {"get": op("listJobs", answers=answer({"type": "array", "items": item}))},
                "/jobs/{id}": {"parameters": param, "get": op("getJob", answers=answer(item))},
                "/jobs/{id}/enable": {
                    "parameters": param,
                    "post": op("enableJob", answers=answer(None, "204")),
                },
            },
        }
    )
    (jobs,) = spec.resources
    assert jobs.operations == {"listJobs": "list", "getJob": "get", "enableJob": "action"}
    template = registry.resolve("python-fastapi-service", "^1.0")
    built = context.build(spec, template, {"packageName": "svc", "port": 8000})
    assert built.not_implemented == ()
    assert [(gap.operation_id, gap.case, gap.status) for gap in built.spec_gaps] == [
        ("getJob", "not_found", 404),
        ("getJob", "invalid", 422),  # an id that is no integer
        ("enableJob", "not_found", 404),
        ("enableJob", "invalid", 422),
    ]
