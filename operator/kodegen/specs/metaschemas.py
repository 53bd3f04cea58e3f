"""The JSON Schema metaschemas (draft-03 to 2020-12), from the copies the `jsonschema`
package ships (`jsonschema_specifications`): a `$ref` to one (`http://json-schema.org/
draft-07/schema#`, a schema that *is* a schema) is read here, never fetched."""

from __future__ import annotations

import json
import urllib.parse

import jsonschema_specifications  # type: ignore[import-untyped]

__all__ = ["text"]


def _known() -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for uri in jsonschema_specifications.REGISTRY:
        contents = jsonschema_specifications.REGISTRY[uri].contents
        bare = str(uri).rstrip("#").split("://", 1)[1]
        data = json.dumps(contents, sort_keys=True).encode()
        for scheme in ("http", "https"):
            found[f"{scheme}://{bare}"] = data
    return found


_KNOWN = _known()


def text(url: str) -> bytes | None:
    """The metaschema at `url` (either scheme, with or without `#`) as JSON, or None."""
    return _KNOWN.get(urllib.parse.urldefrag(url).url.rstrip("#"))
