"""The contract gate's runner: schemathesis against an ASGI app, in-process, in the sandbox.

Not imported by kodegen. The contract gate copies this file into a private folder and runs

    python contract_probe.py SPEC APP MAX_EXAMPLES,MAX_CASES,MIN_EXAMPLES RESULT [GAPS]

with the project as working directory and on `PYTHONPATH`. SPEC is the source OpenAPI file,
APP `module:attribute`. GAPS, a JSON file `{"GET /pets/{petId}": [404]}`, names the spec gaps:
for those operations alone, an answer with one of those statuses skips
`status_code_conformance` (the generator reported it; the operation documents no status for
the case); every other check runs on it as on any answer. The result goes to the JSON file
RESULT, not to stdout, which belongs to the application under test:

    {"operations": 3, "cases": 51,
     "failures": [{"operation": "GET /pets", "check": "status_code_conformance",
                   "title": "Undocumented status code", "message": "...", "severity": "medium"}],
     "errors": [{"operation": "GET /pets", "message": "..."}],
     "fatal": null}

How: each operation of the schema gets a Hypothesis test over `operation.as_strategy()`
(positive data only), `per_operation()` cases (MAX_EXAMPLES, or fewer so that all operations
together stay within MAX_CASES, never fewer than MIN_EXAMPLES), derandomized and without a
database, so the same project always sees the same requests. The requests are drawn from a copy
of the document whose arrays hold at most `ARRAY_CAP` items (or their `minItems`; `capped`): an
unbounded array of objects holding arrays makes Hypothesis build bodies of hundreds of objects,
seconds each, and a list of three already tells one item from many. Each request is then made a
case of the source document's operation, so every answer is judged by the document as written.
Each case is sent once (`case.call()`) and each check validates the response on its own
(`case.validate_response(response, checks=[check])`), so a failure is attributed to the check
that raised it. The test never fails, so Hypothesis neither stops at the first failure nor
spends time shrinking; the first failure of each kind (operation, check, title) is kept. An
exception escaping the app is a server error.

Security: the app is given one key through the `API_KEYS` environment variable (how kodegen's
services read their credentials) and every request carries it where the operation's security
requirement says (query, header, cookie, or an Authorization scheme), so secured operations are
judged on what they do for an authenticated client rather than on their 401s. A header or cookie
whose name HTTP cannot carry (an apiKey scheme named `Authorization: Bearer`) is not sent: the
client would raise, and that is no answer of the app's.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
SEVERITIES = {"critical": "high", "high": "high", "medium": "medium", "low": "low"}
MESSAGE_CHARS = 1000
CREDENTIAL = "<kodegen-contract-credential>"
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@schemathesis.serializer("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
def json_lines(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """Newline-delimited JSON (bulk APIs): one document per line, a list's items each on one."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item).encode("utf-8") + b"\n" for item in items)


ARRAY_CAP = 3
"""The most items a generated array holds beyond its own `minItems` (see `capped`)."""
VALUES = frozenset({"example", "examples", "default", "enum", "const"})
"""Keys whose value is data, not schema: `capped` leaves them as they are."""


def main(argv: list[str]) -> int:
    spec, target, budget, result_path, *rest = argv
    max_examples, max_cases, min_examples = (int(part) for part in budget.split(","))
    gaps: dict[str, list[int]] = {}
    if rest:
        with open(rest[0], encoding="utf-8") as file:
            gaps = json.load(file)
    result: dict[str, Any] = {
        "operations": 0,
        "cases": 0,
        "failures": [],
        "errors": [],
        "fatal": None,
    }
    try:
        schema = load(spec, target)
        drawn = generating(schema)
    except Exception as exc:  # reported as the gate's reason: the gate cannot judge without them
        result["fatal"] = f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS]
    else:
        probe(schema, (max_examples, max_cases, min_examples), result, gaps, drawn)
    with open(result_path, "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


def load(spec: str, target: str) -> Any:
    os.environ["API_KEYS"] = CREDENTIAL
    module_name, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module_name), attribute or "app")
    # An explicit, empty configuration: a schemathesis.toml of the project must not change the gate.
    schema = schemathesis.openapi.from_path(spec, config=schemathesis.Config())
    schema.app = app
    authenticate(schema.raw_schema)
    return schema


def generating(schema: Any) -> dict[str, Any]:
    """Label -> the operation requests are drawn from: the same operation of `capped(document)`."""
    copy = schemathesis.openapi.from_dict(capped(schema.raw_schema), config=schemathesis.Config())
    copy.app = schema.app
    return {
        entry.ok().label: entry.ok() for entry in copy.get_all_operations() if isinstance(entry, Ok)
    }


