"""One inference at a time per model, with a bounded queue and a wait timeout.

A waiting request leaves the queue when its tab has closed (``cancel_when``) or after the timeout, and
the bound answers "busy" at once instead of piling work onto a 2-core machine.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from attnviz.errors import BusyError, CancelledError

_local = threading.local()
_POLL_S = 0.05


@contextmanager
def cancel_when(check: Callable[[], bool]) -> Iterator[None]:
    """While inside, a request of this thread waiting at a gate gives up as soon as ``check()`` is true.

    The app passes "this browser tab has gone", so a closed tab leaves the queue at once instead of making
    the next user wait for work nobody will see.
    """
    previous = getattr(_local, "check", None)
    _local.check = check
    try:
        yield
    finally:
        _local.check = previous


def _cancelled() -> bool:
    check = getattr(_local, "check", None)
    try:
        return bool(check and check())
    except Exception:  # a failing check must not take the request down with it
        return False


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
                raise BusyError(_BUSY)
            self._waiting += 1
        try:
            acquired = self._acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        if acquired is None:
            raise CancelledError("The request was cancelled: its page was closed.")
        if not acquired:
            raise BusyError(_BUSY)
        try:
            yield
        finally:
            self._lock.release()

    def _acquire(self) -> bool | None:
        """True when acquired, False on timeout, None when the waiting request was cancelled."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            if _cancelled():
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._lock.acquire(timeout=min(_POLL_S, left)):
                return True


_BUSY = "The model is busy with other requests. Please retry in a few seconds."
