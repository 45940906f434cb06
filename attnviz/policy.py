"""Which models a shared app instance may load: an allow-list for folders, a hub-id shape, a size budget.

One instance serves a classroom, so a typed model name is untrusted input. Every refusal of a name carries the
same message, so the answer never tells whether a path exists.
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path
from typing import Any

from attnviz import settings
from attnviz.errors import ModelLoadError

MODEL_ROOT_ENV = settings.MODEL_ROOT
MAX_NAME_CHARS = 200
REFUSED = (
    "That model name is not allowed here. Use the built-in model, a Hugging Face id such as 'org/model-name', "
    f"or a folder inside the model folder that the app's host allowed (environment variable {MODEL_ROOT_ENV})."
)
# org/name as the hub spells ids: letters, digits, '-', '_', '.', no '..', at most one '/'.
_HUB_ID = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


def allowed_roots(extra: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """Folders models may be loaded from: ``extra`` (the built-in model), the hub cache, ``ATTNVIZ_MODEL_ROOT``."""
    roots = list(extra)
    try:
        from huggingface_hub import constants

        roots.append(Path(constants.HF_HUB_CACHE))
    except ImportError:  # without huggingface_hub there is no hub cache to allow
        pass
    roots.extend(Path(entry) for entry in settings.current().model_roots)
    return tuple(os.path.realpath(r) for r in roots)  # type: ignore[misc]


def is_hub_id(name: str) -> bool:
    """Pure: does ``name`` have the shape of a hub id (and so no path tricks)?"""
    return bool(_HUB_ID.fullmatch(name))


def check_name(name: str, roots: tuple[str, ...]) -> tuple[str, bool]:
    """(source for from_pretrained, is_local) for a user's model name, or ModelLoadError(REFUSED).

    A folder counts only when its real path (symlinks resolved) lies inside an allowed root. A name that exists
    on disk (relative to the working directory or absolute) is a path, even when it is shaped like a hub id,
    because ``from_pretrained`` would load it from disk; only a name that exists nowhere here may be a hub id.
    That tells a visitor whether an ``org/name`` exists under the server's working directory (the app's own
    checkout, whose layout is public); any other path gets the same refusal whether it exists or not.
    """
    if not name or len(name) > MAX_NAME_CHARS or any(c in name for c in "\x00\r\n\t") or name.startswith("\\\\"):
        raise ModelLoadError(REFUSED)
    expanded = os.path.expanduser(name)
    real = os.path.realpath(expanded)
    inside = any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)
    if inside and os.path.isdir(real):
        return real, True
    if is_hub_id(name) and not name.startswith(".") and not os.path.lexists(expanded):
        return name, False
    raise ModelLoadError(REFUSED)


def weights_bytes(folder: Path) -> int:
    """Bytes of tensor data in a folder's safetensors files, read from their headers (no weights loaded)."""
    total = 0
    for file in sorted(Path(folder).glob("*.safetensors")):
        total += _safetensors_data_bytes(file)
    return total


def _safetensors_data_bytes(file: Path) -> int:
    with open(file, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ModelLoadError(f"'{file.name}' is not a valid safetensors file.")
        (n,) = struct.unpack("<Q", head)
        if n > 100_000_000:
            raise ModelLoadError(f"'{file.name}' is not a valid safetensors file.")
        try:
            header = json.loads(f.read(n))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelLoadError(f"'{file.name}' is not a valid safetensors file.") from exc
    ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)]
    return int(max(ends, default=0))


def estimated_bytes(config: dict) -> int:
    """Rough float32 size of a transformer from its config: embeddings plus 12·h² per layer."""
    hidden = int(config.get("hidden_size") or config.get("n_embd") or config.get("d_model") or 0)
    layers = int(config.get("num_hidden_layers") or config.get("n_layer") or config.get("num_layers") or 0)
    vocab = int(config.get("vocab_size") or 0)
    return 4 * (vocab * hidden + 12 * layers * hidden * hidden)


def repo_weights_bytes(metadata: Any) -> int:
    """Bytes of tensor data in a hub repository, from ``huggingface_hub.get_safetensors_metadata``'s answer."""
    return int(sum(
        max((t.data_offsets[1] for t in file.tensors.values()), default=0)
        for file in metadata.files_metadata.values()
    ))


def check_size(n_bytes: int, name: str, budget: int | None = None) -> None:
    """Refuse a model over the memory budget before any weight is read."""
    budget = settings.current().max_model_bytes if budget is None else budget
    if n_bytes > budget:
        raise ModelLoadError(
            f"'{name}' is too large for this app: about {n_bytes / 1e9:.1f} GB of weights, the limit here is "
            f"{budget / 1e9:.1f} GB. Choose a smaller model."
        )
