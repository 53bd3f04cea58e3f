"""A scripted model for the user story of `examples/user-story.yaml` (a URL shortener).

It answers kodegen's prompts the way a good model would: a plan, then a project whose first
version has a bug (visits are not counted, so a test fails), then the fix when the failing
gate reports come back. The integration test and `benchmarks/ai_bench.py` serve it through
the Ollama wire protocol (`tests.unit.ai.wire`), so the real SDK and the real gates run.
"""

from __future__ import annotations

from typing import Any

from kodegen.ai import protocol, wire

PLAN = """\
# Plan
- shortener/store.py: Store with shorten(url) -> Link (same URL, same code), get(code),
  visit(code) counting visits; 7-character codes from sha256 over a URL-safe alphabet.
- shortener/app.py: FastAPI app: POST /links (201), GET /{code} (307 + Location),
  GET /links/{code}/stats; 404 for unknown codes; 422 for URLs that are not http(s).
- tests/test_shortener.py: one test per acceptance criterion, plus code collisions.
"""
STORE = """\
\"\"\"Short codes for URLs and their visit counts, kept in memory.\"\"\"

from __future__ import annotations

import hashlib
import string
import threading
from dataclasses import dataclass

ALPHABET = string.ascii_letters + string.digits + "-_"
CODE_LENGTH = 7


@dataclass
class Link:
    code: str
    url: str
    visits: int = 0


def encode(digest: bytes, length: int = CODE_LENGTH) -> str:
    \"\"\"The first `length` URL-safe characters of `digest` read as a big number.\"\"\"
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


class Store:
    def __init__(self) -> None:
        self._by_code: dict[str, Link] = {}
        self._by_url: dict[str, str] = {}
        self._lock = threading.Lock()

    def shorten(self, url: str) -> Link:
        \"\"\"The link of `url`: the same code every time the same URL is shortened.\"\"\"
        with self._lock:
            code = self._by_url.get(url)
            if code is not None:
                return self._by_code[code]
            link = Link(code=self._new_code(url), url=url)
            self._by_code[link.code] = link
            self._by_url[url] = link.code
            return link

    def get(self, code: str) -> Link | None:
        return self._by_code.get(code)

    def visit(self, code: str) -> Link | None:
        \"\"\"The link of `code` with one more visit counted; None for an unknown code.\"\"\"
        with self._lock:
            link = self._by_code.get(code)
            if link is not None:
                link.visits += 1__VISIT__
            return link

    def _new_code(self, url: str) -> str:
        salt = 0
        while True:
            code = encode(hashlib.sha256(f"{salt}:{url}".encode()).digest())
            if code not in self._by_code:
                return code
            salt += 1
"""
APP = """\
\"\"\"The HTTP API: shorten a URL, follow a code, read a code's visit count.\"\"\"

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, field_validator

from shortener.store import Store


class LinkIn(BaseModel):
    url: str

    @field_validator("url")
    @classmethod
    def http_only(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url must be an http or https URL")
        return value


class LinkOut(BaseModel):
    code: str
    url: str


class Stats(LinkOut):
    visits: int


def create_app(store: Store | None = None) -> FastAPI:
    links = store if store is not None else Store()
    app = FastAPI(title="shortener")

    @app.post("/links", status_code=201, response_model=LinkOut)
    def create_link(body: LinkIn) -> LinkOut:
        link = links.shorten(body.url)
        return LinkOut(code=link.code, url=link.url)

    @app.get("/links/{code}/stats", response_model=Stats)
    def link_stats(code: str) -> Stats:
        link = links.get(code)
        if link is None:
            raise HTTPException(status_code=404, detail=f"unknown code {code!r}")
        return Stats(code=link.code, url=link.url, visits=link.visits)

    @app.get("/{code}")
    def follow(code: str) -> RedirectResponse:
        link = links.visit(code)
        if link is None:
            raise HTTPException(status_code=404, detail=f"unknown code {code!r}")
        return RedirectResponse(link.url, status_code=307)

    return app


app = create_app()
"""
TESTS = """\
\"\"\"The acceptance criteria of the user story, one test each, and the store's corners.\"\"\"

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from shortener.app import create_app
from shortener.store import ALPHABET, Link, Store, encode


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(Store()), follow_redirects=False)


def test_post_answers_201_with_a_url_safe_code(client: TestClient) -> None:
    answer = client.post("/links", json={"url": "https://example.com/a"})
    assert answer.status_code == 201
    body = answer.json()
    assert body["url"] == "https://example.com/a"
    assert re.fullmatch(r"[A-Za-z0-9_-]{6,8}", body["code"])


def test_the_same_url_gets_the_same_code(client: TestClient) -> None:
    first = client.post("/links", json={"url": "https://example.com/a"}).json()
    second = client.post("/links", json={"url": "https://example.com/a"}).json()
    other = client.post("/links", json={"url": "https://example.com/b"}).json()
    assert first["code"] == second["code"] != other["code"]


def test_following_a_code_redirects_and_counts(client: TestClient) -> None:
    code = client.post("/links", json={"url": "https://example.com/a"}).json()["code"]
    answer = client.get(f"/{code}")
    assert answer.status_code == 307
    assert answer.headers["location"] == "https://example.com/a"
    client.get(f"/{code}")
    stats = client.get(f"/links/{code}/stats").json()
    assert stats == {"code": code, "url": "https://example.com/a", "visits": 2}


def test_unknown_codes_answer_404(client: TestClient) -> None:
    assert client.get("/nope123").status_code == 404
    assert client.get("/links/nope123/stats").status_code == 404


@pytest.mark.parametrize("url", ["ftp://example.com/a", "example.com", "javascript:alert(1)"])
def test_urls_that_are_not_http_answer_422(client: TestClient, url: str) -> None:
    assert client.post("/links", json={"url": url}).status_code == 422


def test_a_colliding_code_is_replaced_by_another() -> None:
    store = Store()
    first = store.shorten("https://example.com/a")
    crowded = Store()
    crowded._by_code[first.code] = Link(first.code, "https://elsewhere.example")
    second = crowded.shorten("https://example.com/a")
    assert second.code != first.code
    assert crowded.get(second.code) == second


def test_encode_uses_the_alphabet_only() -> None:
    code = encode(bytes(range(32)), length=8)
    assert len(code) == 8 and set(code) <= set(ALPHABET)
"""

