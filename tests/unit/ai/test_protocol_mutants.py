"""ai.protocol at its edges (found by `make mutate`): the exact path rules, the line numbers of
problems, what is unwrapped and what is kept."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.ai import protocol


def _block(path: str, body: str = "x = 1") -> str:
    return f"=== FILE: {path} ===\n{body}\n=== END FILE ===\n"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("a" * 256, "a path must have 1 to 255 characters"),
        ("a\\b.py", "backslashes and NUL are not allowed; use '/'"),
        ("a\x00b.py", "backslashes and NUL are not allowed; use '/'"),
        ("/etc/passwd", "absolute paths are not allowed; give a path relative to the project root"),
        ("C:evil.py", "absolute paths are not allowed; give a path relative to the project root"),
        ("z:/evil.py", "absolute paths are not allowed; give a path relative to the project root"),
        (
            "a/../b.py",
            "'..', '.' and empty segments are not allowed: the file must stay in the project",
        ),
        (
            "a/./b.py",
            "'..', '.' and empty segments are not allowed: the file must stay in the project",
        ),
        (
            "a//b.py",
            "'..', '.' and empty segments are not allowed: the file must stay in the project",
        ),
        ("a/", "'..', '.' and empty segments are not allowed: the file must stay in the project"),
        (".kodegen/provenance.json", ".kodegen/ is kodegen's own folder"),
        (".kodegen", ".kodegen/ is kodegen's own folder"),
        ("a\x01b.py", "control characters are not allowed in a path"),
        ("a\x1fb.py", "control characters are not allowed in a path"),
        ("a\x7fb.py", "control characters are not allowed in a path"),
        (".git/config", "a .git folder is not part of a generated project"),
        ("sub/.git/hooks/pre-commit", "a .git folder is not part of a generated project"),
    ],
)
def test_a_bad_path_is_rejected_with_its_reason(path: str, reason: str) -> None:
    parsed = protocol.parse("intro\n" + _block(path) + _block("ok.py"))
    assert parsed.files == {"ok.py": "x = 1\n"}
    assert parsed.problems == (f"line 2: file {path!r} rejected: {reason}",)


@pytest.mark.parametrize(
    "path", ["a" * 255, ".kodegenx/a.py", "a.kodegen/b.py", "CC:x/y.py", "x/C:y"]
)
def test_paths_at_the_edges_of_the_rules_are_accepted(path: str) -> None:
    assert protocol.parse(_block(path)).files == {path: "x = 1\n"}


def test_problems_name_their_line() -> None:
    text = (
        "=== END FILE ===\n" + _block("a.py") + _block("a.py", "y = 2") + "=== FILE: b.py ===\nz\n"
    )
    parsed = protocol.parse(text)
    assert parsed.files == {"a.py": "y = 2\n"}
    assert parsed.problems == (
        "line 1: END FILE without a FILE block",
        "line 5: file 'a.py' given twice; the last one is kept",
        "line 8: file 'b.py' is not closed by '=== END FILE ==='",
    )


def test_a_block_opened_inside_an_open_block_ends_the_first() -> None:
    text = "=== FILE: a.py ===\nx\n" + _block("b.py")
    parsed = protocol.parse(text)
    assert parsed.files == {"b.py": "x = 1\n"}
    assert parsed.problems == ("line 1: file 'a.py' is not closed by '=== END FILE ==='",)


def test_an_answer_in_one_fence_gives_its_blocks_and_nothing_else() -> None:
    fenced = "\n```text\n" + _block("a.py") + "```\n\n"
    assert protocol.parse(fenced).files == {"a.py": "x = 1\n"}
    assert protocol.parse("```\nno blocks\n```").files == {}
    one_line = "```" + "\n"
    assert protocol.parse(one_line).files == {}


@pytest.mark.parametrize("path", ["a b.py", "caf\x80e.py", "docs/.github/x.md", "a.git/b.py"])
def test_a_path_with_a_space_or_beyond_ascii_or_like_git_is_accepted(path: str) -> None:
    assert protocol.parse(_block(path)) == protocol.Parsed({path: "x = 1\n"}, ())


def test_problems_in_an_answer_in_one_fence_name_the_lines_of_the_answer() -> None:
    fenced = "```\n" + _block("a.py") + "=== FILE: ../b.py ===\ny\n=== END FILE ===\n```\n"
    parsed = protocol.parse(fenced)
    assert parsed.files == {"a.py": "x = 1\n"}
    assert parsed.problems == (
        "line 5: file '../b.py' rejected: '..', '.' and empty segments are not allowed: "
        "the file must stay in the project",
    )


def test_content_in_its_own_fence_is_unwrapped_and_blank_edges_trimmed() -> None:
    assert protocol.parse(_block("a.py", "\n\n```python\nx = 1\n```\n\n")).files == {
        "a.py": "x = 1\n"
    }
    assert protocol.parse(_block("a.py", "~~~\n~~~")).files == {"a.py": ""}
    assert protocol.parse(_block("a.py", "```python")).files == {"a.py": "```python\n"}
    assert protocol.parse(_block("a.py", "x = 1\n```")).files == {"a.py": "x = 1\n```\n"}
    assert protocol.parse(_block("a.py", "\n\n")).files == {"a.py": ""}
    assert protocol.parse(_block("a.py", "\nx = 1\ny = 2\n")).files == {"a.py": "x = 1\ny = 2\n"}
    assert protocol.parse(_block("a.py", "  a\n\n  b  ")).files == {"a.py": "  a\n\n  b  \n"}


def test_format_and_parse_round_trip() -> None:
    files = {"a.py": "x = 1\n", "b/c.txt": "no newline", "empty.txt": ""}
    text = protocol.format(files)
    assert text == (
        "=== FILE: a.py ===\nx = 1\n=== END FILE ===\n\n"
        "=== FILE: b/c.txt ===\nno newline\n=== END FILE ===\n\n"
        "=== FILE: empty.txt ===\n=== END FILE ===\n"
    )
    assert protocol.parse(text).files == {**files, "b/c.txt": "no newline\n"}


def test_an_answer_without_a_usable_file_is_an_unparseable_provider_error() -> None:
    with pytest.raises(errors.ProviderError) as caught:
        protocol.files("just prose", provider="openai")
    assert (caught.value.provider, caught.value.kind) == ("openai", "unparseable")
    assert (
        caught.value.reason == "no usable file in the answer: no '=== FILE: <path> ===' block found"
    )
    bad = "".join(_block(f"/abs{i}.py") for i in range(7))
    with pytest.raises(errors.ProviderError) as caught:
        protocol.files(bad, provider="p")
    assert caught.value.reason.count("rejected") == 5
    assert (
        "'/abs0.py' rejected: absolute paths are not allowed; give a path relative to the "
        "project root; line 4: file '/abs1.py' rejected"
    ) in caught.value.reason
    assert caught.value.reason.startswith("no usable file in the answer: line 1: file '/abs0.py'")
    assert protocol.files(_block("a.py"), provider="p").files == {"a.py": "x = 1\n"}
