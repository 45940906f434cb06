"""A thread-safe least-recently-used store bounded by bytes, for analyses shared by every session.

cachetools' ``LRUCache`` (with ``getsizeof``) keeps the books and evicts; this adds the lock that every session's
thread needs, and keeps a value larger than the whole budget out instead of raising.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, Hashable, TypeVar

from cachetools import LRUCache

V = TypeVar("V")


class ByteBudgetLRU(Generic[V]):
    """Keeps values while their total ``size(value)`` fits ``budget_bytes``; the oldest used go first.

    Values are returned as stored, not copied, so callers must treat them as read-only.
    """

    def __init__(self, budget_bytes: int, size: Callable[[V], int]) -> None:
        self.budget_bytes = budget_bytes
        self._size = size
        self._items: LRUCache[Hashable, V] = LRUCache(maxsize=budget_bytes, getsizeof=size)
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        return int(self._items.currsize)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: Hashable, value: V) -> V:
        fits = self._size(value) <= self.budget_bytes
        with self._lock:
            if fits:
                self._items[key] = value
            else:
                self._items.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
