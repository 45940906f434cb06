"""CSV and JSON exports of attention with token labels, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from typing import Sequence

import numpy as np

from attnviz.types import Token

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula (= + - @ tab CR) with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _labels(tokens: Sequence[Token]) -> list[str]:
    return [safe_cell(t.text) for t in tokens]


def head_csv(matrix: np.ndarray, tokens: Sequence[Token]) -> str:
    """One head as a square table: first column the query token, one column per key token."""
    # "13:=" starts with a digit, so no spreadsheet reads it as a formula: the token text stays as typed.
    labels = [f"{i}:{t.text}" for i, t in enumerate(tokens)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["query \\ key"] + labels)
    for i, row in enumerate(np.asarray(matrix, dtype=np.float32)):
        writer.writerow([labels[i]] + [f"{w:.6f}" for w in row])
    return out.getvalue()


def long_csv(attentions: np.ndarray, tokens: Sequence[Token], first_layer: int = 0) -> str:
    """float[L, H, T, T] as rows (layer, head, query_index, query_token, key_index, key_token, weight)."""
    labels = _labels(tokens)
    att = np.asarray(attentions, dtype=np.float32)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["layer", "head", "query_index", "query_token", "key_index", "key_token", "weight"])
    n = att.shape[-1]
    for layer in range(att.shape[0]):
        for head in range(att.shape[1]):
            for q in range(n):
                row = att[layer, head, q]
                writer.writerows(
                    (first_layer + layer, head, q, labels[q], k, labels[k], f"{row[k]:.6f}") for k in range(n)
                )
    return out.getvalue()


def to_json(attentions: np.ndarray, tokens: Sequence[Token], model_name: str, layers: Sequence[int]) -> str:
    """JSON with tokens and weights nested as [layer][head][query][key], rounded to 6 decimals."""
    att = np.round(np.asarray(attentions, dtype=np.float64), 6)
    return json.dumps(
        {
            "model": safe_cell(model_name),
            "orientation": "attentions[layer][head][query][key]; each query row sums to 1",
            "layers": [int(x) for x in layers],
            "tokens": [
                {"index": i, "text": safe_cell(t.text), "start": t.start, "end": t.end, "special": t.special}
                for i, t in enumerate(tokens)
            ],
            "attentions": att.tolist(),
        },
        ensure_ascii=False,
    )
