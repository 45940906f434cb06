"""Injected faults: out-of-memory answers with a message, releases the model's lock, and the next request works."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
import torch

import attnviz
from attnviz import extraction
from attnviz.errors import BusyError, ResourceError
from attnviz.gate import InferenceGate


def _until_waiting(gate: InferenceGate, deadline_s: float = 10.0) -> None:
    """Block until a request waits at ``gate``; fail (never hang) if none does within ``deadline_s``."""
    end = time.monotonic() + deadline_s
    while gate.waiting == 0:
        assert time.monotonic() < end, "no request started waiting at the gate"
        time.sleep(0.001)  # the waiting count has no event to wait on; poll it, briefly and boundedly


def _oom_once(monkeypatch):
    real = extraction._forward
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(extraction, "_forward", flaky)
    return calls


def test_oom_on_cpu_is_a_message_and_releases_the_lock(monkeypatch, tiny_classifier):
    model = dataclasses.replace(tiny_classifier, gate=InferenceGate(timeout_s=1))
    _oom_once(monkeypatch)
    with pytest.raises(ResourceError, match="ran out of memory"):
        attnviz.analyze("the cat sat", model)
    assert not model.gate._lock.locked()
    assert attnviz.analyze("the cat sat", model).attentions.shape[0] == model.n_layers


def test_gpu_oom_retries_on_cpu_and_says_so(monkeypatch, tiny_classifier):
    model = dataclasses.replace(tiny_classifier, gate=InferenceGate(timeout_s=1), device="cuda")
    calls = _oom_once(monkeypatch)
    analysis = attnviz.analyze("the cat sat", model)
    assert len(calls) == 2 and model.device == "cpu"
    assert any("ran out of memory" in n for n in analysis.notices)


def test_gate_times_out_waiters_and_bounds_the_queue():
    gate = InferenceGate(max_waiting=1, timeout_s=0.2)
    entered = threading.Event()
    release = threading.Event()

    def hold():
        with gate.hold():
            entered.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    errors = []
    waiter = threading.Thread(target=lambda: _try(gate, errors))
    waiter.start()
    _until_waiting(gate)
    with pytest.raises(BusyError):  # the queue (1) is full: answered at once
        with gate.hold():
            pass
    waiter.join(5)
    assert errors and isinstance(errors[0], BusyError)  # the waiter timed out and left
    release.set()
    holder.join(5)
    with gate.hold():  # and the gate works again
        pass


def _try(gate, errors):
    try:
        with gate.hold():
            pass
    except BusyError as exc:
        errors.append(exc)


def test_a_waiting_request_whose_tab_closed_leaves_the_queue_at_once():
    from attnviz.errors import CancelledError
    from attnviz.gate import cancel_when

    gate = InferenceGate(timeout_s=30)
    closed = threading.Event()
    outcome = []

    def waiter():
        with cancel_when(closed.is_set):
            try:
                with gate.hold():
                    outcome.append("ran")
            except CancelledError:
                outcome.append("cancelled")

    with gate.hold():
        t = threading.Thread(target=waiter)
        t.start()
        _until_waiting(gate)
        closed.set()
        t.join(2)  # long before the 30 s timeout
        assert not t.is_alive()
    assert outcome == ["cancelled"] and gate.waiting == 0


def test_at_most_two_models_stay_resident(tmp_path, tiny_classifier_dir):
    """A third model evicts the least recently used one: memory holds two models at most."""
    import shutil

    from attnviz.ui.cache import clear_caches, get_model

    names = []
    for i in range(3):
        shutil.copytree(tiny_classifier_dir, tmp_path / f"m{i}")
        names.append(str(tmp_path / f"m{i}"))
    clear_caches()
    first = get_model(names[0])
    assert get_model(names[0]) is first  # cached
    get_model(names[1])
    get_model(names[2])
    assert get_model(names[0]) is not first  # it was evicted and loads anew
    clear_caches()


def test_gate_is_reentrant_and_both_halves_share_one_hold():
    gate = InferenceGate(timeout_s=5)
    inside = threading.Barrier(2, timeout=10)

    def half(name):
        with gate.hold():  # the helper's hold must not wait for the caller's
            inside.wait()  # both halves are inside at once: they run at the same time
            return name

    with gate.hold(), gate.hold():
        assert gate.both(lambda: half("helper"), lambda: half("caller")) == ("helper", "caller")
    assert not gate._lock.locked()


def test_an_error_in_the_helper_half_reaches_the_caller():
    gate = InferenceGate(timeout_s=5)

    def fail():
        raise ValueError("helper failed")

    with pytest.raises(ValueError, match="helper failed"):
        gate.both(fail, lambda: 1)
    assert not gate._lock.locked() and not gate._holders
