"""Exports of attention with token labels: CSV and JSON safe to open in a spreadsheet, and the whole tensor as .npz.

Every path is vectorised (no Python loop over weights). Text exports are capped at ``MAX_TEXT_CELLS`` weights,
past which ``check_text_export`` raises ``ExportTooLarge`` naming the binary export instead.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from typing import Sequence

import numpy as np
import pandas as pd

from attnviz.errors import InputError
from attnviz.types import Token

ORIENTATION = "attentions[layer][head][query][key]; each query row sums to 1"
# About one second of CSV writing on 2 cores: one head at 512 tokens, a whole 12-head layer up to 147 tokens.
MAX_TEXT_CELLS = 512 * 512


class ExportTooLarge(InputError):
    """A CSV or JSON export over the cap; the message says what to download instead."""


def check_text_export(shape: Sequence[int], what: str = "This export") -> None:
    """Raise ExportTooLarge when ``shape`` holds more than MAX_TEXT_CELLS weights."""
    cells = int(np.prod(shape))
    if cells > MAX_TEXT_CELLS:
        raise ExportTooLarge(
            f"{what} would hold {cells:,} weights, more than the {MAX_TEXT_CELLS:,} a CSV or JSON file is built for "
            "here. Download the whole tensor as a binary .npz file (NumPy: np.load), or one head as CSV."
        )

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula (= + - @ tab CR) with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _labels(tokens: Sequence[Token]) -> list[str]:
    return [safe_cell(t.text) for t in tokens]


def head_csv(matrix: np.ndarray, tokens: Sequence[Token]) -> str:
    """One head as a square table: first column the query token, one column per key token."""
    att = np.asarray(matrix, dtype=np.float32)
    check_text_export(att.shape, "This head")
    # "13:=" starts with a digit, so no spreadsheet reads it as a formula: the token text stays as typed.
    names = [f"{i}:{t.text}" for i, t in enumerate(tokens)]
    table = pd.DataFrame(att, index=pd.Index(names, name="query \\ key"), columns=names)
    return table.to_csv(float_format="%.6f", lineterminator="\r\n")


def long_csv(attentions: np.ndarray, tokens: Sequence[Token], first_layer: int = 0) -> str:
    """float[L, H, T, T] as rows (layer, head, query_index, query_token, key_index, key_token, weight)."""
    att = np.asarray(attentions, dtype=np.float32)
    check_text_export(att.shape)
    labels = np.asarray(_labels(tokens), dtype=object)
    layer, head, query, key = np.indices(att.shape).reshape(4, -1)  # one entry per weight, C order
    table = pd.DataFrame({
        "layer": layer + first_layer, "head": head, "query_index": query, "query_token": labels[query],
        "key_index": key, "key_token": labels[key], "weight": att.reshape(-1),
    })
    return table.to_csv(index=False, float_format="%.6f", lineterminator="\r\n")


def tensor_npz(
    attentions: np.ndarray, tokens: Sequence[Token], model_name: str, layers: Sequence[int], dtype: str = "float32"
) -> bytes:
    """The tensor as an uncompressed .npz that ``np.load(..., allow_pickle=False)`` reads.

    Arrays: attentions dtype[L, H, T, T] (float32 exact, or float16 at half the size), layers int32[L],
    token_text str[T], token_start / token_end int32[T] (character offsets, -1 for special tokens),
    token_special bool[T], model and orientation (0-d str). Written one layer at a time, so the extra memory
    is the file itself plus one layer.
    """
    att = np.asarray(attentions)
    if dtype not in ("float32", "float16") or att.ndim != 4:
        raise ValueError(f"need float[L, H, T, T] and float32 or float16; got {att.shape} and {dtype!r}")
    arrays = {
        "layers": np.asarray(layers, dtype=np.int32),
        "token_text": np.array([t.text for t in tokens], dtype=str),
        "token_start": np.array([-1 if t.start is None else t.start for t in tokens], dtype=np.int32),
        "token_end": np.array([-1 if t.end is None else t.end for t in tokens], dtype=np.int32),
        "token_special": np.array([t.special for t in tokens], dtype=bool),
        "model": np.array(model_name),
        "orientation": np.array(ORIENTATION),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("attentions.npy", "w", force_zip64=True) as f:
            header = {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": att.shape}
            np.lib.format.write_array_header_1_0(f, header)
            for layer in att:
                # memoryview, not tobytes(): the zip writer takes the layer's buffer without a second copy.
                f.write(memoryview(_cast(layer, dtype)).cast("B"))
        for name, value in arrays.items():
            with archive.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, value, allow_pickle=False)
    return out.getvalue()


def _cast(layer: np.ndarray, dtype: str) -> np.ndarray:
    """A C-contiguous ``dtype`` copy of one layer; float32 → float16 through torch, whose cast is vectorised.

    NumPy's float16 conversion ran at about a third of torch's speed here (same bits, round to nearest even), and it
    is most of the cost of the half-precision export.
    """
    if dtype == "float16" and layer.dtype == np.float32:
        import torch

        with warnings.catch_warnings():  # a shared Analysis is read-only; torch only reads it here
            warnings.simplefilter("ignore", UserWarning)
            source = torch.from_numpy(np.ascontiguousarray(layer))
        return source.to(torch.float16).numpy()
    return np.ascontiguousarray(layer, dtype=dtype)


def to_json(attentions: np.ndarray, tokens: Sequence[Token], model_name: str, layers: Sequence[int]) -> str:
    """JSON with tokens and weights nested as [layer][head][query][key], rounded to 6 decimals."""
    check_text_export(np.shape(attentions))
    att = np.round(np.asarray(attentions, dtype=np.float64), 6)
    return json.dumps(
        {
            "model": safe_cell(model_name),
            "orientation": ORIENTATION,
            "layers": [int(x) for x in layers],
            "tokens": [
                {"index": i, "text": safe_cell(t.text), "start": t.start, "end": t.end, "special": t.special}
                for i, t in enumerate(tokens)
            ],
            "attentions": att.tolist(),
        },
        ensure_ascii=False,
    )
