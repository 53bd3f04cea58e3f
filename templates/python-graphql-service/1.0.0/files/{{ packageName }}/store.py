"""An in-memory store per entity type, the broker feeding subscriptions, and helpers for
Strawberry's unset arguments."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError

T = TypeVar("T")


class NotFound(GraphQLError):
    """No stored item has this key; answered as an error with `extensions.code` NOT_FOUND."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found", extensions={"code": "NOT_FOUND"})


class Store(Generic[T]):
    """Items of one type by key, in insertion order; keys are "1", "2", ... as created."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._last = 0

    def clear(self) -> None:
        self._items.clear()
        self._last = 0

    def new_key(self) -> str:
        self._last += 1
        return str(self._last)

    def add(self, key: str, item: T) -> T:
        self._items[key] = item
        return item

    def find(self, key: str) -> T | None:
        return self._items.get(key)

    def get(self, key: str) -> T:
        if key not in self._items:
            raise NotFound(self.kind, key)
        return self._items[key]

    def remove(self, key: str) -> bool:
        return self._items.pop(key, None) is not None

    def discard(self, key: str) -> T | None:
        return self._items.pop(key, None)

    def pop(self, key: str) -> T:
        item = self.get(key)
        del self._items[key]
        return item

    def values(self) -> list[T]:
        return list(self._items.values())


class Broker:
    """In-process publish/subscribe by topic (an entity type's name): a mutation publishes what
    it changed, each subscriber's event loop receives it. Safe across threads and loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]]] = {}

    def listeners(self, topic: str) -> int:
        with self._lock:
            return len(self._queues.get(topic, []))

    def publish(self, topic: str, item: Any) -> None:
        with self._lock:
            queues = list(self._queues.get(topic, []))
        for loop, queue in queues:
            loop.call_soon_threadsafe(queue.put_nowait, item)

    async def subscribe(self, topic: str) -> AsyncIterator[Any]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[Any]())
        with self._lock:
            self._queues.setdefault(topic, []).append(entry)
        try:
            while True:
                yield await entry[1].get()
        finally:
            with self._lock:
                self._queues[topic].remove(entry)


EVENTS = Broker()


def given(value: Any) -> bool:
    """Whether the client sent this argument or input field (null included)."""
    return value is not strawberry.UNSET


def present(value: Any) -> bool:
    """Whether the client sent a value other than null."""
    return value is not strawberry.UNSET and value is not None


def value(given_value: Any) -> Any:
    """The value sent, None for null or nothing."""
    return given_value if present(given_value) else None


def items(values: Iterable[T] | None) -> list[T]:
    """The list sent, empty for null or nothing."""
    return list(values) if present(values) else []


def same(scalar: Any) -> Any:
    """A custom scalar as it is, both ways: the service neither checks nor converts it."""
    return scalar


def tie(item: T, *path: str, to: tuple[str, ...] = ()) -> T:
    """A sample that holds an object twice (a Transaction's Log's Transaction): the placeholder
    at `path` (attribute names, list indexes) becomes the object at `to` inside `item`, `item`
    itself by default."""
    source: Any = item
    for step in to:
        source = source[int(step)] if isinstance(source, list) else getattr(source, step)
    target: Any = item
    for step in path[:-1]:
        target = target[int(step)] if isinstance(target, list) else getattr(target, step)
    setattr(target, path[-1], source)
    return item


def page(found: list[T], *, offset: int | None, limit: int | None) -> list[T]:
    """`found[offset:offset + limit]`; a missing, null or negative bound is no bound."""
    start = offset if present(offset) and offset is not None and offset > 0 else 0
    if present(limit) and limit is not None and limit >= 0:
        return found[start : start + limit]
    return found[start:]
