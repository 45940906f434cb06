import pytest

from attnviz.device import choose_device, torch_threads


@pytest.mark.parametrize(
    ("override", "cuda", "mps", "expected"),
    [
        (None, True, True, "cuda"),
        (None, False, True, "mps"),
        (None, False, False, "cpu"),
        ("cpu", True, True, "cpu"),
        ("CUDA", True, False, "cuda"),
        ("cuda:1", True, False, "cuda:1"),
        ("cuda", False, False, "cpu"),
        ("mps", True, True, "mps"),
        ("mps", False, False, "cpu"),
        ("tpu", False, True, "mps"),
        ("", True, False, "cuda"),
    ],
    ids=["auto-cuda", "auto-mps", "auto-cpu", "force-cpu", "case", "cuda-index", "cuda-absent",
         "mps", "mps-absent", "unknown", "empty"],
)
def test_choose_device_order_and_override(override, cuda, mps, expected):
    assert choose_device(override, cuda, mps) == expected


@pytest.mark.parametrize(
    ("cores", "override", "expected"),
    [(2, None, 1), (1, None, 1), (None, None, 1), (8, None, 4), (64, None, 8), (2, "3", 3), (2, "x", 1), (2, "0", 1)],
    ids=["2-cores", "1-core", "unknown", "8-cores", "64-cores", "override", "bad-override", "zero-override"],
)
def test_torch_threads(cores, override, expected):
    assert torch_threads(cores, override) == expected


def test_detect_device_uses_env_override(monkeypatch):
    from attnviz.device import detect_device

    monkeypatch.setenv("ATTNVIZ_DEVICE", "cpu")
    assert detect_device() == "cpu"
