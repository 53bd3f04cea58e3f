"""An in-memory store with the CRUD semantics the specification implies.

Items are JSON-ready dicts, kept in insertion order and keyed by the path parameters that
scope a collection plus the item's own key. Fields the server owns (read-only ones, or ones
the create body does not carry) are filled by generators, never taken from clients.
"""

from __future__ import annotations

import itertools
import math
import threading
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

Generator = Callable[[], Any]
Scope = tuple[Any, ...]


class NotFound(LookupError):
    """No item has the key asked for."""


def sequence(low: int, high: int | None) -> Generator:
    """Integers from `low`, wrapping around after `high`."""
    counter = itertools.count()

    def next_value() -> int:
        step = next(counter)
        return low + (step if high is None else step % (high - low + 1))

    return next_value


def text_sequence() -> Generator:
    counter = itertools.count(1)
    return lambda: str(next(counter))


def constant(value: Any) -> Generator:
    return lambda: value


def timestamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def today() -> str:
    return date.today().isoformat()


def uuid() -> str:
    return str(uuid_module.uuid4())


class Store:
    def __init__(
        self,
        key: str,
        *,
        generate: Mapping[str, Generator] | None = None,
        owned: Iterable[str] = (),
        hidden: Iterable[str] = (),
        defaults: Mapping[str, Any] | None = None,
        max_items: int | None = None,
    ) -> None:
        self.key = key
        self.generate = dict(generate or {})
        self.owned = frozenset(owned)
        self.hidden = frozenset(hidden)
        self.defaults = dict(defaults or {})
        self.max_items = max_items
        self._items: dict[tuple[Scope, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def create(self, scope: Scope, fields: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            item = self._accept(fields)
            self._fill(scope, item)
            self._items[(scope, _text(item[self.key]))] = item
            return self._public(item)

    def get(self, scope: Scope, key: Any) -> dict[str, Any]:
        with self._lock:
            return self._public(self._find(scope, key))

    def replace(self, scope: Scope, key: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            old = self._find(scope, key)
            item = self._accept(fields)
            item.update({name: old[name] for name in self.owned if name in old})
            item[self.key] = old[self.key]
            self._fill(scope, item)
            self._items[(scope, _text(key))] = item
            return self._public(item)

    def update(self, scope: Scope, key: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            item = self._find(scope, key)
            item.update(self._accept(changes))
            item[self.key] = self._find(scope, key)[self.key]
            return self._public(item)

    def delete(self, scope: Scope, key: Any) -> dict[str, Any]:
        with self._lock:
            item = self._find(scope, key)
            del self._items[(scope, _text(key))]
            return self._public(item)

    def list(
        self,
        scope: Scope,
        *,
        filters: Mapping[str, Any] | None = None,
        offset: float | None = None,
        limit: float | None = None,
        page: float | None = None,
    ) -> list[dict[str, Any]]:
        with self._lock:
            found = [
                self._public(item)
                for (where, _), item in self._items.items()
                if where == scope and _matches(item, filters or {})
            ]
        offset, limit, page = _whole(offset), _whole(limit), _whole(page)
        if page is not None and limit:
            offset = (max(page, 1) - 1) * limit
        found = found[max(offset or 0, 0) :]
        if limit is not None:
            found = found[: max(limit, 0)]
        return found if self.max_items is None else found[: self.max_items]

    def keys(self, scope: Scope) -> list[str]:
        with self._lock:
            return [key for where, key in self._items if where == scope]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _find(self, scope: Scope, key: Any) -> dict[str, Any]:
        try:
            return self._items[(scope, _text(key))]
        except KeyError:
            raise NotFound(key) from None

    def _accept(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in fields.items() if name not in self.owned}

    def _fill(self, scope: Scope, item: dict[str, Any]) -> None:
        for name, value in self.defaults.items():
            item.setdefault(name, value)
        for name, generate in self.generate.items():
            if name in item:
                continue
            value = generate()
            if name == self.key:
                for _ in range(10_000):
                    if (scope, _text(value)) not in self._items:
                        break
                    value = generate()
            item[name] = value

    def _public(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in item.items() if name not in self.hidden}


def _whole(value: float | None) -> int | None:
    """A paging parameter as a whole number: `number` parameters arrive as floats; one that is
    not finite (inf, nan) pages nothing away."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return int(value)


def _text(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    return str(key)


def _matches(item: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    for name, wanted in filters.items():
        if wanted is None:
            continue
        value = item.get(name)
        if isinstance(wanted, list):
            values = value if isinstance(value, list) else [value]
            if not any(v in wanted for v in values):
                return False
        elif value != wanted:
            return False
    return True
