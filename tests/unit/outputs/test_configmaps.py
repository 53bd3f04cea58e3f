"""outputs.configmaps, the pure part: encode/decode round trips, layout, limits, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kodegen import errors
from kodegen.outputs import configmap_layout, configmaps

KEY = re.compile(r"[-._a-zA-Z0-9]+")
MIB = 1024 * 1024
OWNER = {
    "apiVersion": "kodegen.dev/v1alpha1",
    "kind": "CodeGeneration",
    "name": "petstore-api",
    "uid": "0b6f6a4e-5d0b-4a8e-9d61-1f1c2b0e6a11",
    "controller": True,
    "blockOwnerDeletion": True,
}

AWKWARD = {
    ".kodegen/provenance.json": b'{"_type": "https://in-toto.io/Statement/v1"}\n',
    "app/__init__.py": b"",
    "app/main.py": b"print('hi')\r\n",
    "..hidden/..x": b"two dots\n",
    "...": b"three dots\n",
    "with space/and tab\t.txt": b"tab\n",
    "ünïcødé/日本語.md": "# 日本語 😀\n".encode(),
    "a/b": b"slash",
    "a.b": b"dot",  # "a/b" and "a.b" want the same key
    "a_b": b"underscore",
    "bin/all-bytes": bytes(range(256)),
    "bin/latin1.txt": "café".encode("latin-1"),
    "bin/empty-looking": b"\xff",
    "nul": b"\x00\x00",
    "x" * 300: b"a long name",
    "quotes \"'\\": b'"\\\n',
}


def encode(files: Mapping[str, bytes], **options: Any) -> list[dict[str, Any]]:
    return configmaps.encode(files, name="out", namespace="team-a", **options)


def serialized(body: Mapping[str, Any]) -> int:
    """Bytes the client sends for `body` (json.dumps, ASCII-escaped)."""
    return len(json.dumps(body).encode())


def content_size(body: Mapping[str, Any]) -> int:
    return serialized({k: body[k] for k in ("data", "binaryData") if k in body})


def big_tree(seed: int = 7) -> dict[str, bytes]:
    """About 3 MiB: text, binary, and files of every size, in nested folders."""
    rng = random.Random(seed)
    files = {}
    for number in range(60):
        size = rng.choice([0, 1, 100, 5_000, 40_000, 120_000])
        if number % 3:
            text = "".join(rng.choice('abc é"\\\n\t€') for _ in range(size))
            files[f"pkg{number % 4}/module_{number}.py"] = text.encode()
        else:
            files[f"data/blob {number}.bin"] = rng.randbytes(size)
    files["assets/logo.png"] = rng.randbytes(1_500_000)
    return files


def test_awkward_paths_round_trip_byte_for_byte() -> None:
    assert configmaps.decode(encode(AWKWARD)) == AWKWARD


def test_empty_tree_is_an_index_without_chunks() -> None:
    bodies = encode({})
    assert [b["metadata"]["name"] for b in bodies] == ["out"]
    assert configmaps.decode(bodies) == {}


def test_small_output_is_one_index_and_one_chunk() -> None:
    bodies = encode(AWKWARD)
    assert [b["metadata"]["name"] for b in bodies] == ["out", "out-1"]
    index = json.loads(bodies[0]["data"][configmaps.INDEX_KEY])
    assert index["chunks"] == ["out-1"]
    assert index["format"] == configmap_layout.FORMAT
    entry = index["files"]["app/main.py"]
    assert entry == {
        "parts": [["out-1", "app.main.py"]],
        "sha256": hashlib.sha256(AWKWARD["app/main.py"]).hexdigest(),
        "size": len(AWKWARD["app/main.py"]),
    }


def test_text_goes_in_data_and_the_rest_in_binary_data() -> None:
    chunk = encode(AWKWARD)[1]
    assert chunk["data"]["app.main.py"] == "print('hi')\r\n"
    assert chunk["data"]["app.__init__.py"] == ""
    assert base64.b64decode(chunk["binaryData"]["bin.all-bytes"]) == bytes(range(256))
    assert "bin.latin1.txt" in chunk["binaryData"]
    assert set(chunk["data"]).isdisjoint(chunk["binaryData"])


def test_keys_are_valid_unique_and_readable() -> None:
    bodies = encode(AWKWARD)
    keys = [*bodies[1].get("data", {}), *bodies[1].get("binaryData", {})]
    assert len(keys) == len(set(keys)) == len(AWKWARD)
    for key in keys:
        assert KEY.fullmatch(key) and len(key) <= 253 and not key.startswith(".."), key
    index = json.loads(bodies[0]["data"][configmaps.INDEX_KEY])["files"]
    assert index["a.b"]["parts"][0][1] == "a.b"
    assert index["a/b"]["parts"][0][1] == "a.b-2"  # sorted after "a.b": the second one asking
    assert index["..hidden/..x"]["parts"][0][1] == "_.hidden...x"


def test_every_body_is_labelled_annotated_and_owned() -> None:
    bodies = encode(
        AWKWARD, labels={"team": "a", configmap_layout.OUTPUT_LABEL: "spoof"}, owner=OWNER
    )
    digest = json.loads(bodies[0]["data"][configmaps.INDEX_KEY])["digest"]
    for body, role in zip(bodies, ["index", "chunk"], strict=True):
        assert body["apiVersion"] == "v1" and body["kind"] == "ConfigMap"
        metadata = body["metadata"]
        assert metadata["namespace"] == "team-a"
        assert metadata["labels"] == {
            "team": "a",
            "app.kubernetes.io/managed-by": "kodegen",
            "kodegen.dev/output": "out",
            "kodegen.dev/role": role,
        }
        assert metadata["annotations"] == {"kodegen.dev/digest": digest}
        assert metadata["ownerReferences"] == [OWNER]
    assert "ownerReferences" not in encode(AWKWARD)[0]["metadata"]


def test_same_input_gives_byte_identical_bodies() -> None:
    shuffled = dict(reversed(list(AWKWARD.items())))
    first = json.dumps(encode(AWKWARD, owner=OWNER))
    assert json.dumps(encode(shuffled, owner=OWNER)) == first
    assert json.dumps(encode(dict(AWKWARD), owner=dict(OWNER))) == first


def test_every_mapping_in_a_body_has_sorted_keys() -> None:
    def check(value: Any) -> None:
        if isinstance(value, dict):
            assert list(value) == sorted(value)
            for item in value.values():
                check(item)

    for body in encode(AWKWARD, labels={"z": "1", "a": "2"}, owner=OWNER):
        check(body)


def test_three_mib_tree_is_split_across_chunks_under_the_limit() -> None:
    files = big_tree()
    assert sum(map(len, files.values())) > 3 * MIB
    bodies = encode(files, owner=OWNER)
    names = [b["metadata"]["name"] for b in bodies]
    assert names == ["out"] + [f"out-{n}" for n in range(1, len(bodies))]
    assert len(bodies) >= 5
    for body in bodies:
        assert content_size(body) <= configmaps.CHUNK_BYTES
        assert serialized(body) < MIB - 100 * 1024  # a margin under the API's 1 MiB
        for key in [*body.get("data", {}), *body.get("binaryData", {})]:
            assert KEY.fullmatch(key) and len(key) <= 253
    assert configmaps.decode(bodies) == files


def test_chunks_are_filled_before_a_new_one_starts() -> None:
    bodies = encode(big_tree())
    for body in bodies[1:-1]:  # but the last
        assert content_size(body) > configmaps.CHUNK_BYTES // 2


@pytest.mark.parametrize("kind", ["binary", "text", "escaped text", "wide text"])
def test_a_file_larger_than_a_chunk_is_split_across_chunks(kind: str) -> None:
    content = {
        "binary": random.Random(1).randbytes(3 * MIB),
        "text": b"line of text\n" * 250_000,
        "escaped text": b'"\\\n\t\x01' * 600_000,  # JSON escapes make it 4x bigger
        "wide text": "€😀".encode() * 400_000,  # \\uXXXX escapes, cut between characters
    }[kind]
    files = {"small-before": b"a", "huge/file": content, "small-after": b"z"}
    bodies = encode(files)
    index = json.loads(bodies[0]["data"][configmaps.INDEX_KEY])
    parts = index["files"]["huge/file"]["parts"]
    assert len(parts) >= 3
    assert [key for _, key in parts] == [f"huge.file.part{n:03d}" for n in range(1, len(parts) + 1)]
    assert len({chunk for chunk, _ in parts}) == len(parts)
    for body in bodies:
        assert content_size(body) <= configmaps.CHUNK_BYTES
        assert serialized(body) < MIB - 100 * 1024
    assert configmaps.decode(bodies) == files
    if kind != "binary":
        assert all(bodies[n]["data"] for n in range(2, len(bodies) - 1))  # parts stay text


def test_a_smaller_chunk_size_makes_more_chunks() -> None:
    bodies = encode(AWKWARD, chunk_bytes=512)
    assert len(bodies) > 3
    for body in bodies[1:]:
        assert content_size(body) <= 512
    assert configmaps.decode(bodies) == AWKWARD


def test_more_files_than_an_index_can_list_are_refused() -> None:
    files = {f"{'d' * 150}/file-{n:05d}.py": b"" for n in range(6000)}
    with pytest.raises(errors.InputError, match="6000 files are too many"):
        encode(files)


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "./a", "a/../b", "a/", ".."])
def test_a_path_outside_the_tree_is_refused(path: str) -> None:
    with pytest.raises(errors.InputError, match="not a plain relative path"):
        encode({path: b"x"})


@pytest.mark.parametrize("name", ["", "Out", "-out", "out-", "out_1", "o" * 64, "a..b"])
def test_an_invalid_name_is_refused(name: str) -> None:
    with pytest.raises(errors.InputError, match=r"name .* is invalid"):
        configmaps.encode({}, name=name, namespace="ns")


# ----------------------------------------------------------------------------- decode errors


def index_of(bodies: Sequence[dict[str, Any]]) -> dict[str, Any]:
    index: dict[str, Any] = json.loads(bodies[0]["data"][configmaps.INDEX_KEY])
    return index


def set_index(bodies: list[dict[str, Any]], index: Mapping[str, Any]) -> None:
    bodies[0]["data"][configmaps.INDEX_KEY] = json.dumps(index)


def test_a_missing_chunk_is_named() -> None:
    bodies = encode(big_tree())
    with pytest.raises(errors.OutputError, match="chunk ConfigMap out-2 is missing") as caught:
        configmaps.decode([b for b in bodies if b["metadata"]["name"] != "out-2"])
    assert caught.value.output == "configmap team-a/out"
    assert not caught.value.retryable


def test_a_chunk_of_another_output_version_is_retryable() -> None:
    old, new = encode(AWKWARD), encode({**AWKWARD, "new": b"new"})
    with pytest.raises(errors.OutputError, match="being replaced; try again") as caught:
        configmaps.decode([old[0], new[1]])
    assert caught.value.retryable


def test_a_changed_file_is_reported_with_its_path() -> None:
    bodies = encode(AWKWARD)
    bodies[1]["data"]["app.main.py"] = "print('tampered')\n"
    with pytest.raises(errors.OutputError, match=r"file 'app/main\.py' is corrupt"):
        configmaps.decode(bodies)


def test_a_missing_key_is_reported() -> None:
    bodies = encode(AWKWARD)
    del bodies[1]["binaryData"]["bin.all-bytes"]
    with pytest.raises(errors.OutputError, match=r"key 'bin\.all-bytes' of chunk out-1 .* missing"):
        configmaps.decode(bodies)


def test_invalid_base64_is_reported() -> None:
    bodies = encode(AWKWARD)
    bodies[1]["binaryData"]["bin.all-bytes"] = "not base64!"
    with pytest.raises(errors.OutputError, match="not valid base64"):
        configmaps.decode(bodies)


def test_a_consistently_changed_file_still_fails_the_tree_digest() -> None:
    bodies = encode(AWKWARD)
    index = index_of(bodies)
    bodies[1]["data"]["app.main.py"] = "changed\n"
    index["files"]["app/main.py"].update(sha256=hashlib.sha256(b"changed\n").hexdigest(), size=8)
    set_index(bodies, index)
    with pytest.raises(errors.OutputError, match="tree digest"):
        configmaps.decode(bodies)


@pytest.mark.parametrize(
    "damage",
    [
        lambda index: index.update(format=99),
        lambda index: index.pop("files"),
        lambda index: index.update(chunks="out-1"),
        lambda index: index["files"]["a/b"].update(parts=[["elsewhere", "a.b-2"]]),
        lambda index: index["files"]["a/b"].update(size="5"),
        lambda index: index["files"].update({"../escape": index["files"]["a/b"]}),
    ],
    ids=["format", "no files", "chunks not a list", "unknown chunk", "size", "path escapes"],
)
def test_a_damaged_index_is_reported(damage: Any) -> None:
    bodies = encode(AWKWARD)
    index = index_of(bodies)
    damage(index)
    set_index(bodies, index)
    with pytest.raises(errors.OutputError, match="index"):
        configmaps.decode(bodies)


def test_not_json_index_is_reported() -> None:
    bodies = encode(AWKWARD)
    bodies[0]["data"][configmaps.INDEX_KEY] = "{not json"
    with pytest.raises(errors.OutputError, match="not a kodegen index"):
        configmaps.decode(bodies)


@pytest.mark.parametrize("count", [0, 2])
def test_exactly_one_index_is_expected(count: int) -> None:
    bodies = encode(AWKWARD)
    other = configmaps.encode(AWKWARD, name="other", namespace="team-a")
    chosen = bodies[1:] + [bodies[0], other[0]][:count]
    with pytest.raises(errors.OutputError, match=f"exactly one index .* found {count}"):
        configmaps.decode(chosen)


def test_decode_ignores_unrelated_configmaps() -> None:
    bodies = encode(AWKWARD)
    unrelated = {"metadata": {"name": "kube-root-ca.crt", "namespace": "team-a"}, "data": {}}
    assert configmaps.decode([unrelated, *bodies]) == AWKWARD


# ----------------------------------------------------------------------------- properties

segment = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), min_size=1, max_size=12
).filter(lambda part: part not in (".", ".."))
paths = st.lists(segment, min_size=1, max_size=4).map("/".join)
contents = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=1500).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=150, deadline=None)
@given(
    files=st.dictionaries(paths, contents, max_size=12), chunk_bytes=st.sampled_from([400, 2048])
)
def test_any_tree_round_trips_with_valid_keys(files: dict[str, bytes], chunk_bytes: int) -> None:
    bodies = encode(files, chunk_bytes=chunk_bytes)
    assert configmaps.decode(bodies) == files
    assert json.dumps(encode(files, chunk_bytes=chunk_bytes)) == json.dumps(bodies)
    for body in bodies[1:]:
        assert content_size(body) <= chunk_bytes
        keys = [*body.get("data", {}), *body.get("binaryData", {})]
        assert len(keys) == len(set(keys))
        for key in keys:
            assert KEY.fullmatch(key) and len(key) <= 253 and not key.startswith("..")


def test_chunk_names_and_output_of_read_an_index() -> None:
    bodies = encode(AWKWARD, chunk_bytes=512)
    assert configmap_layout.chunk_names(bodies[0]) == [b["metadata"]["name"] for b in bodies[1:]]
    assert {configmap_layout.output_of(body) for body in bodies} == {"out"}
    assert configmap_layout.output_of({"metadata": {"name": "theirs"}}) is None
    with pytest.raises(errors.OutputError, match="not a kodegen index"):
        configmap_layout.chunk_names(bodies[1])