def capped(node: Any, cap: int = ARRAY_CAP) -> Any:
    """A copy of the schema (or document) `node` in which every array schema holds at most
    `cap` items, or its `minItems` if more; a smaller `maxItems` stays. Data (examples,
    defaults, enums, constants) and `x-` extensions are copied as they are."""
    if isinstance(node, list):
        return [capped(item, cap) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {
        key: value if key in VALUES or str(key).startswith("x-") else capped(value, cap)
        for key, value in node.items()
    }
    kind = copy.get("type")
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        least = copy.get("minItems")
        most = max(least if isinstance(least, int) else 0, cap)
        given = copy.get("maxItems")
        if not isinstance(given, int) or given > most:
            copy["maxItems"] = most
    return copy


def authenticate(document: dict[str, Any]) -> None:
    """Send CREDENTIAL wherever an operation's first security alternative asks for one."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    default = document.get("security", [])

    @schemathesis.auth()
    class Credentials:
        def get(self, case: Any, context: Any) -> str:
            return CREDENTIAL

        def set(self, case: Any, data: str, context: Any) -> None:
            requirements = case.operation.definition.raw.get("security", default)
            for name in (requirements or [{}])[0]:
                scheme = schemes.get(name, {})
                if scheme.get("type") == "apiKey":
                    where = {"query": "query", "header": "headers", "cookie": "cookies"}
                    target = where.get(scheme.get("in", ""), "headers")
                    setattr(case, target, {**(getattr(case, target) or {}), scheme["name"]: data})
                else:
                    http = scheme.get("type") == "http"
                    prefix = scheme.get("scheme", "bearer") if http else "bearer"
                    authorization = f"{prefix.title()} {data}"
                    case.headers = {**(case.headers or {}), "Authorization": authorization}

    del Credentials


def sendable(name: str) -> bool:
    """Whether HTTP can carry a header or cookie named `name` (an RFC 9110 token); a scheme
    named `Authorization: Bearer` cannot be sent, and the client would raise, not the app."""
    return TOKEN.fullmatch(name) is not None


def per_operation(operations: int, max_examples: int, max_cases: int, min_examples: int) -> int:
    """Cases per operation: `max_examples`, or fewer so that `operations` of them stay within
    `max_cases`, but never fewer than `min_examples` (nor more than `max_examples`)."""
    fair = max_cases // max(operations, 1)
    return min(max_examples, max(min_examples, fair))


def probe(
    schema: Any,
    budget: tuple[int, int, int],
    result: dict[str, Any],
    gaps: dict[str, list[int]],
    drawn: dict[str, Any] | None = None,
) -> None:
    """Exercise every operation of `schema`, with requests drawn from `drawn`'s operation of
    the same label (`generating`) where there is one."""
    failures: dict[tuple[str, str, str], dict[str, str]] = {}
    entries = list(schema.get_all_operations())
    max_examples = per_operation(sum(isinstance(e, Ok) for e in entries), *budget)
    for entry in entries:
        if not isinstance(entry, Ok):
            error = entry.err()
            result["errors"].append(
                {"operation": error.label, "message": str(error)[:MESSAGE_CHARS]}
            )
            continue
        operation = entry.ok()
        result["operations"] += 1
        try:
            accepted = frozenset(gaps.get(operation.label, ()))
            source = (drawn or {}).get(operation.label, operation)
            result["cases"] += exercise(operation, max_examples, failures, accepted, source)
        except Exception as exc:  # no case could be generated or sent at all
            message = f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS]
            result["errors"].append({"operation": operation.label, "message": message})
    result["failures"] = [
        {"operation": label, **found, "message": found["message"][:MESSAGE_CHARS]}
        for (label, _, _), found in sorted(failures.items())
    ]


def exercise(
    operation: Any,
    max_examples: int,
    failures: dict[tuple[str, str, str], dict[str, str]],
    accepted: frozenset[int] = frozenset(),
    source: Any = None,
) -> int:
    """Send up to `max_examples` valid requests to one operation; record failures; count cases.
    The requests are drawn from `source` (the same operation of a capped document), else from
    `operation`, and judged by `operation`. An answer whose status is in `accepted` (spec gaps)
    skips `status_code_conformance`."""
    checks = [(name, getattr(schemathesis.checks, name)) for name in CHECKS]
    label: str = operation.label
    cases = 0

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(drawn=(source or operation).as_strategy())
    def test(drawn: Any) -> None:
        nonlocal cases
        case = operation.Case(
            method=drawn.method,
            path_parameters=drawn.path_parameters,
            headers=drawn.headers,
            cookies=drawn.cookies,
            query=drawn.query,
            body=drawn.body,
            media_type=drawn.media_type,
            multipart_content_types=drawn.multipart_content_types,
        )
        cases += 1
        for where in ("headers", "cookies"):  # what no client can send, the client raises on
            sent = getattr(case, where)
            if sent and not all(sendable(name) for name in sent):
                setattr(
                    case, where, {name: value for name, value in sent.items() if sendable(name)}
                )
        try:
            response = case.call()
        except Exception as exc:  # the app raised: what a client sees as a 500
            found = {
                "check": "not_a_server_error",
                "title": "Unhandled exception",
                "severity": "high",
            }
            found["message"] = f"{type(exc).__name__}: {exc}"
            failures.setdefault((label, found["check"], found["title"]), found)
            return
        for name, check in checks:
            if name == "status_code_conformance" and response.status_code in accepted:
                continue
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                for failure in group.exceptions:
                    found = {"check": name, "title": failure.title, "message": failure.message}
                    found["severity"] = SEVERITIES.get(str(failure.severity.value), "high")
                    failures.setdefault((label, name, failure.title), found)

    test()
    return cases


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
