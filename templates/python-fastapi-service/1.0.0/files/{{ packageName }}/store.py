"""An in-memory store with the CRUD semantics the specification implies.

Items are JSON-ready dicts, kept in insertion order and keyed by the path parameters that
scope a collection plus the item's own key. Fields the server owns (read-only ones, or ones
the create body does not carry) are filled by generators, never taken from clients.
A collection nobody creates in starts every scope with a copy of its `seed` item; a
`Singleton` holds one value per scope, starting from its default.
"""

from __future__ import annotations

import copy
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


def text_sequence(template: str = "", append: bool = False) -> Generator:
    """"1", "2", ...; with a template (a sample of the field's pattern or format), the number
    in place of the template's last characters ("ord_001"), or after them (`append`)."""
    counter = itertools.count(1)

    def make() -> str:
        number = str(next(counter))
        if append:
            return template + number
        return template[: max(len(template) - len(number), 0)] + number

    return make


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
        not_null: Iterable[str] = (),
        max_items: int | None = None,
        seed: Mapping[str, Any] | None = None,
        kept: Iterable[str] = (),
    ) -> None:
        """`not_null`: fields a read never answers null; a null written to one is dropped.
        `kept`: fields every item has; a replace that leaves one out keeps the stored value."""
        self.key = key
        self.kept = frozenset(kept)
        self.not_null = frozenset(not_null)
        self.seed = seed
        self.generate = dict(generate or {})
        self.owned = frozenset(owned)
        self.hidden = frozenset(hidden)
        self.defaults = dict(defaults or {})
        self.max_items = max_items
        self._items: dict[tuple[Scope, str], dict[str, Any]] = {}
        self._seeded: set[Scope] = set()
        self._count = itertools.count(1)
        self._lock = threading.Lock()

    def create(self, scope: Scope, fields: Mapping[str, Any]) -> dict[str, Any]:
        scope = _where(scope)
        with self._lock:
            self._seed(scope)
            item = self._accept(fields)
            self._fill(scope, item)
            self._items[(scope, self._key(item))] = item
            return self._public(item)

    def get(self, scope: Scope, key: Any) -> dict[str, Any]:
        scope = _where(scope)
        with self._lock:
            return self._public(self._find(scope, key))

    def change(self, scope: Scope, key: Any, name: str, value: Any) -> dict[str, Any]:
        """Set one field, owned or not: what an action does."""
        scope = _where(scope)
        with self._lock:
            item = self._find(scope, key)
            item[name] = value
            return self._public(item)

    def assign(self, scope: Scope, key: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Set fields, owned or not: what an update through another path does."""
        scope = _where(scope)
        with self._lock:
            item = self._find(scope, key)
            item.update({name: value for name, value in fields.items() if name != self.key})
            return self._public(item)

    def count(self, scope: Scope, *, filters: Mapping[str, Any] | None = None) -> int:
        scope = _where(scope)
        with self._lock:
            self._seed(scope)
            return sum(
                1
                for (where, _), item in self._items.items()
                if where == scope and _matches(item, filters or {})
            )

    def purge(self, scope: Scope, *, filters: Mapping[str, Any] | None = None) -> int:
        """Remove the scope's items that match `filters`; how many went."""
        scope = _where(scope)
        with self._lock:
            self._seed(scope)
            gone = [
                (where, key)
                for (where, key), item in self._items.items()
                if where == scope and _matches(item, filters or {})
            ]
            for place in gone:
                del self._items[place]
            return len(gone)

    def replace(self, scope: Scope, key: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        scope = _where(scope)
        with self._lock:
            old = self._find(scope, key)
            item = self._accept(fields)
            item.update({name: old[name] for name in self.owned if name in old})
            item.update({n: old[n] for n in self.kept if n not in item and n in old})
            item[self.key] = old[self.key]
            self._fill(scope, item)
            self._items[(scope, _text(key))] = item
            return self._public(item)

    def update(self, scope: Scope, key: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        scope = _where(scope)
        with self._lock:
            item = self._find(scope, key)
            item.update(self._accept(changes))
            item[self.key] = self._find(scope, key)[self.key]
            return self._public(item)

    def delete(self, scope: Scope, key: Any) -> dict[str, Any]:
        scope = _where(scope)
        with self._lock:
            item = self._find(scope, key)
            del self._items[(scope, _text(key))]
            return self._public(item)

    def list(
        self,
        scope: Scope,
        *,
        filters: Mapping[str, Any] | None = None,
        offset: float | str | None = None,
        limit: float | str | None = None,
        page: float | str | None = None,
    ) -> list[dict[str, Any]]:
        scope = _where(scope)
        with self._lock:
            self._seed(scope)
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
        scope = _where(scope)
        with self._lock:
            self._seed(scope)
            return [key for where, key in self._items if where == scope]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._seeded.clear()

    def _seed(self, scope: Scope) -> None:
        if self.seed is not None and scope not in self._seeded:
            self._seeded.add(scope)
            item = copy.deepcopy(dict(self.seed))
            self._items[(scope, self._key(item))] = item

    def _key(self, item: Mapping[str, Any]) -> str:
        return _text(item[self.key]) if self.key else str(next(self._count))

    def _find(self, scope: Scope, key: Any) -> dict[str, Any]:
        self._seed(scope)
        try:
            return self._items[(scope, _text(key))]
        except KeyError:
            raise NotFound(key) from None

    def _accept(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: value
            for name, value in fields.items()
            if name not in self.owned and not (value is None and name in self.not_null)
        }

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


def _where(scope: Scope) -> Scope:
    """A scope as text, whatever type its path parameters arrived as (a UUID, 5.0)."""
    return tuple(_text(part) for part in scope)


def _whole(value: float | str | None) -> int | None:
    """A paging parameter as a whole number: `number` parameters arrive as floats; one that is
    not finite (inf, nan) or not a number (`per_page=all`) pages nothing away."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


class Singleton:
    """One value per scope: what a read answers, a write changes, a reset puts back."""

    def __init__(
        self, default: Any, *, accepted: Iterable[str] = (), not_null: Iterable[str] = ()
    ) -> None:
        self.default = default
        self.accepted = frozenset(accepted)
        self.not_null = frozenset(not_null)
        self._values: dict[Scope, Any] = {}
        self._lock = threading.Lock()

    def read(self, scope: Scope) -> Any:
        scope = _where(scope)
        with self._lock:
            return copy.deepcopy(self._values.get(scope, self.default))

    def write(self, scope: Scope, fields: Mapping[str, Any]) -> Any:
        """Keep the fields this value holds with the type a read answers; ignore the rest."""
        scope = _where(scope)
        with self._lock:
            value = copy.deepcopy(self._values.get(scope, self.default))
            if isinstance(value, dict):
                value.update(
                    {
                        k: v
                        for k, v in fields.items()
                        if k in self.accepted and not (v is None and k in self.not_null)
                    }
                )
            self._values[scope] = value
            return copy.deepcopy(value)

    def change(self, scope: Scope, name: str, value: Any) -> Any:
        """Set one field: what an action on the value does."""
        scope = _where(scope)
        with self._lock:
            current = copy.deepcopy(self._values.get(scope, self.default))
            if isinstance(current, dict):
                current[name] = value
            self._values[scope] = current
            return copy.deepcopy(current)

    def reset(self, scope: Scope) -> Any:
        scope = _where(scope)
        with self._lock:
            self._values.pop(scope, None)
            return copy.deepcopy(self.default)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


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
