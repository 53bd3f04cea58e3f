"""ai.redact.encodings, against an oracle built by brute force: the encoded forms of a secret are
exactly the longest texts found in every base64 (or URL-safe base64) encoding of any text that
holds the secret at a given alignment, plus the secret as it is, reversed and in hex."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable

import pytest

from kodegen.ai import redact

ALPHABET = "sk-ant~?>_Zé0123456789"  # "~", "?" and ">" give "+" and "/" in base64; "é" two bytes


def secret_of(length: int) -> str:
    return "".join(itertools.islice(itertools.cycle(ALPHABET), 3 * length, 4 * length))


def common(texts: list[str]) -> str:
    """The longest text found in each of `texts`."""
    first, others = texts[0], texts[1:]
    for size in range(len(first), 0, -1):
        for start in range(len(first) - size + 1):
            part = first[start : start + size]
            if all(part in text for text in others):
                return part
    return ""


def guaranteed(raw: bytes, before: int, encode: Callable[[bytes], bytes]) -> str:
    """What every encoding of a text holding `raw` after `before` bytes shows, whatever the
    bytes around it are (each bit of them flipped between two of the texts)."""
    texts = [
        encode(bytes([fill]) * before + raw + after).decode()
        for fill in (0x00, 0xFF)
        for after in (b"", b"\x00", b"\xff\xff", b"\x00\x00\x00", b"\xff\xff\xff")
    ]
    return common(texts)


def oracle(secret: str) -> tuple[str, ...]:
    raw = secret.encode()
    found = {secret, secret[::-1], raw.hex(), raw.hex().upper()}
    for before in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(guaranteed(raw, before, encode))
    return tuple(sorted(found, key=lambda text: (-len(text), text)))


@pytest.mark.parametrize("length", range(redact.MIN_ENCODED, 31))
def test_the_encoded_forms_are_exactly_what_every_encoding_of_the_secret_shows(
    length: int,
) -> None:
    secret = secret_of(length)
    assert len(secret) == length
    assert redact.encodings(secret) == oracle(secret)


def test_the_oracle_sees_the_url_safe_alphabet_and_multibyte_characters() -> None:
    forms = redact.encodings(secret_of(20))
    assert any("+" in form for form in forms) and any("-" in form for form in forms)
    assert any("/" in form for form in forms) and any("_" in form for form in forms)
    assert len(secret_of(20).encode()) > 20


def test_a_secret_shorter_than_the_minimum_is_masked_only_as_it_is() -> None:
    short = secret_of(redact.MIN_ENCODED - 1)
    assert redact.encodings(short) == (short,)
    assert redact.encodings("é" * (redact.MIN_ENCODED - 1)) == ("é" * (redact.MIN_ENCODED - 1),)
    assert redact.encodings("") == ()


def test_an_encoded_secret_inside_a_longer_encoded_text_is_masked_whole() -> None:
    secret = secret_of(16)
    redactor = redact.Redactor([secret])
    for before in (b"", b"a", b"ab"):
        text = base64.b64encode(before + secret.encode() + b"tail").decode()
        masked = redactor(text)
        stable = guaranteed(secret.encode(), len(before), base64.b64encode)
        assert redactor.holds_secret(text)
        assert masked == text.replace(stable, redact.MASK)
