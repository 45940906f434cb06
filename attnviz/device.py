"""Which torch device to run on: CUDA, then MPS, then CPU; ``ATTNVIZ_DEVICE`` overrides."""

from __future__ import annotations

import os

from attnviz import settings


def choose_device(override: str | None, cuda_available: bool, mps_available: bool) -> str:
    """Pure device choice. An override naming an absent device falls back to the automatic order."""
    wanted = (override or "").strip().lower()
    if wanted == "cpu":
        return "cpu"
    if wanted.startswith("cuda") and cuda_available:
        return wanted
    if wanted == "mps" and mps_available:
        return "mps"
    if cuda_available:
        return "cuda"
    if mps_available:
        return "mps"
    return "cpu"


def detect_device() -> str:
    """Device for this process, read from torch and the environment."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    return choose_device(
        settings.current().device,
        cuda_available=torch.cuda.is_available(),
        mps_available=bool(mps and mps.is_available()),
    )


def torch_threads(cpu_count: int | None, override: int | None) -> int:
    """Intra-op threads for CPU inference.

    A classroom server runs several requests at once; on 2 cores, 2 torch threads under load ran
    2x slower than 1, so small machines get 1 thread and larger ones half their cores (at most 8).
    """
    if override:
        return override
    cores = cpu_count or 1
    return 1 if cores <= 2 else min(8, cores // 2)


def configure_threads() -> int:
    import torch

    n = torch_threads(os.cpu_count(), settings.current().torch_threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


HALF_DTYPES = ("float16", "bfloat16")


def weight_dtype(device: str, override: str | None) -> str:
    """Pure: "float32", or a half type asked for with ``ATTNVIZ_DTYPE`` when running on CUDA.

    Half precision only on CUDA (CPU kernels for it are slow, MPS bfloat16 support varies); attentions are
    upcast to float32 before any sum or plot, so rows still sum to 1.
    """
    wanted = (override or "").strip().lower()
    if device.startswith("cuda") and wanted in HALF_DTYPES:
        return wanted
    return "float32"
