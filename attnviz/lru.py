"""A thread-safe least-recently-used store bounded by bytes, for analyses shared by every session."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class ByteBudgetLRU(Generic[V]):
    """Keeps values while their total ``size(value)`` fits ``budget_bytes``; the oldest used go first.

    Values are returned as stored, not copied, so callers must treat them as read-only.
    """

    def __init__(self, budget_bytes: int, size: Callable[[V], int]) -> None:
        self.budget_bytes = budget_bytes
        self._size = size
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        return self._total

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: V) -> V:
        n = self._size(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= old[1]
            if n <= self.budget_bytes:
                self._items[key] = (value, n)
                self._total += n
            while self._total > self.budget_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._total -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._total = 0
