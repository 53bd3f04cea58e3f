"""Property: whatever the manifest, kodegen answers with an exit code, never a traceback.

Random edits of examples/petstore.yaml, as data (set, delete or rename any field, the inline
OpenAPI document included) and as text (cut, insert, replace), go through `cli.main` in-process.
`validate` stops before the gates, so many examples stay cheap; the manifests it rejects also go
through `generate`, which must reject them the same way and write nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kodegen import cli

EXAMPLE = Path(__file__).parents[3] / "examples" / "petstore.yaml"
TEXT = EXAMPLE.read_text()
DOCUMENT: dict[str, Any] = yaml.safe_load(TEXT)

Path_ = tuple[str | int, ...]

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["openapi", "adr", "graphql", "^1.0", "*", "3.0.0", "3.1.0", "#/x"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every place in `value` (a YAML document) that an edit can touch."""
    found: list[Path_] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found.append((*prefix, key))
        found.extend(paths(item, (*prefix, key)))
    return found


ALL_PATHS = paths(DOCUMENT)
SPEC_PATHS = [p for p in ALL_PATHS if p[:4] == ("spec", "specification", "openapi", "inline")]
OTHER_PATHS = [p for p in ALL_PATHS if p not in SPEC_PATHS]


def parent_of(document: Any, path: Path_) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


@st.composite
def edited_manifests(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    for _ in range(draw(st.integers(1, 3))):
        pool = draw(st.sampled_from([SPEC_PATHS, OTHER_PATHS]))
        path = draw(st.sampled_from(pool))
        try:
            parent, key = parent_of(document, path), path[-1]
            parent[key]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this place
        action = draw(st.sampled_from(["set", "delete", "rename", "typo"]))
        if action == "set":
            parent[key] = draw(VALUES)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            name = str(key)
            if action == "typo" and len(name) > 1:
                cut = draw(st.integers(0, len(name) - 1))
                new = name[:cut] + name[cut + 1 :]
            else:
                new = draw(st.text(min_size=1, max_size=10))
            parent[new] = parent.pop(key)
    return document


@st.composite
def edited_texts(draw: st.DrawFn) -> str:
    text = TEXT
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        action = draw(st.sampled_from(["cut", "insert", "replace", "truncate"]))
        if action == "cut":
            text = text[:start] + text[end:]
        elif action == "insert":
            text = text[:start] + draw(st.text(max_size=12)) + text[start:]
        elif action == "replace":
            piece = draw(
                st.sampled_from([":", "-", " ", "\n", "\t", "[", "{", "&a", "*a", "!!", "'"])
            )
            text = text[:start] + piece + text[end:]
        else:
            text = text[:start]
    return text


def check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, write: Callable[[Path], object]
) -> None:
    capsys.readouterr()
    manifest = tmp_path / "manifest.yaml"
    write(manifest)
    code = cli.main(["validate", str(manifest)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code in (0, 2), (code, err)
    if code == 0:  # only progress on stderr: one line per input stage
        stages = [line.split()[0] for line in err.splitlines()]
        assert stages == ["parse", "resolve", "variables", "plan"], err
        return
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err

    target = tmp_path / "out"
    assert cli.main(["generate", str(manifest), "--out", str(target)]) == 2
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.splitlines() == lines
    assert not target.exists()


@SETTINGS
@given(document=edited_manifests())
def test_edited_manifests_never_leak_a_traceback(
    document: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = yaml.safe_dump(copy.deepcopy(document), sort_keys=False, allow_unicode=True)
    check(capsys, tmp_path, lambda path: path.write_text(text, encoding="utf-8"))


@SETTINGS
@given(text=edited_texts())
def test_edited_texts_never_leak_a_traceback(
    text: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    check(capsys, tmp_path, lambda path: path.write_bytes(text.encode("utf-8", "surrogatepass")))
