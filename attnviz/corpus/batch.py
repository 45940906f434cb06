"""The per-batch callable both engines run: a table of rows in, a table of results out (no T×T tensors).

Ray Data builds one per actor (the model loads once per actor); the local engine builds one per run.
A shard is tokenised once (``attnviz.tokens.encode_many``), sorted by token count and run in sub-batches of
``batch_size`` through ``attnviz.extraction.forward_padded`` (one padded forward pass each, the same pass
``attnviz.analyze`` makes); the statistics are computed on the padded batch at once, so a row's prediction and
statistics are those ``attnviz.analyze`` and ``attnviz.head_statistics`` give, without one copy per row.
With ``faithfulness=True`` each analysed row also gets its scoreboard (``attnviz.corpus.faithful``), text by text.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from attnviz.analysis import predict
from attnviz.corpus import faithful
from attnviz.corpus.stats import STATISTICS, batch_statistics, key_masks
from attnviz.errors import AttnvizError
from attnviz.extraction import BatchResult, forward_padded
from attnviz.loading import LoadedModel, load_model
from attnviz.tokens import MAX_CHARS, CleanText, Encoding, anything_dropped, clean_text, encode, encode_many
from attnviz.types import Prediction

log = logging.getLogger("attnviz.corpus")
_STAT_COLUMNS = (*STATISTICS, "max_query", "max_key")
ERROR_CHARS = 500  # an error cell's length at most: a traceback-sized message would bloat every shard


def error_text(exc: BaseException) -> str:
    """The error's type and message for a row's error column, cut to ERROR_CHARS with "…" when longer."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def output_schema(n_cells: int, faithfulness: bool = False) -> pa.Schema:
    """Columns of a result shard; every statistic is float32[layers × heads], row-major (layer, then head).
    ``faithfulness`` adds ``attnviz.corpus.faithful``'s columns at the end."""
    stat = pa.list_(pa.float32(), n_cells)
    index = pa.list_(pa.int16(), n_cells)
    return pa.schema(
        [
            ("row_id", pa.int64()), ("text", pa.string()), ("label", pa.string()), ("error", pa.string()),
            ("n_tokens", pa.int32()), ("total_tokens", pa.int32()), ("truncated", pa.bool_()),
            ("predicted", pa.string()), ("confidence", pa.float32()), ("probs", pa.list_(pa.float32())),
            ("tokens", pa.list_(pa.string())),
            *[(name, stat) for name in STATISTICS], ("max_query", index), ("max_key", index),
            *(faithful.schema_fields() if faithfulness else []),
        ]
    )


