"""ai.redact, the rules its first tests left open (found by `make mutate`): which keys are held,
the order they are masked in, and tracebacks that were never raised."""

from __future__ import annotations

import logging
import uuid

import pytest

from kodegen.ai import redact

SHORT, LONG = "word", "aword1234"  # the short key inside the long one; "word" sorts after it


@pytest.mark.parametrize("keys", [[SHORT, LONG], [LONG, SHORT]])
def test_a_key_inside_a_longer_key_does_not_split_the_longer_one(keys: list[str]) -> None:
    assert redact.Redactor(keys)(f"a {LONG} b {SHORT} c") == "a *** b *** c"


@pytest.mark.parametrize(("first", "then"), [(SHORT, LONG), (LONG, SHORT)])
def test_added_keys_keep_the_longest_first(first: str, then: str) -> None:
    redactor = redact.Redactor([first])
    redactor.add(then)
    assert redactor.secrets == [LONG, SHORT]
    assert redactor(f"a {LONG} b {SHORT} c") == "a *** b *** c"


def test_keys_of_four_characters_are_held_shorter_ones_are_not() -> None:
    redactor = redact.Redactor(["abcd", "xyz", None, ""])
    redactor.add("wxyz")
    redactor.add("uvw")
    redactor.add(None)
    redactor.add("abcd")  # held once
    assert redactor.secrets == ["abcd", "wxyz"]
    assert redactor("abcd wxyz xyz uvw") == "*** *** xyz uvw"


def test_an_exception_never_raised_is_masked_too() -> None:
    key = "held-key-0123456789"
    error = ValueError(f"bad {key}")  # never raised: it has no traceback
    record = logging.LogRecord(
        "kodegen.test", logging.ERROR, __file__, 1, "failed", None, (ValueError, error, None)
    )
    assert redact.Redactor([key]).filter().filter(record)
    assert record.exc_info is None
    assert record.exc_text == "ValueError: bad ***"
    assert key not in logging.Formatter().format(record)


def test_protect_masks_the_keys_given_in_every_handler(caplog: pytest.LogCaptureFixture) -> None:
    key = f"protected-key-{uuid.uuid4().hex}"  # new each run: SHARED outlives a test
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        redact.protect([key, None])
        assert key in redact.SHARED.secrets
        logging.getLogger("kodegen.test.protect").warning("using %s", key)
    finally:
        root.removeHandler(caplog.handler)
    assert caplog.records[-1].getMessage() == "using ***"


def test_a_key_that_sorts_first_but_is_shorter_is_masked_after_the_longer_one() -> None:
    # "abcd" sorts before "xabcd123": the forms are masked longest first, not in text order
    assert redact.Redactor(["abcd", "xabcd123"])("xabcd123 abcd") == "*** ***"


def test_a_redactor_without_keys_holds_none_and_masks_only_credentials() -> None:
    redactor = redact.Redactor()
    assert not redactor.holds_secret("anything")
    assert redactor.known("plain text") == "plain text"
    assert redactor("token: Bearer abcdefghijkl") == "token: Bearer ***"


def test_holds_secret_finds_a_key_in_any_form_and_nothing_else() -> None:
    redactor = redact.Redactor(["held-key-0123456789", "abcd"])
    assert redactor.holds_secret("x held-key-0123456789 y")
    assert redactor.holds_secret("x " + "held-key-0123456789"[::-1])
    assert redactor.holds_secret("abcd")
    assert not redactor.holds_secret("held-key-012345678 abc")
    assert not redactor.holds_secret("")
