"""Every setting the host gives through the environment, parsed in one place with one policy.

Policy: an unset or empty variable means the default; any other value must parse, or ``SettingsError`` names the
variable, the value and what would be accepted (a typo never silently becomes the default). ``HF_HUB_OFFLINE`` is
read the way huggingface_hub reads it (``1``, ``ON``, ``YES``, ``TRUE`` in any case, or ``TRANSFORMERS_OFFLINE``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from attnviz.errors import AttnvizError

MODEL_ROOT = "ATTNVIZ_MODEL_ROOT"
MAX_MODEL_BYTES = "ATTNVIZ_MAX_MODEL_BYTES"
CACHE_MB = "ATTNVIZ_CACHE_MB"
DEVICE = "ATTNVIZ_DEVICE"
TORCH_THREADS = "ATTNVIZ_TORCH_THREADS"
DTYPE = "ATTNVIZ_DTYPE"
CLASSROOM_DB = "ATTNVIZ_CLASSROOM_DB"
CLASSROOM_URL = "ATTNVIZ_CLASSROOM_URL"
_HUB_OFFLINE = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
NAMES = (MODEL_ROOT, MAX_MODEL_BYTES, CACHE_MB, DEVICE, TORCH_THREADS, DTYPE, CLASSROOM_DB, CLASSROOM_URL,
         *_HUB_OFFLINE)

DEFAULT_MAX_MODEL_BYTES = 1_500_000_000
DEFAULT_CACHE_MB = 256
DTYPES = ("float32", "float16", "bfloat16")
_DEVICE = re.compile(r"cpu|mps|cuda(:\d+)?")


class SettingsError(AttnvizError):
    """An environment variable has a value the app cannot use; the host must fix it."""


@dataclass(frozen=True)
class Settings:
    """The host's settings. ``None`` means "choose automatically"."""

    model_roots: tuple[str, ...] = ()  # folders (as given, ~ expanded) that models may be loaded from
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES
    cache_mb: int = DEFAULT_CACHE_MB
    device: str | None = None  # "cpu", "mps", "cuda" or "cuda:N"
    torch_threads: int | None = None
    dtype: str = "float32"  # float16/bfloat16 are used only on CUDA (see device.weight_dtype)
    hub_offline: bool = False
    classroom_db: str | None = None  # the Classroom's SQLite file (~ expanded); None: the user's data folder
    classroom_url: str = ""  # the app's address as students reach it, without a trailing slash


def parse(environ: Mapping[str, str]) -> Settings:
    """Pure: the settings in ``environ``, or SettingsError for the first value that does not parse."""

    def get(name: str) -> str | None:
        value = (environ.get(name) or "").strip()
        return value or None

    roots = tuple(os.path.expanduser(e.strip()) for e in (get(MODEL_ROOT) or "").split(os.pathsep) if e.strip())
    device = get(DEVICE)
    if device is not None and not _DEVICE.fullmatch(device.lower()):
        raise _bad(DEVICE, device, "cpu, mps, cuda or cuda:N")
    dtype = get(DTYPE)
    if dtype is not None and dtype.lower() not in DTYPES:
        raise _bad(DTYPE, dtype, ", ".join(DTYPES))
    from huggingface_hub import constants

    offline = next((v for v in (environ.get(n) for n in _HUB_OFFLINE) if v), None)
    return Settings(
        model_roots=roots,
        max_model_bytes=_whole(MAX_MODEL_BYTES, get(MAX_MODEL_BYTES), DEFAULT_MAX_MODEL_BYTES, minimum=1),
        cache_mb=_whole(CACHE_MB, get(CACHE_MB), DEFAULT_CACHE_MB, minimum=0),
        device=device.lower() if device else None,
        torch_threads=_whole(TORCH_THREADS, get(TORCH_THREADS), None, minimum=1),
        dtype=dtype.lower() if dtype else "float32",
        hub_offline=(offline or "").upper() in constants.ENV_VARS_TRUE_VALUES,
        classroom_db=os.path.expanduser(get(CLASSROOM_DB)) if get(CLASSROOM_DB) else None,
        classroom_url=(get(CLASSROOM_URL) or "").rstrip("/"),
    )


def current() -> Settings:
    """The settings of this process's environment; each distinct environment is parsed once.

    Keyed on the values rather than read at import, so a notebook or a test that sets a variable sees it.
    """
    return _parsed(tuple((name, os.environ.get(name)) for name in NAMES))


@lru_cache(maxsize=4)
def _parsed(items: tuple[tuple[str, str | None], ...]) -> Settings:
    return parse({name: value for name, value in items if value is not None})


def _whole(name: str, value: str | None, default: int | None, minimum: int) -> int | None:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise _bad(name, value, f"a whole number ≥ {minimum}")
    return number


def _bad(name: str, value: str, accepted: str) -> SettingsError:
    return SettingsError(
        f"The app's host set {name} to {value[:40]!r}, which is not usable: it must be {accepted} (or unset). "
        "Fix the variable and restart the app."
    )