class CorpusBatch:
    """Loads ``model`` once; ``__call__(table)`` maps an input shard (row_id, text bytes, label) to results.

    ``faithfulness``: also each row's scoreboard (raises InputError at once for a model without classes).
    """

    def __init__(
        self, model: LoadedModel | str | None = None, batch_size: int = 32, trusted_folder: bool = False,
        faithfulness: bool = False,
    ):
        self.loaded = model if isinstance(model, LoadedModel) else load_model(model, trusted_folder=trusted_folder)
        if faithfulness:
            faithful.check_model(self.loaded)
        self.faithfulness = bool(faithfulness)
        self.batch_size = max(1, int(batch_size))
        self.schema = output_schema(self.loaded.n_layers * self.loaded.n_heads, self.faithfulness)
        self.progress: Callable[[int], None] | None = None  # told how many rows of this call are done

    def __call__(self, table: pa.Table) -> pa.Table:
        texts, errors = decode(table.column("text").to_pylist())
        cleaned = {i: clean_text(texts[i]) for i, e in enumerate(errors) if e is None}
        encodings = self._encode(cleaned, errors)
        # Length buckets: sorted by token count, a sub-batch pads only to its own longest text.
        order = sorted(encodings, key=lambda i: len(encodings[i].input_ids))
        predictions: dict[int, Prediction | None] = {}
        cells = self.loaded.n_layers * self.loaded.n_heads
        stats = {name: np.zeros((len(texts), cells), np.int16 if name in ("max_query", "max_key") else np.float32)
                 for name in _STAT_COLUMNS}
        scored: dict[int, dict[str, float] | str] = {}  # row → faithfulness columns, or why they are missing
        done = len(texts) - len(order)  # rows with an error before any forward pass
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for rows, result in self._forward(batch, encodings, errors):
                special, punct = key_masks([encodings[i].tokens for i in rows], result.attentions.shape[-1])
                # Only the statistics outlive the sub-batch: a shard's T×T attentions would be gigabytes.
                for name, values in batch_statistics(result.attentions, np.array(result.lengths), special, punct).items():
                    stats[name][rows] = values.reshape(len(rows), cells)
                for k, i in enumerate(rows):
                    logits = None if result.logits is None else result.logits[k]
                    hidden = None if result.hidden is None else result.hidden[k, : result.lengths[k]]
                    predictions[i] = predict(self.loaded, logits, hidden)
            if not self.faithfulness:
                self._tell(done + start + len(batch))
                continue
            for n, i in enumerate(batch, 1):  # the slow part: progress row by row
                if i in predictions:
                    scored[i] = self._scoreboard(texts[i])
                self._tell(done + start + n)
        table = self._table(table, texts, errors, cleaned, encodings, predictions, stats)
        return self._with_faithfulness(table, scored) if self.faithfulness else table

    def _tell(self, rows_done: int) -> None:
        if self.progress is not None:
            self.progress(rows_done)

    def _scoreboard(self, text: str) -> dict[str, float] | str:
        """One row's faithfulness columns, or the reason they could not be computed (the row's results stay)."""
        try:
            return faithful.row_values(text, self.loaded)
        except AttnvizError as exc:
            return str(exc)
        except Exception as exc:  # as in _forward: one row's failure must not end the run
            log.exception("faithfulness failed")
            return error_text(exc)

    def _with_faithfulness(self, table: pa.Table, scored: dict[int, dict[str, float] | str]) -> pa.Table:
        values = [scored.get(i) for i in range(table.num_rows)]
        for name in faithful.COLUMNS:
            table = table.append_column(
                name, pa.array([v[name] if isinstance(v, dict) else None for v in values], pa.float64())
            )
        errors = [v if isinstance(v, str) else None for v in values]
        return table.append_column(faithful.ERROR, pa.array(errors, pa.string())).cast(self.schema)

    def _encode(self, cleaned: dict[int, CleanText], errors: list[str | None]) -> dict[int, Encoding]:
        """Each good row's Encoding, in one tokenizer call; if a text has nothing to tokenize, row by row."""
        rows = list(cleaned)
        tokenizer, limit = self.loaded.tokenizer, self.loaded.max_tokens
        try:
            return dict(zip(rows, encode_many([cleaned[i].text for i in rows], tokenizer, limit)))
        except AttnvizError:
            pass
        encodings = {}
        for i in rows:
            try:
                encodings[i] = encode(cleaned[i].text, tokenizer, limit)
            except AttnvizError as exc:
                errors[i] = str(exc)
        return encodings

    def _forward(
        self, rows: list[int], encodings: dict[int, Encoding], errors: list[str | None]
    ) -> Iterator[tuple[list[int], BatchResult]]:
        """(rows, padded result) for a sub-batch; if it fails, row by row so that only the bad rows are lost."""
        try:
            yield rows, forward_padded(self.loaded, [encodings[i].input_ids for i in rows])
            return
        except AttnvizError:
            pass
        for i in rows:
            try:
                result = forward_padded(self.loaded, [encodings[i].input_ids])
            except AttnvizError as exc:
                errors[i] = str(exc)
                continue
            except Exception as exc:  # a model bug on one row must not end a run of a million
                log.exception("row failed")
                errors[i] = error_text(exc)
                continue
            yield [i], result

    def _table(self, table, texts, errors, cleaned, encodings, predictions, stats) -> pa.Table:
        n = table.num_rows
        cells = self.loaded.n_layers * self.loaded.n_heads
        done = [i in predictions for i in range(n)]
        enc = [encodings[i] if ok else None for i, ok in enumerate(done)]
        preds = [predictions.get(i) for i in range(n)]
        columns: dict[str, pa.Array] = {
            "row_id": table.column("row_id").combine_chunks(),
            # What was analysed (cleaned and capped as analyze does), so one huge cell cannot bloat a shard.
            "text": pa.array([cleaned[i].text if i in cleaned else t[:MAX_CHARS] for i, t in enumerate(texts)], pa.string()),
            "label": table.column("label").combine_chunks().cast(pa.string()),
            "error": pa.array(errors, pa.string()),
        }
        columns["n_tokens"] = pa.array([len(e.tokens) if e else None for e in enc], pa.int32())
        columns["total_tokens"] = pa.array([e.total_tokens if e else None for e in enc], pa.int32())
        columns["truncated"] = pa.array(
            [anything_dropped(cleaned[i], e) if e else None for i, e in enumerate(enc)], pa.bool_()
        )
        columns["predicted"] = pa.array([p.top_label if p else None for p in preds], pa.string())
        columns["confidence"] = pa.array([float(p.probs.max()) if p else None for p in preds], pa.float32())
        columns["probs"] = pa.array([p.probs.tolist() if p else None for p in preds], pa.list_(pa.float32()))
        columns["tokens"] = pa.array([[t.text for t in e.tokens] if e else None for e in enc], pa.list_(pa.string()))
        missing = pa.array(np.logical_not(done))
        for name in _STAT_COLUMNS:
            columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(stats[name].reshape(-1)), cells, mask=missing)
        return pa.table(columns, schema=output_schema(cells))


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
