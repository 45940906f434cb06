"""The per-batch callable both engines run: a table of rows in, a table of results out (no T×T tensors).

Ray Data builds one per actor (the model loads once per actor); the local engine builds one per run.
Rows are sorted by token count and run in sub-batches of ``batch_size`` through ``attnviz.analyze_many``
(one padded forward pass each), so a row's prediction and statistics are those ``attnviz.analyze`` gives.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa

from attnviz.analysis import analyze_many
from attnviz.corpus.stats import STATISTICS, batch_statistics, key_masks, pad_attentions
from attnviz.errors import AttnvizError
from attnviz.loading import LoadedModel, load_model
from attnviz.tokens import MAX_CHARS, clean_text
from attnviz.types import Analysis

log = logging.getLogger("attnviz.corpus")
_NO_ATTENTIONS = np.zeros((0, 0, 0, 0), dtype=np.float32)


def output_schema(n_cells: int) -> pa.Schema:
    """Columns of a result shard; every statistic is float32[layers × heads], row-major (layer, then head)."""
    stat = pa.list_(pa.float32(), n_cells)
    index = pa.list_(pa.int16(), n_cells)
    return pa.schema(
        [
            ("row_id", pa.int64()), ("text", pa.string()), ("label", pa.string()), ("error", pa.string()),
            ("n_tokens", pa.int32()), ("total_tokens", pa.int32()), ("truncated", pa.bool_()),
            ("predicted", pa.string()), ("confidence", pa.float32()), ("probs", pa.list_(pa.float32())),
            ("tokens", pa.list_(pa.string())),
            *[(name, stat) for name in STATISTICS], ("max_query", index), ("max_key", index),
        ]
    )


class CorpusBatch:
    """Loads ``model`` once; ``__call__(table)`` maps an input shard (row_id, text bytes, label) to results."""

    def __init__(self, model: LoadedModel | str | None = None, batch_size: int = 32, trusted_folder: bool = False):
        self.loaded = model if isinstance(model, LoadedModel) else load_model(model, trusted_folder=trusted_folder)
        self.batch_size = max(1, int(batch_size))
        self.schema = output_schema(self.loaded.n_layers * self.loaded.n_heads)
        self.progress: Callable[[int], None] | None = None  # told how many rows of this call are done

    def __call__(self, table: pa.Table) -> pa.Table:
        texts, errors = decode(table.column("text").to_pylist())
        good = [i for i, e in enumerate(errors) if e is None]
        # Length buckets: sorted by token count, a sub-batch pads only to its own longest text.
        counts = self._token_counts([texts[i] for i in good])
        order = [good[j] for j in np.argsort(counts, kind="stable")]
        analyses: dict[int, Analysis] = {}
        stats: dict[int, dict[str, np.ndarray]] = {}
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            done = self._analyse(rows, texts, errors)
            if not done:
                continue
            per_row = batch_statistics(*_padded(done))
            for k, (row, analysis) in enumerate(done):
                # Only the statistics outlive the sub-batch: a shard's T×T attentions would be gigabytes.
                analyses[row] = replace(analysis, attentions=_NO_ATTENTIONS)
                stats[row] = {name: values[k] for name, values in per_row.items()}
            if self.progress is not None:
                self.progress(len(texts) - len(order) + start + len(rows))
        return self._table(table, texts, errors, analyses, stats)

    def _token_counts(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        # Capped as analyze caps them: the tokenizer takes seconds on a megabyte of text even when truncating.
        ids = self.loaded.tokenizer([t[:MAX_CHARS] for t in texts], truncation=True, max_length=self.loaded.max_tokens)["input_ids"]
        return [len(row) for row in ids]

    def _analyse(self, rows: list[int], texts: list[str], errors: list[str | None]) -> list[tuple[int, Analysis]]:
        """(row, Analysis) for a sub-batch; if it fails, row by row so that only the bad rows are lost."""
        try:
            return list(zip(rows, analyze_many([texts[i] for i in rows], self.loaded)))
        except AttnvizError:
            pass
        done = []
        for i in rows:
            try:
                done.append((i, analyze_many([texts[i]], self.loaded)[0]))
            except AttnvizError as exc:
                errors[i] = str(exc)
            except Exception as exc:  # a model bug on one row must not end a run of a million
                log.exception("row failed")
                errors[i] = f"{type(exc).__name__}: {exc}"[:500]
        return done

    def _table(self, table, texts, errors, analyses, stats) -> pa.Table:
        n = table.num_rows
        cells = self.loaded.n_layers * self.loaded.n_heads
        got = [analyses.get(i) for i in range(n)]
        columns: dict[str, pa.Array] = {
            "row_id": table.column("row_id").combine_chunks(),
            # What was analysed (cleaned and capped as analyze does), so one huge cell cannot bloat a shard.
            "text": pa.array([a.text if a else t[:MAX_CHARS] for a, t in zip(got, texts)], pa.string()),
            "label": table.column("label").combine_chunks().cast(pa.string()),
            "error": pa.array(errors, pa.string()),
        }
        preds = [a.prediction if a is not None else None for a in got]
        columns["n_tokens"] = pa.array([a.n_tokens if a else None for a in got], pa.int32())
        columns["total_tokens"] = pa.array([a.total_tokens if a else None for a in got], pa.int32())
        columns["truncated"] = pa.array([a.truncated if a else None for a in got], pa.bool_())
        columns["predicted"] = pa.array([p.top_label if p else None for p in preds], pa.string())
        columns["confidence"] = pa.array([float(p.probs.max()) if p else None for p in preds], pa.float32())
        columns["probs"] = pa.array([p.probs.tolist() if p else None for p in preds], pa.list_(pa.float32()))
        columns["tokens"] = pa.array([[t.text for t in a.tokens] if a else None for a in got], pa.list_(pa.string()))
        missing = np.array([a is None for a in got])
        for name in (*STATISTICS, "max_query", "max_key"):
            dtype = np.int16 if name.startswith("max_") and name != "max_weight" else np.float32
            values = np.zeros((n, cells), dtype=dtype)
            for i, row_stats in stats.items():
                values[i] = row_stats[name].reshape(-1)
            columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), cells, mask=pa.array(missing))
        return pa.table(columns, schema=self.schema)


def decode(values: Sequence[bytes | str | None]) -> tuple[list[str], list[str | None]]:
    """(texts, errors): UTF-8 text of each value, and why a row cannot be analysed (None when it can)."""
    texts: list[str] = []
    errors: list[str | None] = []
    for value in values:
        error = None
        if value is None:
            text, error = "", "empty text"
        elif isinstance(value, bytes):
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                text, error = value.decode("utf-8", errors="replace"), f"not valid UTF-8 (byte {exc.start})"
        else:
            text = str(value)
        if error is None:
            try:
                clean_text(text)
            except AttnvizError as exc:
                error = str(exc)
        texts.append(text)
        errors.append(error)
    return texts, errors


def _padded(done: list[tuple[int, Analysis]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inputs of ``batch_statistics`` for a sub-batch of analyses."""
    att = pad_attentions([a.attentions for _, a in done])
    special, punct = key_masks([a.tokens for _, a in done], att.shape[-1])
    return att, np.array([a.n_tokens for _, a in done]), special, punct
