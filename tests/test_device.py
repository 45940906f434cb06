import pytest

from attnviz.device import choose_device, torch_threads, weight_dtype


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
        ("", True, False, "cuda"),
    ],
    ids=["auto-cuda", "auto-mps", "auto-cpu", "force-cpu", "case", "cuda-index", "cuda-absent",
         "mps", "mps-absent", "empty"],
)
def test_choose_device_order_and_override(override, cuda, mps, expected):
    assert choose_device(override, cuda, mps) == expected


@pytest.mark.parametrize(
    ("cores", "override", "expected"),
    [(2, None, 1), (1, None, 1), (None, None, 1), (8, None, 4), (64, None, 8), (2, 3, 3)],
    ids=["2-cores", "1-core", "unknown", "8-cores", "64-cores", "override"],
)
def test_torch_threads(cores, override, expected):
    assert torch_threads(cores, override) == expected


def test_detect_device_uses_env_override(monkeypatch):
    from attnviz.device import detect_device

    monkeypatch.setenv("ATTNVIZ_DEVICE", "cpu")
    assert detect_device() == "cpu"


@pytest.mark.parametrize(
    "device, override, expected",
    [("cuda", "float16", "float16"), ("cuda:1", "bfloat16", "bfloat16"), ("cuda", None, "float32"),
     ("cpu", "float16", "float32"), ("mps", "bfloat16", "float32"), ("cuda", "int8", "float32")],
)
def test_half_precision_only_on_cuda_and_only_when_asked(device, override, expected):
    assert weight_dtype(device, override) == expected
