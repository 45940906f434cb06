"""One inference at a time per model, with a bounded queue and a wait timeout.

A closed browser tab leaves its request waiting; the timeout makes it leave the queue, and the
bound answers "busy" at once instead of piling work onto a 2-core machine.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from attnviz.errors import BusyError


class InferenceGate:
    def __init__(self, max_waiting: int = 16, timeout_s: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._waiting = 0
        self.max_waiting = max_waiting
        self.timeout_s = timeout_s

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._count_lock:
            if self._waiting >= self.max_waiting:
                raise BusyError("The model is busy with other requests. Please retry in a few seconds.")
            self._waiting += 1
        try:
            acquired = self._lock.acquire(timeout=self.timeout_s)
        finally:
            with self._count_lock:
                self._waiting -= 1
        if not acquired:
            raise BusyError("The model is busy with other requests. Please retry in a few seconds.")
        try:
            yield
        finally:
            self._lock.release()
