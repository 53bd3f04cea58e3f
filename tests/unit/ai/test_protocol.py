"""ai.protocol: files out of a model's answer, strictly and tolerantly."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st

from kodegen import errors
from kodegen.ai import protocol


def test_format_and_parse_round_trip() -> None:
    files = {"pkg/__init__.py": '"""Pkg."""\n', "tests/test_a.py": "def test_a():\n    assert 1\n"}
    parsed = protocol.parse(protocol.format(files))
    assert parsed.files == files
    assert parsed.problems == ()


def test_prose_around_blocks_and_fenced_contents_are_tolerated() -> None:
    answer = (
        "Sure! Here is the code.\n\n"
        "=== FILE: app.py ===\n```python\nprint('hi')\n```\n=== END FILE ===\n"
        "And some words in between.\n"
        "=== FILE: README.md ===\n# Title\n=== END FILE ===\nHope this helps."
    )
    parsed = protocol.parse(answer)
    assert parsed.files == {"app.py": "print('hi')\n", "README.md": "# Title\n"}
    assert parsed.problems == ()


def test_an_answer_wrapped_in_one_fence_gives_its_files() -> None:
    answer = "```\n=== FILE: a.py ===\nx = 1\n=== END FILE ===\n```\n"
    assert protocol.parse(answer).files == {"a.py": "x = 1\n"}


def test_a_fence_inside_a_file_is_kept_when_it_is_not_the_whole_content() -> None:
    content = "Docs\n```\ncode\n```\nmore\n"
    assert protocol.parse(protocol.format({"README.md": content})).files["README.md"] == content


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../escape.py", "'..'"),
        ("pkg/../../x.py", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/x.py", "absolute"),
        ("pkg\\x.py", "backslashes"),
        (".kodegen/provenance.json", "kodegen's own folder"),
        ("a//b.py", "empty segments"),
    ],
)
def test_paths_outside_the_tree_are_rejected_and_reported(path: str, reason: str) -> None:
    answer = f"=== FILE: {path} ===\nx\n=== END FILE ===\n=== FILE: ok.py ===\ny\n=== END FILE ==="
    parsed = protocol.parse(answer)
    assert parsed.files == {"ok.py": "y\n"}
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith(f"line 1: file {path!r} rejected")
    assert reason in parsed.problems[0]


def test_an_unterminated_block_is_reported_with_its_line() -> None:
    answer = "intro\n=== FILE: a.py ===\nx = 1\n=== FILE: b.py ===\ny = 2\n=== END FILE ===\n"
    parsed = protocol.parse(answer)
    assert parsed.files == {"b.py": "y = 2\n"}
    assert parsed.problems == ("line 2: file 'a.py' is not closed by '=== END FILE ==='",)


def test_a_repeated_path_keeps_the_last_and_says_so() -> None:
    answer = protocol.format({"a.py": "1"}) + protocol.format({"a.py": "2"})
    parsed = protocol.parse(answer)
    assert parsed.files == {"a.py": "2\n"}
    assert "given twice" in parsed.problems[0]


def test_a_stray_end_marker_is_reported() -> None:
    assert protocol.parse("=== END FILE ===").problems == ("line 1: END FILE without a FILE block",)


def test_files_raises_unparseable_when_nothing_usable_came() -> None:
    with pytest.raises(errors.ProviderError) as caught:
        protocol.files("I cannot help with that.", provider="openai")
    assert caught.value.kind == "unparseable"
    assert caught.value.provider == "openai"
    assert "no '=== FILE: <path> ===' block found" in str(caught.value)
    with pytest.raises(errors.ProviderError, match="rejected"):
        protocol.files("=== FILE: ../x ===\n1\n=== END FILE ===", provider="openai")


def test_instructions_document_the_format_parse_reads() -> None:
    example = protocol.INSTRUCTIONS.split("\n\n")[0].replace(
        "<the complete content of the file>", "content"
    )
    assert protocol.parse(example).files == {"relative/path/of/the/file.py": "content\n"}


_SEGMENT = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,11}", fullmatch=True).filter(
    lambda s: s not in (".", "..") and not s.startswith(".kodegen")
)
_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40).filter(
    lambda line: "===" not in line and not line.lstrip().startswith(("```", "~~~"))
)


@hypothesis.given(
    st.dictionaries(
        st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join),
        st.lists(_LINE, min_size=1, max_size=8)
        .filter(lambda lines: lines[0].strip() != "" and lines[-1].strip() != "")
        .map(lambda lines: "\n".join(lines) + "\n"),
        max_size=5,
    ),
    st.sampled_from(["", "Here you go:\n\n", "```\n"]),
)
@hypothesis.settings(max_examples=100, deadline=None)
def test_whatever_format_writes_parse_reads_back(files: dict[str, str], intro: str) -> None:
    text = intro + protocol.format(files) + ("```\n" if intro == "```\n" else "")
    parsed = protocol.parse(text)
    assert parsed.files == files
    assert parsed.problems == ()