FIXED = {
    "shortener/store.py": STORE.replace("__VISIT__", ""),
    "shortener/app.py": APP,
    "tests/test_shortener.py": TESTS,
}
"""The project as it should be."""

BUGGY = {**FIXED, "shortener/store.py": STORE.replace("1__VISIT__", "0")}
"""The first answer: every visit is counted as zero."""


def purpose(body: dict[str, Any]) -> str:
    """Which of kodegen's prompts a request carries (plan, write, repair)."""
    text = str(body.get("messages", ""))
    if "Plan the implementation" in text:
        return "plan"
    if "These quality gates failed" in text:
        return "repair"
    return "write"


def answer(body: dict[str, Any], *, repair_needed: bool = True) -> wire.Reply:
    """The scripted model: a plan, the buggy project (or the fixed one), the fix."""
    step = purpose(body)
    if step == "plan":
        text = protocol.format({"PLAN.md": PLAN})
    elif step == "write" and repair_needed:
        text = "Here is the project.\n\n" + protocol.format(BUGGY)
    else:
        text = "The visit counter did not count; fixed:\n\n" + protocol.format(
            {"shortener/store.py": FIXED["shortener/store.py"]}
        )
        if step == "write":
            text = protocol.format(FIXED)
    return wire.Reply(text, input_tokens=1200, output_tokens=len(text) // 4)
