"""Corpus mode on Ray Data (a real local cluster, 2 CPUs): the same rows, predictions and statistics as local."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attnviz import corpus
from attnviz.corpus.stats import STATISTICS

ray = pytest.importorskip("ray")

TEXTS = ["the film was good .", "not bad", "i love it !", "the cat sat on the mat", "a dog", "is it good ?"] * 2


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _rows(out) -> pa.Table:
    return pa.concat_tables(pq.read_table(p) for p in sorted(out.glob("*.parquet"))).sort_by("row_id")


def test_ray_engine_matches_local_engine(tmp_path, tiny_classifier_dir, ray_cluster):
    source = tmp_path / "in.csv"
    source.write_text("text,label\n" + "\n".join(f"{t},{i % 2}" for i, t in enumerate(TEXTS)) + "\n,1\n", encoding="utf-8")
    kwargs = dict(label_column="label", model=str(tiny_classifier_dir), shard_rows=5, batch_size=4)
    local = corpus.run(source, tmp_path / "local", **kwargs)
    remote = corpus.run(source, tmp_path / "ray", engine="ray", concurrency=1, **kwargs)
    assert (remote.rows, remote.processed, remote.bad_rows) == (local.rows, local.processed, local.bad_rows) == (13, 13, 1)
    a, b = _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    for column in ("row_id", "text", "label", "error", "predicted", "n_tokens", "tokens", "max_query", "max_key"):
        assert a.column(column).to_pylist() == b.column(column).to_pylist(), column
    for column in (*STATISTICS, "probs"):
        x = np.array([v if v is not None else [] for v in a.column(column).to_pylist()], dtype=object)
        y = np.array([v if v is not None else [] for v in b.column(column).to_pylist()], dtype=object)
        for u, v in zip(x, y):
            np.testing.assert_allclose(np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64), atol=1e-5)
    assert corpus.open_run(tmp_path / "ray").metrics() == corpus.open_run(tmp_path / "local").metrics()
    again = corpus.run(source, tmp_path / "ray", engine="ray", **kwargs)
    assert (again.processed, again.skipped_shards) == (0, 3)


def test_ray_engine_faithfulness_columns_match_local_engine(tmp_path, tiny_classifier_dir, ray_cluster):
    from attnviz.corpus import faithful

    source = tmp_path / "in.csv"
    source.write_text("text\n" + "\n".join(TEXTS[:5]) + "\n", encoding="utf-8")
    kwargs = dict(model=str(tiny_classifier_dir), shard_rows=3, batch_size=2, faithfulness=True)
    corpus.run(source, tmp_path / "local", **kwargs)
    corpus.run(source, tmp_path / "ray", engine="ray", concurrency=1, **kwargs)
    a, b = _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    assert set(faithful.COLUMNS) <= set(b.schema.names)
    assert b.column("faithfulness_error").null_count == b.num_rows == 5
    for column in faithful.COLUMNS:
        # float32 probabilities: batches of other shapes round differently (≈ 1e-9 here)
        np.testing.assert_allclose(b.column(column).to_numpy(), a.column(column).to_numpy(), rtol=1e-5, atol=1e-6)
