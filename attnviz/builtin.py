"""The built-in sentiment classifier: the packaged all-MiniLM-L6-v2 encoder plus what training changed.

Only the change ships with attnviz (``classifier.safetensors`` + ``classifier.json``): for each fine-tuned weight
matrix the difference to the packaged weights, quantised to int8 with one float32 scale per output row; biases,
LayerNorm and the new classification head in float32. Deltas are small, so int8 keeps them to ~0.4 % of their
largest value per row (the weights themselves are not quantised). Loading adds the deltas to the packaged encoder,
giving one plain ``BertForSequenceClassification`` with eager attention: the attention the app shows is the
attention of the model that classifies.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from attnviz.errors import ModelLoadError

CLASSIFIER_DIR = Path(__file__).parent / "builtin_classifier"
WEIGHTS_FILE = "classifier.safetensors"
META_FILE = "classifier.json"
BASE_WEIGHTS_FILE = "model.safetensors"
FORMAT = "attnviz-delta/1"
ARCHITECTURE = "BertForSequenceClassification"
# Key suffixes inside the safetensors file: int8 row-quantised difference to the base weight, its per-row scale.
DELTA_SUFFIX = "#delta_int8"
SCALE_SUFFIX = "#delta_scale"
_RETRAIN = "Reinstall attnviz and its pinned encoder (pip install -r requirements.txt), or retrain with python -m attnviz.train."


def is_delta_dir(path: str | Path) -> bool:
    """True when ``path`` is a folder written by ``attnviz.train`` (trained parameters + description)."""
    folder = Path(path)
    return (folder / META_FILE).is_file() and (folder / WEIGHTS_FILE).is_file()


def file_digest(path: Path) -> dict[str, Any]:
    """Size in bytes and SHA-256 of a file: identifies the exact encoder weights a delta was trained on."""
    with path.open("rb") as f:
        sha = hashlib.file_digest(f, "sha256").hexdigest()
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha}


def build_classifier(base_dir: Path, labels: Sequence[str]) -> tuple[Any, list[str]]:
    """(model, names of parameters the encoder lacks): a classifier on the encoder in ``base_dir``.

    The parameters the encoder lacks (the classification head) are freshly initialised from torch's RNG.
    """
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig.from_pretrained(
        str(base_dir),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
        local_files_only=True,
    )
    config.architectures = [ARCHITECTURE]
    model, info = BertForSequenceClassification.from_pretrained(
        str(base_dir),
        config=config,
        attn_implementation="eager",
        use_safetensors=True,
        trust_remote_code=False,
        local_files_only=True,
        output_loading_info=True,
    )
    return model, sorted(info.get("missing_keys", ()))


def quantise_delta(delta: Any) -> tuple[Any, Any]:
    """(int8[rows, cols], float32[rows]) with ``q * scale[:, None]`` ≈ ``delta`` (per-row absmax, round to nearest)."""
    import torch

    d = delta.detach().to("cpu", torch.float32)
    scale = d.abs().amax(dim=1) / 127.0  # [rows]
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round(d / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.contiguous(), scale.contiguous()


def dequantise_delta(q: Any, scale: Any) -> Any:
    """float32[rows, cols] from ``quantise_delta``'s output."""
    import torch

    return q.to(torch.float32) * scale.to(torch.float32)[:, None]


