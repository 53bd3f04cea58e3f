"""Admission: how many runs go at once, per namespace and cluster-wide.

A slot belongs to one CodeGeneration (not to one run): a newer input for the same resource
takes over its slot, so a spec change while a Job runs never needs a second one. Slots live in
the operator's memory; after a restart the resume handlers hold them again for every resource
whose status says Running, before anything new is admitted.
"""

from __future__ import annotations

import threading

__all__ = ["Key", "Slots"]

Key = tuple[str, str]
"""(namespace, name) of a CodeGeneration."""


class Slots:
    def __init__(self, *, per_namespace: int, cluster: int) -> None:
        if per_namespace < 1 or cluster < 1:
            raise ValueError("concurrency limits must be at least 1")
        self.per_namespace, self.cluster = per_namespace, cluster
        self._held: dict[Key, str] = {}
        self._waiting: set[Key] = set()
        self._lock = threading.Lock()

    def acquire(self, key: Key, digest: str) -> bool:
        """Take (or keep) the slot of `key` for the run `digest`; False when the limits say
        wait (the key is then counted as waiting until it gets a slot or is released)."""
        with self._lock:
            if key not in self._held:
                in_namespace = sum(1 for held in self._held if held[0] == key[0])
                if len(self._held) >= self.cluster or in_namespace >= self.per_namespace:
                    self._waiting.add(key)
                    return False
            self._held[key] = digest
            self._waiting.discard(key)
            return True

    def hold(self, key: Key, digest: str) -> None:
        """Take the slot whatever the limits: a run that is already going (after a restart)."""
        with self._lock:
            self._held[key] = digest
            self._waiting.discard(key)

    def release(self, key: Key, digest: str | None = None) -> bool:
        """Free the slot of `key` (only if it is held for `digest`, when given); True if freed."""
        with self._lock:
            self._waiting.discard(key)
            if key in self._held and (digest is None or self._held[key] == digest):
                del self._held[key]
                return True
            return False

    def waiting_keys(self) -> list[Key]:
        with self._lock:
            return sorted(self._waiting)

    def held_keys(self) -> list[Key]:
        with self._lock:
            return sorted(self._held)

    def holder(self, key: Key) -> str | None:
        with self._lock:
            return self._held.get(key)

    @property
    def active(self) -> int:
        with self._lock:
            return len(self._held)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)
