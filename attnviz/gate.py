"""One inference at a time per model, with a bounded queue and a wait timeout.

A waiting request leaves the queue when its tab has closed (``cancel_when``) or after the timeout, and
the bound answers "busy" at once instead of piling work onto a 2-core machine.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from attnviz.errors import BusyError, CancelledError

_local = threading.local()
_POLL_S = 0.05
A = TypeVar("A")
B = TypeVar("B")


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
        self._holders: set[int] = set()  # threads inside hold(): the holder and the helpers ``both`` started
        self.timeout_s = timeout_s

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def hold(self) -> Iterator[None]:
        """The model to this thread alone; re-entrant, and shared with the threads ``both`` starts."""
        if threading.get_ident() in self._holders:
            yield
            return
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
        self._holders = {threading.get_ident()}
        try:
            yield
        finally:
            self._holders = set()
            self._lock.release()

    def both(self, first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
        """``first()`` in a helper thread and ``second()`` in this one, at the same time, under one hold.

        On CPU torch runs one inference thread per request (see ``device.torch_threads``), so one request that
        has two independent halves can use a second core this way. Both halves must only run forwards whose
        hooks check the thread (``first_token``'s do) or register none: they share the model.
        """
        with self.hold():
            box: dict[str, object] = {}

            def helper() -> None:
                ident = threading.get_ident()
                self._holders.add(ident)
                try:
                    box["value"] = first()
                except BaseException as error:  # re-raised in the caller's thread below
                    box["error"] = error
                finally:
                    self._holders.discard(ident)

            thread = threading.Thread(target=helper, name="attnviz-gate-helper", daemon=True)
            thread.start()
            try:
                other = second()
            finally:
                thread.join()
            if "error" in box:
                raise box["error"]  # type: ignore[misc]
            return box["value"], other  # type: ignore[return-value]

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
