"""ai.redact: keys and tokens never reach logs, transcripts or messages."""

from __future__ import annotations

import logging

import pytest

from kodegen.ai import redact

KEY = "sk-ant-api03-SECRETSECRETSECRET"


@pytest.mark.parametrize(
    "text",
    [
        f"auth failed for {KEY}",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
        "x-api-key: abcdefghijklmnop",
        "GET /v1beta/models/m:generateContent?key=AIzaSyA1234567890abcdefghijk HTTP/1.1",
        "key is sk-proj-0123456789abcdefghij",
        "google says AIzaSyA1234567890abcdefghijklmno is wrong",
        '{"api_key": "abcdefghijkl1234"}',
    ],
)
def test_credentials_are_masked(text: str) -> None:
    masked = redact.Redactor([KEY])(text)
    assert redact.MASK in masked
    for secret in (KEY, "abcdefghijklmnopqrstuvwxyz", "AIzaSyA1234567890", "0123456789abcdefghij"):
        assert secret not in masked


def test_known_secrets_are_masked_whatever_they_look_like() -> None:
    redactor = redact.Redactor(["plain-password-123", None, ""])
    redactor.add("another one")
    assert redactor("a plain-password-123 and another one") == "a *** and ***"


def test_ordinary_text_is_left_alone() -> None:
    text = "def create_link(url: str) -> Link:  # the key of the store is the code"
    assert redact.Redactor([KEY])(text) == text


def test_values_inside_structures() -> None:
    redactor = redact.Redactor([KEY])
    assert redactor.value({"a": [KEY, 1], "b": (KEY,)}) == {"a": ["***", 1], "b": ["***"]}


def test_the_logging_filter_rewrites_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tests.redact")
    logger.addFilter(redact.Redactor([KEY]).filter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.redact"):
            logger.info("calling with %s", KEY)
            try:
                raise RuntimeError(f"boom {KEY}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    assert KEY not in caplog.text
    assert "calling with ***" in caplog.text
    assert "RuntimeError: boom ***" in caplog.text


def test_protect_masks_keys_in_every_libraries_log_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = "protected-key-0123456789"
    with caplog.at_level(logging.DEBUG):
        redact.protect([key, None])
        logging.getLogger("openai._base_client").debug("Request options: api_key=%s", key)
        logging.getLogger("httpx").info("HTTP Request: POST http://x/?token=%s", key)
    assert key not in caplog.text
    assert "api_key=***" in caplog.text
    assert key in redact.SHARED.secrets
