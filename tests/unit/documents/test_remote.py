"""Remote documents: fetched only under an allowed prefix, within a time and size bound,
from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.documents import limits, remote
from tests.schema_host import Host

PREFIX = ("https://schemas.example.com/v1/",)


@pytest.mark.parametrize(
    "url",
    [
        "https://schemas.example.com/v1/pet.json",
        "https://schemas.example.com/v1/deep/er/pet.json?x=1",
        "https://SCHEMAS.example.com:443/v1/pet.json",
    ],
)
def test_urls_under_a_prefix_are_allowed(url: str) -> None:
    assert remote.allowed(url, PREFIX)


@pytest.mark.parametrize(
    "url",
    [
        "http://schemas.example.com/v1/pet.json",  # another scheme
        "https://schemas.example.com/v2/pet.json",  # another path
        "https://schemas.example.com/v1-evil/pet.json",  # not at a / boundary
        "https://schemas.example.com.evil.org/v1/pet.json",  # another host
        "https://schemas.example.com@evil.org/v1/pet.json",  # user info
        "https://evil.org/?https://schemas.example.com/v1/",
        "https://schemas.example.com:8443/v1/pet.json",  # another port
        "https://schemas.example.com/v1/../admin",  # dot segments
        "https://schemas.example.com/v1/%2e%2e/admin",
        "file:///etc/passwd",
        "gopher://schemas.example.com/v1/x",
    ],
)
def test_urls_beside_a_prefix_are_not(url: str) -> None:
    assert not remote.allowed(url, PREFIX)


def test_nothing_is_allowed_by_default() -> None:
    assert not remote.allowed("https://schemas.example.com/v1/pet.json", ())
    with pytest.raises(errors.SpecError, match="allowRemoteRefs") as refused:
        remote.Remote().fetch("https://schemas.example.com/v1/pet.json")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("ftp://x.org/", "http:// or https://"),
        ("https://a@x.org/", "user info"),
        ("https://x.org/a/../b/", "'..'"),
        ("https://x.org/?q=1", "query"),
    ],
)
def test_a_bad_prefix_is_explained(prefix: str, words: str) -> None:
    reason = remote.check_prefix(prefix)
    assert reason is not None and words in reason


def test_an_allowed_document_is_fetched(schema_host: Host) -> None:
    url = schema_host.serve("/v1/pet.json", '{"type": "object"}')
    fetcher = remote.Remote(allow=(schema_host.url + "/v1/",))
    assert fetcher.fetch(url) == b'{"type": "object"}'
    assert schema_host.seen == ["/v1/pet.json"]


def test_a_document_past_the_size_bound_is_refused(schema_host: Host) -> None:
    url = schema_host.serve("/v1/big.json", b"x" * 10_000)
    fetcher = remote.Remote(allow=(schema_host.url + "/",), limits=limits.Limits(max_bytes=1000))
    with pytest.raises(errors.SpecError, match="larger than the 1000 bytes"):
        fetcher.fetch(url)


def test_a_slow_server_is_a_fetch_error_after_the_timeout(schema_host: Host) -> None:
    url = schema_host.serve("/v1/slow.json", "{}")
    schema_host.slow["/v1/slow.json"] = 1.0
    fetcher = remote.Remote(allow=(schema_host.url + "/",), timeout=0.2)
    with pytest.raises(errors.FetchError, match=r"no answer within 0\.2 s"):
        fetcher.fetch(url)


def test_a_redirect_is_not_followed(schema_host: Host) -> None:
    url = schema_host.serve("/v1/moved.json", "", 302, Location="http://169.254.169.254/")
    fetcher = remote.Remote(allow=(schema_host.url + "/",))
    with pytest.raises(errors.SpecError, match=r"answered 302.*169\.254\.169\.254"):
        fetcher.fetch(url)
    assert schema_host.seen == ["/v1/moved.json"]


def test_a_missing_document_is_refused_and_a_server_error_retried(schema_host: Host) -> None:
    fetcher = remote.Remote(allow=(schema_host.url + "/",))
    with pytest.raises(errors.SpecError, match="answered 404"):
        fetcher.fetch(schema_host.url + "/v1/none.json")
    url = schema_host.serve("/v1/down.json", "", 503)
    with pytest.raises(errors.FetchError, match="answered 503"):
        fetcher.fetch(url)


def test_an_unreachable_host_is_a_fetch_error() -> None:
    fetcher = remote.Remote(allow=("http://127.0.0.1:9/",), timeout=2)
    with pytest.raises(errors.FetchError):
        fetcher.fetch("http://127.0.0.1:9/x.json")
