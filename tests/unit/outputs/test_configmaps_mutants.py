"""outputs.configmap_layout, the rules its first tests left open (found by `make mutate`): the
exact index text and tree digest, the limits on names and chunk sizes, ConfigMaps without
metadata, and the errors a reader gets for each way an output can be damaged."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest

from kodegen import errors
from kodegen.outputs import configmap_layout as layout

WHERE = "configmap ns/out"


def encode(files: dict[str, bytes], **options: Any) -> list[dict[str, Any]]:
    return layout.encode(files, name="out", namespace="ns", **options)


def refused(configmaps: list[dict[str, Any]]) -> errors.OutputError:
    with pytest.raises(errors.OutputError) as caught:
        layout.decode(configmaps)
    return caught.value


def test_the_index_is_compact_json_with_sorted_keys_and_unescaped_text() -> None:
    index, _chunk = encode({"é.txt": b"x"})
    digest, sha = index["metadata"]["annotations"][layout.DIGEST_ANNOTATION], hashlib.sha256(b"x")
    assert index["data"][layout.INDEX_KEY] == (
        f'{{"chunks":["out-1"],"digest":"{digest}","files":{{"é.txt":{{"parts":'
        f'[["out-1","_.txt"]],"sha256":"{sha.hexdigest()}","size":1}}}},"format":1}}'
    )


def test_the_tree_digest_hashes_each_paths_length_path_and_file_digest() -> None:
    files = {"a/b.txt": b"one", "c": b"two"}
    tree = hashlib.sha256()
    for path in sorted(files):
        tree.update(
            len(path).to_bytes(8, "big") + path.encode() + hashlib.sha256(files[path]).digest()
        )
    [index, *_] = encode(files)
    assert (
        index["metadata"]["annotations"][layout.DIGEST_ANNOTATION] == f"sha256:{tree.hexdigest()}"
    )


def test_chunks_of_364_bytes_are_the_smallest_taken() -> None:
    assert layout.decode(encode({"a": b"x" * 100}, chunk_bytes=364)) == {"a": b"x" * 100}
    with pytest.raises(ValueError) as small:
        encode({"a": b"x"}, chunk_bytes=363)
    assert str(small.value) == "chunk_bytes=363 leaves no room for content"


def test_a_name_of_63_characters_is_taken_a_longer_one_refused_with_the_rule() -> None:
    assert layout.encode({}, name="n" * 63, namespace="ns")[0]["metadata"]["name"] == "n" * 63
    with pytest.raises(errors.InputError) as bad:
        layout.encode({}, name="n" * 64, namespace="ns")
    assert str(bad.value).endswith("and have at most 63 characters (it is also a label value)")


def test_a_path_leaving_the_folder_is_refused_with_the_rule() -> None:
    with pytest.raises(errors.InputError) as bad:
        encode({"../x": b""})
    assert str(bad.value) == (
        "output path '../x' is not a plain relative path; "
        "a template may only write inside the output folder"
    )


def test_configmaps_without_metadata_are_ignored() -> None:
    bodies = encode({"a": b"x"})
    assert layout.decode([*bodies, {"data": {}}]) == {"a": b"x"}
    bare = {key: value for key, value in bodies[0].items() if key != "metadata"}
    assert layout.chunk_names(bare) == ["out-1"]


def test_no_index_is_named_as_such() -> None:
    error = refused(encode({"a": b"x"})[1:])
    assert (error.output, error.reason) == (
        "configmaps",
        "expected exactly one index ConfigMap (label kodegen.dev/role=index), found 0: none",
    )


def test_two_indexes_are_named() -> None:
    index = encode({"a": b"x"})[0]
    other = copy.deepcopy(index)
    other["metadata"]["namespace"] = "other"
    error = refused([index, other])
    assert error.reason == (
        "expected exactly one index ConfigMap (label kodegen.dev/role=index), "
        "found 2: ['ns/out', 'other/out']"
    )


def test_an_index_of_another_format_says_to_publish_again() -> None:
    index = encode({"a": b"x"})[0]
    index["data"][layout.INDEX_KEY] = "{not json"
    error = refused([index])
    assert (error.output, error.reason) == (
        WHERE,
        "data['index.json'] is missing or not a kodegen index of format 1; "
        "publish the output again (with this version of kodegen)",
    )
    with pytest.raises(errors.OutputError) as caught:
        layout.chunk_names(index)
    assert caught.value.output == WHERE


@pytest.mark.parametrize(
    "entry",
    [
        {"parts": "x", "sha256": "", "size": 0},
        {"parts": [], "sha256": 1, "size": 0},
        {"parts": [], "sha256": "", "size": "0"},
        {"parts": [["out-1", 2]], "sha256": "", "size": 0},
    ],
)
def test_an_index_with_a_malformed_entry_is_corrupt(entry: dict[str, Any]) -> None:
    index = encode({"a": b"x"})[0]
    index["data"][layout.INDEX_KEY] = (
        f'{{"chunks":["out-1"],"digest":"d","files":{{"a":{json.dumps(entry)}}},"format":1}}'
    )
    error = refused([index])
    assert (error.output, error.reason) == (
        WHERE,
        "data['index.json'] is corrupt (fields missing or of the wrong type); "
        "publish the output again",
    )


def test_a_chunk_of_another_output_is_named_with_both_digests() -> None:
    index, chunk = encode({"a": b"x"})
    chunk["metadata"]["annotations"][layout.DIGEST_ANNOTATION] = "sha256:new"
    error = refused([index, chunk])
    digest = index["metadata"]["annotations"][layout.DIGEST_ANNOTATION]
    assert (error.output, error.retryable) == (WHERE, True)
    assert error.reason == (
        f"chunk ConfigMap out-1 belongs to output sha256:new, not {digest}: "
        "the output is being replaced; try again"
    )


def test_a_part_that_is_not_strict_base64_is_named() -> None:
    index, chunk = encode({"a": b"\xff\xfe"})
    chunk["binaryData"]["a"] = "//7!"
    error = refused([index, chunk])
    assert (error.output, error.reason) == (
        WHERE,
        "key 'a' of chunk out-1 (file 'a') is not valid base64; publish the output again",
    )


def test_a_missing_part_is_named() -> None:
    index, chunk = encode({"a": b"x"})
    del chunk["data"]
    error = refused([index, chunk])
    assert (error.output, error.reason) == (
        WHERE,
        "key 'a' of chunk out-1 (file 'a') is missing; publish the output again",
    )


def test_a_file_of_the_right_size_but_other_content_is_corrupt() -> None:
    index, chunk = encode({"a": b"x"})
    chunk["data"]["a"] = "y"
    error = refused([index, chunk])
    assert error.output == WHERE
    assert error.reason.startswith("file 'a' is corrupt: 1 bytes with sha256 ")


def test_a_tree_digest_that_does_not_match_says_to_publish_again() -> None:
    index, chunk = encode({"a": b"x"})
    text = index["data"][layout.INDEX_KEY]
    digest = index["metadata"]["annotations"][layout.DIGEST_ANNOTATION]
    index["data"][layout.INDEX_KEY] = text.replace(digest, "sha256:other")
    chunk["metadata"]["annotations"][layout.DIGEST_ANNOTATION] = "sha256:other"
    error = refused([index, chunk])
    assert (error.output, error.reason) == (
        WHERE,
        f"the tree digest is {digest}, the index records sha256:other; publish the output again",
    )