def encode_tensors(trained: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Tensors to store: int8 deltas for matrices the base has, float32 values for everything else."""
    import torch

    out: dict[str, Any] = {}
    for name in sorted(trained):
        value = trained[name].detach().to("cpu", torch.float32)
        if value.ndim == 2 and name in base and tuple(base[name].shape) == tuple(value.shape):
            q, scale = quantise_delta(value - base[name].detach().to("cpu", torch.float32))
            out[name + DELTA_SUFFIX], out[name + SCALE_SUFFIX] = q, scale
        else:
            out[name] = value.contiguous()
    return out


def decode_tensors(stored: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of ``encode_tensors``: parameter name -> float32 value (base + dequantised delta, or the value)."""
    import torch

    out: dict[str, Any] = {}
    for key, value in stored.items():
        if key.endswith(SCALE_SUFFIX):
            continue
        if key.endswith(DELTA_SUFFIX):
            name = key[: -len(DELTA_SUFFIX)]
            if name not in base or name + SCALE_SUFFIX not in stored:
                raise ModelLoadError(f"The trained classifier has a delta for '{name}' that does not fit. {_RETRAIN}")
            delta = dequantise_delta(value, stored[name + SCALE_SUFFIX])
            if tuple(delta.shape) != tuple(base[name].shape):
                raise ModelLoadError(f"The delta for '{name}' has the wrong shape. {_RETRAIN}")
            out[name] = base[name].detach().to(torch.float32) + delta
        else:
            out[key] = value.to(torch.float32)
    return out


def read_meta(delta_dir: Path) -> dict[str, Any]:
    """The JSON description of a trained delta, validated enough that loading can trust it."""
    if not is_delta_dir(delta_dir):
        raise ModelLoadError(f"No trained classifier in '{delta_dir}' (it needs {WEIGHTS_FILE} and {META_FILE}). {_RETRAIN}")
    try:
        meta = json.loads((delta_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"Cannot read {delta_dir / META_FILE}: {exc}. {_RETRAIN}") from exc
    if meta.get("format") != FORMAT or meta.get("architecture") != ARCHITECTURE or len(meta.get("labels", ())) < 2:
        raise ModelLoadError(f"{delta_dir / META_FILE} is not a {FORMAT} description with two or more labels. {_RETRAIN}")
    return meta


def check_base(base_dir: Path, expected: Mapping[str, Any]) -> None:
    """Refuse to assemble the classifier on encoder weights other than the ones it was trained on."""
    path = base_dir / BASE_WEIGHTS_FILE
    if not path.is_file():
        raise ModelLoadError(f"The encoder weights {path} are missing. {_RETRAIN}")
    # The size check is free and catches most mismatches before hashing 90 MB (about 0.1 s).
    if path.stat().st_size != expected.get("bytes") or file_digest(path)["sha256"] != expected.get("sha256"):
        raise ModelLoadError(
            f"The installed encoder weights ({path}) differ from those the classifier was trained on. {_RETRAIN}"
        )


def load_classifier(base_dir: Path, delta_dir: Path = CLASSIFIER_DIR) -> tuple[Any, Any, dict[str, Any]]:
    """(model, tokenizer, meta): the encoder in ``base_dir`` with the trained change in ``delta_dir`` applied.

    The model is float32, in eval mode, on the CPU, with eager attention.
    """
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    meta = read_meta(delta_dir)
    check_base(base_dir, meta.get("base", {}))
    model, missing = build_classifier(base_dir, meta["labels"])
    try:
        stored = load_file(str(delta_dir / WEIGHTS_FILE))
    except Exception as exc:  # safetensors raises its own error type for corrupt files
        raise ModelLoadError(f"Cannot read {delta_dir / WEIGHTS_FILE}: {exc}. {_RETRAIN}") from exc
    params = dict(model.named_parameters())
    values = decode_tensors(stored, params)
    uncovered = sorted(set(missing) - set(values))
    unknown = sorted(set(values) - set(params))
    wrong = sorted(k for k in values if k in params and tuple(values[k].shape) != tuple(params[k].shape))
    if uncovered or unknown or wrong:
        raise ModelLoadError(
            f"The trained classifier does not fit the encoder (missing: {uncovered[:3]}, unknown: {unknown[:3]}, "
            f"wrong shape: {wrong[:3]}). {_RETRAIN}"
        )
    with torch.no_grad():
        for key, value in values.items():
            params[key].copy_(value)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True, trust_remote_code=False)
    return model, tokenizer, meta


def save_delta(
    model: Any, names: Sequence[str], base: Mapping[str, Any], out_dir: Path, meta: Mapping[str, Any]
) -> Path:
    """Write the parameters ``names`` of ``model`` as a delta over ``base`` plus ``meta`` to ``out_dir``."""
    from safetensors.torch import save_file

    params = dict(model.named_parameters())
    tensors = encode_tensors({n: params[n] for n in names}, base)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / WEIGHTS_FILE), metadata={"format": FORMAT})
    # safetensors writes owner-only files; the weights ship in the package and must be world-readable.
    (out_dir / WEIGHTS_FILE).chmod(0o644)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    full = {"format": FORMAT, "architecture": ARCHITECTURE, "labels": labels, **meta}
    full["trained_parameters"] = len(names)
    full["trained_parameter_count"] = int(sum(params[n].numel() for n in names))
    full["bytes"] = (out_dir / WEIGHTS_FILE).stat().st_size
    write_meta(out_dir, full)
    return out_dir


def write_meta(out_dir: Path, meta: Mapping[str, Any]) -> None:
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
