"""Live queries over a run's Parquet with DuckDB (in-process): metrics, head means, top-k texts, slices.

Nothing is recomputed: every answer is one SQL query over ``out/*.parquet``. Statistic names are checked
against ``STATISTICS`` before they reach SQL; every user value (label, search text) is a bound parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attnviz.corpus import faithful
from attnviz.corpus.run import MANIFEST
from attnviz.corpus.stats import STATISTICS
from attnviz.errors import InputError
from attnviz.evaluate import Metrics, compute_metrics

# Token-count buckets for slicing (special tokens included), as (label, first, last).
LENGTH_BUCKETS = (("1–16", 1, 16), ("17–32", 17, 32), ("33–64", 33, 64), ("65–128", 65, 128), ("129+", 129, None))
_ROW_COLUMNS = "row_id, text, label, predicted, confidence, n_tokens, truncated"


@dataclass(frozen=True)
class Slice:
    """Which rows to look at: a gold label, a predicted label, a token-count range, a text search (any may be None)."""

    label: str | None = None
    predicted: str | None = None
    min_tokens: int | None = None
    max_tokens: int | None = None
    search: str | None = None

    def where(self) -> tuple[str, list]:
        """(SQL condition, parameters) for the analysed rows of this slice."""
        parts, params = ["error IS NULL"], []
        for column, value in (("label", self.label), ("predicted", self.predicted)):
            if value is not None:
                parts.append(f"{column} = ?")
                params.append(value)
        if self.min_tokens is not None:
            parts.append("n_tokens >= ?")
            params.append(int(self.min_tokens))
        if self.max_tokens is not None:
            parts.append("n_tokens <= ?")
            params.append(int(self.max_tokens))
        if self.search:
            parts.append("contains(lower(text), lower(?))")  # a plain substring: no LIKE wildcards to escape
            params.append(self.search)
        return " AND ".join(parts), params


class Corpus:
    """A finished (or partly finished) run, opened for queries. Layers × heads come from the manifest."""

    def __init__(self, out: str | Path):
        import duckdb

        self.out = Path(out)
        path = self.out / MANIFEST
        if not path.is_file():
            raise InputError(f"{self.out} is not a corpus run (no {MANIFEST}). Run python -m attnviz.corpus first.")
        self.manifest = json.loads(path.read_text(encoding="utf-8"))
        self.files = sorted(str(p) for p in self.out.glob("*.parquet"))
        if not self.files:
            raise InputError(f"{self.out} has no finished shards yet.")
        self.n_layers, self.n_heads = int(self.manifest["n_layers"]), int(self.manifest["n_heads"])
        self._db = duckdb.connect()
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in self.files)
        self._db.execute(f"CREATE VIEW rows AS SELECT * FROM read_parquet([{listed}])")

    def _sql(self, sql: str, params: list | None = None) -> pd.DataFrame:
        # One cursor per query: the app queries one Corpus from several sessions' threads.
        return self._db.cursor().execute(sql, params or []).df()

    @property
    def has_labels(self) -> bool:
        return self.manifest.get("label_column") is not None

    @property
    def has_faithfulness(self) -> bool:
        return bool(self.manifest.get("faithfulness"))

    def faithfulness(self, where: Slice = Slice()) -> pd.DataFrame | None:
        """``attnviz.corpus.faithful.summary`` of the slice's rows (None for a run made without faithfulness)."""
        if not self.has_faithfulness:
            return None
        condition, params = where.where()
        columns = ", ".join(faithful.COLUMNS)  # fixed names, never user input
        return faithful.summary(self._sql(f"SELECT {columns} FROM rows WHERE {condition}", params))

    def counts(self) -> dict[str, int]:
        """Rows in the run, analysed rows, and rows recorded with an error."""
        row = self._sql("SELECT count(*) AS n, count(*) FILTER (WHERE error IS NULL) AS ok FROM rows").iloc[0]
        return {"rows": int(row["n"]), "analysed": int(row["ok"]), "bad": int(row["n"] - row["ok"])}

    def count(self, where: Slice = Slice()) -> int:
        condition, params = where.where()
        return int(self._sql(f"SELECT count(*) AS n FROM rows WHERE {condition}", params).iloc[0]["n"])

    def label_values(self, column: str) -> list[str]:
        """Distinct gold ("label") or predicted ("predicted") labels, in the run's label order first."""
        if column not in ("label", "predicted"):
            raise ValueError(column)
        found = self._sql(f"SELECT DISTINCT {column} AS v FROM rows WHERE {column} IS NOT NULL")["v"].tolist()
        order = list(self.manifest.get("label_names") or []) + list(self.manifest.get("labels") or [])
        return sorted(found, key=lambda v: (order.index(v) if v in order else len(order), v))

    def metrics(self, where: Slice = Slice()) -> Metrics | None:
        """Scores against the gold labels (as ``attnviz.evaluate`` computes them), or None without labels."""
        if not self.has_labels:
            return None
        condition, params = where.where()
        rows = self._sql(f"SELECT label, predicted FROM rows WHERE {condition} AND label IS NOT NULL", params)
        if rows.empty:
            return None
        return compute_metrics(rows["label"].tolist(), rows["predicted"].tolist(), self.manifest["label_names"])

    def _cell(self, statistic: str, layer: int, head: int) -> int:
        if statistic not in STATISTICS:
            raise InputError(f"Unknown statistic {statistic!r}; choose one of {list(STATISTICS)}.")
        if not (0 <= layer < self.n_layers and 0 <= head < self.n_heads):
            raise InputError(f"There is no layer {layer}, head {head} in a {self.n_layers} × {self.n_heads} model.")
        return layer * self.n_heads + head + 1  # DuckDB lists count from 1

    def head_means(self, statistic: str, where: Slice = Slice()) -> np.ndarray:
        """float64[layers, heads]: ``statistic`` averaged over the slice's rows (NaN when the slice is empty)."""
        self._cell(statistic, 0, 0)
        condition, params = where.where()
        cells = ", ".join(f"avg({statistic}[{i}]) AS c{i}" for i in range(1, self.n_layers * self.n_heads + 1))
        row = self._sql(f"SELECT {cells} FROM rows WHERE {condition}", params).iloc[0]
        return row.to_numpy(dtype=np.float64, na_value=np.nan).reshape(self.n_layers, self.n_heads)

    def top_k(
        self, statistic: str, layer: int, head: int, k: int = 10, where: Slice = Slice(), lowest: bool = False
    ) -> pd.DataFrame:
        """The k rows where head (layer, head) has the highest (or lowest) ``statistic``, with its max-weight pair."""
        i = self._cell(statistic, layer, head)
        condition, params = where.where()
        order = "ASC" if lowest else "DESC"
        return self._sql(
            f"SELECT {_ROW_COLUMNS}, {statistic}[{i}] AS value, max_weight[{i}] AS max_weight, "
            f"tokens[max_query[{i}] + 1] AS max_query_token, tokens[max_key[{i}] + 1] AS max_key_token "
            f"FROM rows WHERE {condition} ORDER BY value {order}, row_id LIMIT ?",
            params + [int(k)],
        )

    def misclassified(self, where: Slice = Slice(), k: int = 50) -> pd.DataFrame:
        """Rows whose prediction differs from the gold label, most confidently wrong first."""
        condition, params = where.where()
        return self._sql(
            f"SELECT {_ROW_COLUMNS} FROM rows WHERE {condition} AND label IS NOT NULL AND predicted <> label "
            "ORDER BY confidence DESC, row_id LIMIT ?",
            params + [int(k)],
        )

    def rows(self, where: Slice = Slice(), k: int = 50) -> pd.DataFrame:
        condition, params = where.where()
        return self._sql(f"SELECT {_ROW_COLUMNS} FROM rows WHERE {condition} ORDER BY row_id LIMIT ?", params + [int(k)])

    def bad_rows(self, k: int = 50) -> pd.DataFrame:
        """Rows recorded with an error instead of results."""
        return self._sql("SELECT row_id, text, error FROM rows WHERE error IS NOT NULL ORDER BY row_id LIMIT ?", [k])

    def row_statistics(self, row_id: int) -> dict[str, np.ndarray]:
        """Every statistic of one row as float32[layers, heads] (for checks and notebooks)."""
        cols = ", ".join(STATISTICS)
        found = self._sql(f"SELECT {cols} FROM rows WHERE row_id = ? AND error IS NULL", [int(row_id)])
        if found.empty:
            raise InputError(f"No analysed row {row_id} in {self.out}.")
        return {
            s: np.asarray(found.iloc[0][s], dtype=np.float32).reshape(self.n_layers, self.n_heads) for s in STATISTICS
        }


def open_run(out: str | Path) -> Corpus:
    return Corpus(out)


def per_label_scores(m: Metrics) -> list[dict[str, float | int | str]]:
    """Precision, recall, F1 and support of every label, from the confusion matrix (rows true, columns predicted)."""
    confusion = np.asarray(m.confusion, dtype=np.float64)
    rows = []
    for i, label in enumerate(m.labels):
        tp, predicted, actual = confusion[i, i], confusion[:, i].sum(), confusion[i].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"label": label, "precision": precision, "recall": recall, "f1": f1, "support": int(actual)})
    return rows
